"""A replay server: answers OAI-PMH requests with recorded real responses.

Each *feed* is a folder with a ``manifest.json`` and the recorded response bodies.
The server hosts several feeds at ``http://127.0.0.1:PORT/{feed}/oai``. A manifest rule
matches a request when every parameter it names has the given value (``"*"``: present,
any value); the most specific matching rule answers. A rule may set ``status``,
``headers`` and ``times`` (answer only that often, then let the next rule answer), which
is how a test scripts a 503 before a 200. Identify and ListMetadataFormats can be
described in the manifest instead of recorded; they are then rendered here and are
synthetic (the manifest says so). A request no rule matches gets HTTP 404 with an
explanation, so a test that asks for something unrecorded fails loudly.

``latency`` (seconds) delays every answer, as a distant server would; the server counts how
many requests it was answering at once (``max_in_flight``), which is how the tests check
that the harvester is polite to one host.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape


@dataclass
class Rule:
    when: dict[str, str]
    file: str | None = None
    body: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None

    def matches(self, params: dict[str, str]) -> bool:
        return all(k in params and (v == "*" or params[k] == v) for k, v in self.when.items())


@dataclass
class Feed:
    name: str
    folder: Path
    rules: list[Rule]
    identify: dict[str, Any] | None
    formats: list[dict[str, str]] | None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, folder: Path) -> Feed:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        rules = [Rule(**rule) for rule in manifest.get("responses", [])]
        return cls(folder.name, folder, rules, manifest.get("identify"), manifest.get("formats"))

    def answer(self, params: dict[str, str], base_url: str) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            candidates = [r for r in self.rules if r.matches(params) and (r.times is None or r.times > 0)]
            if candidates:
                rule = max(candidates, key=lambda r: len(r.when))
                if rule.times is not None:
                    rule.times -= 1
                headers = {"Content-Type": "text/xml; charset=utf-8", **rule.headers}
                if rule.file is not None:
                    body = (self.folder / rule.file).read_bytes()
                else:
                    body = (rule.body or "").encode("utf-8")
                return rule.status, headers, body
        verb = params.get("verb")
        if verb == "Identify" and self.identify is not None:
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, self._identify(base_url)
        if verb == "ListMetadataFormats" and self.formats is not None:
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, self._formats(base_url)
        message = f"replay feed {self.name!r} has no recorded response for {params}"
        return 404, {"Content-Type": "text/plain; charset=utf-8"}, message.encode("utf-8")

    def _envelope(self, base_url: str, verb: str, inner: str) -> bytes:
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
            'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
            f"<responseDate>{date}</responseDate>\n"
            f'<request verb="{verb}">{escape(base_url)}</request>\n'
            f"<{verb}>{inner}</{verb}>\n</OAI-PMH>\n"
        ).encode()

    def _identify(self, base_url: str) -> bytes:
        info = self.identify or {}
        parts = [
            f"<repositoryName>{escape(info.get('repositoryName', self.name))}</repositoryName>",
            f"<baseURL>{escape(base_url)}</baseURL>",
            "<protocolVersion>2.0</protocolVersion>",
            f"<adminEmail>{escape(info.get('adminEmail', 'nobody@example.org'))}</adminEmail>",
            f"<earliestDatestamp>{escape(info.get('earliestDatestamp', '1970-01-01T00:00:00Z'))}</earliestDatestamp>",
            f"<deletedRecord>{escape(info.get('deletedRecord', 'persistent'))}</deletedRecord>",
            f"<granularity>{escape(info.get('granularity', 'YYYY-MM-DDThh:mm:ssZ'))}</granularity>",
        ]
        return self._envelope(base_url, "Identify", "".join(parts))

    def _formats(self, base_url: str) -> bytes:
        inner = "".join(
            "<metadataFormat>"
            f"<metadataPrefix>{escape(f['prefix'])}</metadataPrefix>"
            f"<schema>{escape(f.get('schema', ''))}</schema>"
            f"<metadataNamespace>{escape(f.get('namespace', ''))}</metadataNamespace>"
            "</metadataFormat>"
            for f in self.formats or []
        )
        return self._envelope(base_url, "ListMetadataFormats", inner)


class ReplayServer:
    """Serve feed folders on 127.0.0.1; use as a context manager or call start()/stop()."""

    def __init__(self, feeds: list[Path], host: str = "127.0.0.1", port: int = 0, latency: float = 0.0) -> None:
        self.feeds = {feed.name: feed for feed in (Feed.load(folder) for folder in feeds)}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.latency = latency
        self.in_flight = 0
        self.max_in_flight = 0
        self._count_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                self._answer(dict(parse_qsl(body, keep_blank_values=True)))

            def _answer(self, params: dict[str, str]) -> None:
                # In flight: from the request's arrival until its answer is ready to send (the
                # client may already send its next request while the last bytes are written).
                with server._count_lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    if server.latency:
                        time.sleep(server.latency)
                    status, headers, body = self._prepare(params)
                finally:
                    with server._count_lock:
                        server.in_flight -= 1
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _prepare(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
                path = urlsplit(self.path).path.strip("/").split("/")
                feed = server.feeds.get(path[0]) if len(path) == 2 and path[1] == "oai" else None
                if feed is None:
                    return 404, {"Content-Type": "text/plain"}, b"no such feed"
                server.requests.append((feed.name, params))
                return feed.answer(params, server.url(feed.name))

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.host, self.port = self._httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    def url(self, feed: str) -> str:
        return f"http://{self.host}:{self.port}/{feed}/oai"

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replay-oai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
