"""A loopback OAI-PMH server that serves N synthetic LOM records made from real templates.

The records are SYNTHETIC: record *i* is a copy of one of the real IEEE-LOM records in
``benchmarks/templates/`` (see its PROVENANCE.md; template *i* mod 3), with the record
number put into its OAI identifier, its first title, its first description and its first
``general/identifier/entry``. Everything else is the real record, comments and all.

The server speaks enough OAI-PMH 2.0 for a harvester: Identify, ListMetadataFormats
(``lom`` in the IEEE LOM namespace, ``oai_dc``), ListRecords paged with resumption
tokens (the token is ``prefix:offset``) and GetRecord. Each template is rendered once
into string pieces split at the record number, so a page costs one ``str.join`` per
record: the server is not the bottleneck of the benchmark (``python -m benchmarks.feed
--selftest`` prints its own rate).

``latency`` (default 0) delays every response by that many seconds before it is sent,
as a distant repository would; each connection has its own thread, so clients on other
connections do not wait for it.

Run it alone with ``python -m benchmarks.feed --records 1000 --port 8765``.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from lxml import etree

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOM = "http://ltsc.ieee.org/xsd/LOM"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
MARK = "@@N@@"
FORMATS = {
    "lom": (LOM, "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd"),
    "oai_dc": (OAI_DC, "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
}
EARLIEST = "2024-01-01T00:00:00Z"


@dataclass(frozen=True)
class Template:
    """One real record, pre-rendered as the pieces between occurrences of the record number."""

    name: str
    lom: tuple[str, ...]
    oai_dc: tuple[str, ...]

    def render(self, prefix: str, number: int) -> str:
        pieces = self.lom if prefix == "lom" else self.oai_dc
        return str(number).join(pieces)


def _first(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path)
    if found is None:
        raise ValueError(f"template has no {path}")
    return found


def load_template(path: Path) -> Template:
    """Mark the varying fields of a real LOM record and cut it into pieces at the marks."""
    root = etree.parse(str(path)).getroot()
    if root.tag != f"{{{LOM}}}lom":
        raise ValueError(f"{path.name}: not an IEEE LOM record (root {root.tag})")
    general = _first(root, f"{{{LOM}}}general")
    title = _first(general, f"{{{LOM}}}title/{{{LOM}}}string")
    description = _first(general, f"{{{LOM}}}description/{{{LOM}}}string")
    entry = _first(general, f"{{{LOM}}}identifier/{{{LOM}}}entry")
    title.text = f"{(title.text or '').strip()} (synthetic copy {MARK})"
    description.text = f"{(description.text or '').strip()} [Synthetic benchmark record {MARK}.]"
    entry.text = f"{(entry.text or '').strip()}#copy-{MARK}"
    lom = etree.tostring(root, encoding="unicode")
    dc = (
        f'<oai_dc:dc xmlns:oai_dc="{OAI_DC}" xmlns:dc="{DC}">'
        f"<dc:title>{escape(title.text)}</dc:title>"
        f"<dc:description>{escape(description.text)}</dc:description>"
        f"<dc:identifier>{escape(entry.text)}</dc:identifier>"
        "</oai_dc:dc>"
    )
    return Template(path.name, tuple(lom.split(MARK)), tuple(dc.split(MARK)))


def load_templates(folder: Path = TEMPLATES) -> list[Template]:
    templates = [load_template(p) for p in sorted(folder.glob("*.xml"))]
    if not templates:
        raise FileNotFoundError(f"no LOM templates in {folder}")
    return templates


class Feed:
    """The records and pages of one synthetic source (pure functions of the record number)."""

    def __init__(self, records: int, page_size: int = 100, templates: list[Template] | None = None) -> None:
        if records < 0 or page_size < 1:
            raise ValueError("records must be >= 0 and page_size >= 1")
        self.records = records
        self.page_size = page_size
        self.templates = templates or load_templates()

    @staticmethod
    def identifier(number: int) -> str:
        return f"oai:bench.test:{number}"

    @staticmethod
    def datestamp(number: int) -> str:
        return f"2024-{1 + number % 12:02d}-{1 + number % 28:02d}T00:00:00Z"

    def record(self, prefix: str, number: int) -> str:
        template = self.templates[number % len(self.templates)]
        return (
            f"<record><header><identifier>{self.identifier(number)}</identifier>"
            f"<datestamp>{self.datestamp(number)}</datestamp></header>"
            f"<metadata>{template.render(prefix, number)}</metadata></record>"
        )

    def list_records(self, prefix: str, offset: int) -> str:
        end = min(offset + self.page_size, self.records)
        body = "".join([self.record(prefix, n) for n in range(offset, end)])
        attributes = f'completeListSize="{self.records}" cursor="{offset}"'
        if end < self.records:
            token = f"<resumptionToken {attributes}>{prefix}:{end}</resumptionToken>"
        elif offset > 0:
            token = f"<resumptionToken {attributes}/>"  # the list ends: an empty token (OAI-PMH 2.0 §3.5)
        else:
            token = ""
        return f"<ListRecords>{body}{token}</ListRecords>"


_ENVELOPE_START = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
)
_NUMBER = re.compile(r"^oai:bench\.test:(\d+)$")


class OaiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a harvester's client expects
    server: FeedServer

    def do_GET(self) -> None:
        self._answer(urlsplit(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length).decode("utf-8", "replace"))

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self, query_string: str) -> None:
        query = {k: v[0] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        self.server.requests += 1
        if self.server.latency > 0:  # a distant repository: the answer leaves that much later
            time.sleep(self.server.latency)
        try:
            body = self.server.respond(query)
        except _OaiError as error:  # OAI-PMH errors travel as HTTP 200 (OAI-PMH 2.0 §3.6)
            body = self.server.error(query, error.code, error.message)
        data = body.encode("utf-8")
        self.server.bytes_sent += len(data)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, feed: Feed, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the benchmark feed listens on loopback only")
        if latency < 0:
            raise ValueError("latency must be >= 0 seconds")
        super().__init__((host, port), OaiHandler)
        self.feed = feed
        #: seconds every response waits before it is sent (0: answer at once)
        self.latency = latency
        self.requests = 0
        self.bytes_sent = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/oai"

    def _wrap(self, query: dict[str, str], inner: str) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        attributes = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in query.items())
        return (
            f"{_ENVELOPE_START}<responseDate>{stamp}</responseDate>"
            f"<request{attributes}>{self.url}</request>{inner}</OAI-PMH>"
        )

    def error(self, query: dict[str, str], code: str, message: str) -> str:
        ok = {k: v for k, v in query.items() if code not in ("badVerb", "badArgument")}
        return self._wrap(ok, f'<error code="{code}">{escape(message)}</error>')

    def respond(self, query: dict[str, str]) -> str:
        verb = query.get("verb")
        if verb == "Identify":
            return self._wrap(query, self._identify())
        if verb == "ListMetadataFormats":
            formats = "".join(
                f"<metadataFormat><metadataPrefix>{p}</metadataPrefix><schema>{s}</schema>"
                f"<metadataNamespace>{ns}</metadataNamespace></metadataFormat>"
                for p, (ns, s) in FORMATS.items()
            )
            return self._wrap(query, f"<ListMetadataFormats>{formats}</ListMetadataFormats>")
        if verb == "ListRecords":
            prefix, offset = self._list_position(query)
            if self.feed.records == 0:
                raise _OaiError("noRecordsMatch", "the feed is empty")
            return self._wrap(query, self.feed.list_records(prefix, offset))
        if verb == "GetRecord":
            prefix = query.get("metadataPrefix", "")
            if prefix not in FORMATS:
                raise _OaiError("cannotDisseminateFormat", f"unknown metadataPrefix {prefix!r}")
            match = _NUMBER.match(query.get("identifier", ""))
            if not match or int(match.group(1)) >= self.feed.records:
                raise _OaiError("idDoesNotExist", f"no record {query.get('identifier')!r}")
            record = self.feed.record(prefix, int(match.group(1)))
            return self._wrap(query, f"<GetRecord>{record}</GetRecord>")
        raise _OaiError("badVerb", f"illegal OAI verb {verb!r}")

    def _identify(self) -> str:
        return (
            "<Identify><repositoryName>EduHub benchmark feed (synthetic records from real LOM templates)"
            f"</repositoryName><baseURL>{self.url}</baseURL><protocolVersion>2.0</protocolVersion>"
            "<adminEmail>bench@bench.test</adminEmail>"
            f"<earliestDatestamp>{EARLIEST}</earliestDatestamp><deletedRecord>no</deletedRecord>"
            "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>"
        )

    def _list_position(self, query: dict[str, str]) -> tuple[str, int]:
        token = query.get("resumptionToken")
        if token is not None:
            if set(query) != {"verb", "resumptionToken"}:
                raise _OaiError("badArgument", "resumptionToken is an exclusive argument")
            prefix, _, offset = token.partition(":")
            if prefix not in FORMATS or not offset.isdigit() or int(offset) >= self.feed.records:
                raise _OaiError("badResumptionToken", f"unknown resumptionToken {token!r}")
            return prefix, int(offset)
        prefix = query.get("metadataPrefix", "")
        if not prefix:
            raise _OaiError("badArgument", "metadataPrefix is required")
        if prefix not in FORMATS:
            raise _OaiError("cannotDisseminateFormat", f"unknown metadataPrefix {prefix!r}")
        if "set" in query:
            raise _OaiError("noSetHierarchy", "the feed has no sets")
        return prefix, 0


@contextmanager
def serve(records: int, page_size: int = 100, port: int = 0, latency: float = 0.0) -> Iterator[FeedServer]:
    """Run the feed on 127.0.0.1 in a background thread for the duration of the block."""
    server = FeedServer(Feed(records, page_size), port=port, latency=latency)
    thread = threading.Thread(target=server.serve_forever, name="oai-feed", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def selftest(records: int, page_size: int) -> None:
    """How fast the feed renders pages without HTTP, so it is known not to be the bottleneck."""
    feed = Feed(records, page_size)
    started = time.perf_counter()
    size = 0
    for offset in range(0, records, page_size):
        size += len(feed.list_records("lom", offset).encode("utf-8"))
    seconds = time.perf_counter() - started
    etree.fromstring(f"{_ENVELOPE_START}{feed.list_records('lom', 0)}</OAI-PMH>".encode())  # well-formed
    print(
        f"rendered {records} records in {seconds:.2f} s: {records / seconds:,.0f} records/s, "
        f"{size / seconds / 1e6:.0f} MB/s, {size / max(records, 1) / 1024:.1f} KiB per record"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each response waits (default 0)")
    parser.add_argument("--selftest", action="store_true", help="time page rendering and exit")
    args = parser.parse_args(argv)
    if args.selftest:
        selftest(args.records, args.page_size)
        return
    with serve(args.records, args.page_size, args.port, args.latency) as server:
        print(f"serving {args.records} synthetic LOM records at {server.url} (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
