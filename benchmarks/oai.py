"""OAI-PMH provider benchmark: the hub's ``/oai`` served to a real client, against pyoai and a static floor.

``python -m benchmarks.oai --records 100000 --data DIR`` builds (once; ``--data`` keeps it for the
next run) a hub of N synthetic LOM records: the loopback feed of :mod:`benchmarks.feed` harvested by
the hub itself with tagging, through the hub contender of :mod:`benchmarks.ingest` (so every record
carries its source, concept and tag sets, as after ``eduhub harvest``). Then, in one run, three
servers answer OAI-PMH on 127.0.0.1, each in its own child process pinned to core 0 while the
clients run in this process on the other core:

hub
    ``uvicorn.run(create_app(hub, Provider(hub, records_per_page, headers_per_page)))`` on the built
    data folder, as ``eduhub serve`` runs it: the publication log (SQLite, keyset paging on
    (datestamp, item)), the record graphs read from the embedded pyoxigraph store, the writers.
pyoai (peer)
    pyoai's own provider, ``oaipmh.server.BatchingServer`` (``resumption_batch_size`` =
    records_per_page) over the same N records held in memory as oai_dc: each record read from the
    hub's own oai_dc responses by pyoai's ``oai_dc_reader``, written back by its ``oai_dc_writer``.
    Served as a WSGI app by ``wsgiref.simple_server``. It pages by offset: its resumption token is
    the urlencoded request plus a cursor, and the backend (an ``IBatchingOAI`` of this module)
    answers ``listRecords(cursor, batch_size)`` with a slice of its list. Two shims: pyoai 2.5 calls
    ``cgi.parse_qs`` (gone since Python 3.8) to decode its tokens, and its reader calls
    ``XPathEvaluator(...).evaluate`` (gone since lxml 5).
static (floor)
    the hub's own ListRecords responses, pre-rendered to files by a walk of the hub (the
    ``prerender`` walk below) and served by the standard library's ``SimpleHTTPRequestHandler``;
    only the file name is derived from the query (the first page, or a digest of the resumption
    token). Serving with zero work per record: what the client and HTTP cost on their own.

Measured, per server and format:

- **records/s to Sickle**: ``Sickle(url).ListRecords(metadataPrefix=...)``, every record iterated
  (identifiers collected; the count and the set of identifiers are checked against the hub's).
  ``--rounds`` rounds, the servers interleaved in each round; the report gives the median.
- **records/s to a raw client**: ``requests.get`` and one ``lxml.etree.fromstring`` per page, the
  records counted (the walk that also pre-renders the static files and collects the tokens).
- **page latency** of the first, a middle and the last page of a list: wall time of one
  ``requests.get`` with its body, ``--repeats`` times each, interleaved; medians and last ÷ first.
  The last page is reached with the resumption token the raw walk met before it (hub tokens are
  signed and bound to their verb, so ListRecords is walked for its own tokens).
- **RSS** of each server process, sampled with psutil every 50 ms, and its ``VmHWM``.
- **in-process** (``profile`` child, after the servers stop): ``respond()`` of the hub's provider
  without HTTP, ms per page: a walk of ``--walk-pages`` pages each served once, then the first and
  last pages repeated; a cProfile of the same (the top functions and the provider's stages), and
  each stage of the last page timed alone without the profiler. The report says how many records
  the publication log keeps a copy of (``log_copies``; since d83e764 the provider serves those).

``--json`` prints the report as JSON (the tables go to stderr), ``--save`` writes it to
``benchmarks/results/oai-<date>-<N>.json``, ``--markdown`` prints the BENCHMARKS.md tables,
``--render FILE`` renders a saved report. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from benchmarks.feed import serve as serve_feed
from benchmarks.ingest import BASE, hub_code, machine, pin_to_one_core, rules_code, run_contender
from benchmarks.retag import RssWatch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
FORMATS = ("oai_dc", "eduhub")
SERVERS = ("hub", "pyoai", "static")
#: the issue's targets: hub records/s to Sickle (oai_dc), last page within 1.2x of the first
TARGETS = {"records_per_second": 3000.0, "last_vs_first": 1.2}
#: the provider's stages: (key, label, file suffix, function); the keys of STAGE_TIMERS are also timed unprofiled
STAGES = (
    ("page", "log.page: SQLite keyset page", "exchange/provider/log.py", "page"),
    ("count", "log.count: completeListSize (first page only)", "exchange/provider/log.py", "count"),
    ("records", "_records: the page's hub records", "exchange/provider/protocol.py", "_records"),
    ("copies", "  log.records: the log's kept copies", "exchange/provider/log.py", "records"),
    ("unpack", "    unpack: zlib + json.loads", "exchange/provider/log.py", "unpack"),
    ("triples", "  store.triples: pyoxigraph quads_for_pattern", "exchange/store/embedded.py", "triples"),
    ("from_triples", "  record_from_triples", "exchange/model/from_rdf.py", "record_from_triples"),
    ("write", "_write: the format's writer", "exchange/provider/protocol.py", "_write"),
    ("record", "_record/_header: OAI envelope elements", "exchange/provider/protocol.py", "_record"),
    ("serialize", "_serialize: etree.tostring", "exchange/provider/protocol.py", "_serialize"),
    ("decode", "tokens.decode", "exchange/provider/tokens.py", "decode"),
    ("encode", "tokens.encode", "exchange/provider/tokens.py", "encode"),
    ("secret", "Provider.secret", "exchange/provider/protocol.py", "secret"),
)


# ---------------------------------------------------------------------- the static floor's file names


def static_name(query: Mapping[str, str]) -> str:
    """The file a static server answers a list request from: the first page, or the token's digest."""
    verb = query.get("verb", "")
    token = query.get("resumptionToken")
    if token:
        return f"{verb}-{hashlib.sha1(token.encode()).hexdigest()[:24]}.xml"
    return f"{verb}-{query.get('metadataPrefix', '')}-first.xml"


def _query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query, keep_blank_values=True).items()}


# ---------------------------------------------------------------------- servers (run in children)


def child_hub(options: dict[str, Any]) -> None:
    """The hub's app under uvicorn, as ``eduhub serve`` runs it (with the benchmark's page sizes)."""
    import uvicorn

    from exchange.api import create_app
    from exchange.config import Settings
    from exchange.hub import Hub
    from exchange.provider.protocol import Provider

    with Hub.open(Settings(data_dir=Path(options["hub_dir"]), base=BASE)) as hub:
        provider = Provider(
            hub, records_per_page=options["records_per_page"], headers_per_page=options["headers_per_page"]
        )
        uvicorn.run(create_app(hub, provider), host="127.0.0.1", port=options["port"], log_level="warning")


def _shim_pyoai() -> None:
    """pyoai 2.5 on Python 3.11 and lxml 6: ``cgi.parse_qs`` (removed in Python 3.8) decodes its
    resumption tokens; ``XPathEvaluator(...).evaluate`` (removed in lxml 5) runs its metadata reader."""
    import cgi
    import types
    from urllib.parse import parse_qs as urllib_parse_qs

    import oaipmh.metadata
    from lxml import etree

    if not hasattr(cgi, "parse_qs"):
        cgi.parse_qs = urllib_parse_qs  # type: ignore[attr-defined]

    class Evaluator:
        def __init__(self, element: Any, namespaces: Mapping[str, str] | None = None) -> None:
            self.evaluate = etree.XPathElementEvaluator(element, namespaces=namespaces)

    oaipmh.metadata.etree = types.SimpleNamespace(XPathEvaluator=Evaluator)  # type: ignore[attr-defined]


def load_pyoai_records(static_dir: Path) -> list[tuple[Any, Any, None]]:
    """The hub's oai_dc records, in the hub's order, as pyoai (header, metadata, about) tuples."""
    from lxml import etree
    from oaipmh import common
    from oaipmh.datestamp import datestamp_to_datetime
    from oaipmh.metadata import oai_dc_reader

    records: list[tuple[Any, Any, None]] = []
    query: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    while True:
        root = etree.fromstring((static_dir / static_name(query)).read_bytes())
        for record in root.iter(f"{OAI}record"):
            header = record.find(f"{OAI}header")
            identifier = header.findtext(f"{OAI}identifier")
            datestamp = datestamp_to_datetime(header.findtext(f"{OAI}datestamp"))
            sets = [s.text for s in header.findall(f"{OAI}setSpec")]
            # the map only: the reader's Metadata would keep the whole parsed page alive
            read = oai_dc_reader(record.find(f"{OAI}metadata"))
            metadata = common.Metadata(None, read.getMap())
            records.append((common.Header(None, identifier, datestamp, sets, False), metadata, None))
        token = root.findtext(f".//{OAI}resumptionToken")
        if not token:
            return records
        query = {"verb": "ListRecords", "resumptionToken": token}


class MemoryRepository:
    """An ``IBatchingOAI`` over records held in a list: a page is a slice at the token's cursor."""

    def __init__(self, records: list[tuple[Any, Any, None]]) -> None:
        from oaipmh import common

        self.records = records
        self.by_id = {header.identifier(): (header, metadata, about) for header, metadata, about in records}
        earliest = min((header.datestamp() for header, _, _ in records), default=dt.datetime(2000, 1, 1))
        self._identify = common.Identify(
            "pyoai peer (the hub's records as oai_dc, in memory)",
            "http://127.0.0.1/oai",
            "2.0",
            ["bench@bench.test"],
            earliest,
            "no",
            "YYYY-MM-DDThh:mm:ssZ",
            ["identity"],
        )

    def identify(self) -> Any:
        return self._identify

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:
        return [("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS)]

    def listSets(self, cursor: int = 0, batch_size: int = 10) -> list[Any]:
        from oaipmh import error

        raise error.NoSetHierarchyError("the peer has no sets")

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[Any, Any, None]:
        from oaipmh import error

        self._check(metadataPrefix)
        if identifier not in self.by_id:
            raise error.IdDoesNotExistError(identifier)
        return self.by_id[identifier]

    def listIdentifiers(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: Any = None,
        until: Any = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[Any]:
        return [header for header, _, _ in self._select(metadataPrefix, set, from_, until, cursor, batch_size)]

    def listRecords(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: Any = None,
        until: Any = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[Any]:
        return self._select(metadataPrefix, set, from_, until, cursor, batch_size)

    def _select(self, prefix: str, set_spec: str | None, from_: Any, until: Any, cursor: int, size: int) -> list[Any]:
        self._check(prefix)
        cursor = int(cursor)
        if set_spec is None and from_ is None and until is None:
            return self.records[cursor : cursor + size]
        chosen = [
            r
            for r in self.records
            if (from_ is None or r[0].datestamp() >= from_)
            and (until is None or r[0].datestamp() <= until)
            and (set_spec is None or set_spec in r[0].setSpec())
        ]
        return chosen[cursor : cursor + size]

    @staticmethod
    def _check(prefix: str) -> None:
        from oaipmh import error

        if prefix != "oai_dc":
            raise error.CannotDisseminateFormatError(f"the peer holds oai_dc only, not {prefix}")


def pyoai_app(repository: MemoryRepository, batch_size: int) -> Any:
    """pyoai's BatchingServer as a WSGI application (GET and form POST)."""
    from oaipmh import metadata, server

    registry = metadata.MetadataRegistry()
    registry.registerWriter("oai_dc", server.oai_dc_writer)
    provider = server.BatchingServer(repository, metadata_registry=registry, resumption_batch_size=batch_size)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        text = environ.get("QUERY_STRING", "")
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            text = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        arguments = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        body = provider.handleRequest(arguments)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def child_pyoai(options: dict[str, Any]) -> None:
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    _shim_pyoai()
    repository = MemoryRepository(load_pyoai_records(Path(options["static_dir"])))

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

    with make_server(
        "127.0.0.1", options["port"], pyoai_app(repository, options["records_per_page"]), handler_class=Quiet
    ) as httpd:
        httpd.serve_forever()


def child_static(options: dict[str, Any]) -> None:
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Static(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def translate_path(self, path: str) -> str:
            return os.path.join(self.directory, static_name(_query(path)))

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Threads(ThreadingHTTPServer):
        daemon_threads = True

    with Threads(("127.0.0.1", options["port"]), partial(Static, directory=options["static_dir"])) as httpd:
        httpd.serve_forever()


# ---------------------------------------------------------------------- in-process profile (a child)


def child_profile(options: dict[str, Any]) -> None:
    """``respond()`` of the hub's provider without HTTP: ms per page, and a cProfile of the same pages.

    First a walk of ``walk_pages`` consecutive pages, each served once by this process (as in a
    harvest: their graphs are not in the store's caches yet), then ``walk_pages`` more under cProfile;
    each format walks its own part of the list. Then the first and the last page, each repeated
    ``profile_pages`` times (warm), unprofiled, under cProfile, and stage by stage."""
    import cProfile
    import pstats

    from exchange.config import Settings
    from exchange.hub import Hub
    from exchange.provider.protocol import Provider, respond

    repeats = options["profile_pages"]
    logs = Path(options["logs"])
    all_tokens = json.loads(Path(options["tokens_file"]).read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    with Hub.open(Settings(data_dir=Path(options["hub_dir"]), base=BASE)) as hub:
        provider = Provider(
            hub, records_per_page=options["records_per_page"], headers_per_page=options["headers_per_page"]
        )
        for index, (prefix, last_token) in enumerate(options["last_tokens"].items()):
            walked = _walk_in_process(
                provider, prefix, all_tokens.get(prefix, []), 0.25 + 0.4 * index, options["walk_pages"], logs
            )
            pages = {
                "first": [("verb", "ListRecords"), ("metadataPrefix", prefix)],
                "last": [("verb", "ListRecords"), ("resumptionToken", last_token)],
            }
            timed: dict[str, list[float]] = {name: [] for name in pages}
            sizes = {name: len(respond(provider, args)) for name, args in pages.items()}  # warm-up
            for _ in range(repeats):
                for name, args in pages.items():
                    started = time.perf_counter()
                    respond(provider, args)
                    timed[name].append((time.perf_counter() - started) * 1000)
            profiles = {}
            for name, args in pages.items():
                profiler = cProfile.Profile()
                for _ in range(repeats):
                    profiler.runcall(respond, provider, args)
                target = logs / f"profile-{prefix}-{name}.prof"
                profiler.dump_stats(str(target))
                profiles[name] = _profile_summary(pstats.Stats(str(target)), repeats, str(target))
            out[prefix] = {
                "log_copies": _log_copies(hub),
                "bytes": sizes,
                "ms_per_page": {name: statistics.median(values) for name, values in timed.items()},
                "ms_samples": timed,
                "walk": walked,
                "stages_unprofiled": _stages_unprofiled(hub, provider, prefix, last_token, repeats),
                "profile": profiles,
            }
    print(json.dumps(out), flush=True)


def _log_copies(hub: Any) -> int | None:
    """Live items whose record the publication log keeps (None: this log keeps none, before d83e764)."""
    columns = {row[1] for row in hub.state.db.execute("PRAGMA table_info(oai_items)")}
    if "record" not in columns:
        return None
    row = hub.state.db.execute("SELECT COUNT(*) FROM oai_items WHERE deleted = 0 AND record IS NOT NULL").fetchone()
    return int(row[0])


def _walk_in_process(
    provider: Any, prefix: str, tokens: list[str], fraction: float, pages: int, logs: Path
) -> dict[str, Any]:
    """``pages`` consecutive pages from ``fraction`` of the list, each once; then ``pages`` more profiled."""
    import cProfile
    import pstats

    from lxml import etree

    from exchange.provider.protocol import respond

    start = min(int(len(tokens) * fraction), len(tokens) - 1) if tokens else -1
    args = (
        [("verb", "ListRecords"), ("resumptionToken", tokens[start])]
        if tokens
        else [("verb", "ListRecords"), ("metadataPrefix", prefix)]
    )
    samples: list[float] = []
    profiler = cProfile.Profile()
    profiled = 0
    while args and len(samples) + profiled < 2 * pages:
        started = time.perf_counter()
        body = profiler.runcall(respond, provider, args) if len(samples) == pages else respond(provider, args)
        if len(samples) < pages:
            samples.append((time.perf_counter() - started) * 1000)
        else:
            profiled += 1
        token = etree.fromstring(body).findtext(f".//{OAI}resumptionToken")
        args = [("verb", "ListRecords"), ("resumptionToken", token)] if token else []
    result: dict[str, Any] = {
        "start_page": start + 1,
        "pages": len(samples),
        "ms_per_page": statistics.median(samples) if samples else None,
        "ms_samples": samples,
        "profile": None,
    }
    if profiled:
        target = logs / f"profile-{prefix}-walk.prof"
        profiler.dump_stats(str(target))
        result["profile"] = _profile_summary(pstats.Stats(str(target)), profiled, str(target))
    return result


def _stages_unprofiled(hub: Any, provider: Any, prefix: str, last_token: str, repeats: int) -> dict[str, float]:
    """The last page's stages as respond() runs them, each timed alone without the profiler (median ms).

    The same calls as the provider's ``_list`` and ``_records``: the keyset page past the token's
    position, the list's count, the log's kept copies of the records (since d83e764), the record
    graphs of the items without one and the records read from them, the writer. Also says how
    many records of the page came from copies (``kept_copies``) and from the store."""
    from exchange import writers
    from exchange.model import record_from_triples, source_iri
    from exchange.provider import tokens
    from exchange.provider.log import Selection
    from exchange.provider.publish import graph_of

    def timed(key: str, call: Any) -> Any:
        result = call()  # warm-up
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        found[key] = statistics.median(samples)
        return result

    found: dict[str, float] = {}
    token = tokens.decode(last_token, provider.secret(), time.time())
    selection = Selection(token.from_, token.until, token.set_spec)
    base = hub.settings.base
    items = timed("page", lambda: hub.publication.page(selection, token.after, provider.records_per_page + 1))
    timed("count", lambda: hub.publication.count(selection))
    live = [item.item for item in items[: provider.records_per_page] if not item.deleted]
    records: list[Any] = []
    kept: dict[str, Any] = {}
    if hasattr(hub.publication, "records"):  # since d83e764 the log keeps a copy of each served record
        kept = timed("copies", lambda: hub.publication.records(live))
        records += kept.values()
    graphs = [graph_of(base, item) for item in live if item not in kept]
    if graphs:  # the items without a copy are read from the store
        triples = timed("triples", lambda: hub.store.triples(graphs))
        names = {source_iri(base, source.name): source.name for source in hub.state.sources()}
        records += timed("from_triples", lambda: [record_from_triples(g, t, names) for g, t in triples.items()])
    timed("write", lambda: [writers.write(prefix, record) for record in records])
    found["kept_copies"] = len(kept)
    found["read_from_store"] = len(graphs)
    return found


def _where(key: tuple[str, int, str]) -> str:
    file, line, function = key
    for marker in ("site-packages/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    else:
        file = os.path.relpath(file, ROOT) if file.startswith(str(ROOT)) else file
    return f"{function} ({file}:{line})" if line else function


def _profile_summary(stats: Any, pages: int, path: str, top: int = 15) -> dict[str, Any]:
    raw = stats.stats  # {(file, line, function): (primitive calls, calls, tottime, cumtime, callers)}
    total = sum(v[2] for v in raw.values())
    rows = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]
    stages = []
    for key, label, suffix, function in STAGES:
        cumulative = sum(v[3] for k, v in raw.items() if k[0].endswith(suffix) and k[2] == function)
        calls = sum(v[1] for k, v in raw.items() if k[0].endswith(suffix) and k[2] == function)
        stages.append(
            {
                "key": key,
                "stage": label,
                "ms_per_page": cumulative / pages * 1000,
                "calls": calls,
                "share": cumulative / total if total else 0,
            }
        )
    return {
        "file": path,
        "pages": pages,
        "ms_per_page": total / pages * 1000,
        "top_by_own_time": [
            {
                "function": _where(key),
                "calls_per_page": v[1] / pages,
                "own_ms_per_page": v[2] / pages * 1000,
                "cumulative_ms_per_page": v[3] / pages * 1000,
                "share": v[2] / total if total else 0,
            }
            for key, v in rows
        ],
        "stages": stages,
    }


CHILDREN = {"hub": child_hub, "pyoai": child_pyoai, "static": child_static, "profile": child_profile}


# ---------------------------------------------------------------------- orchestration (the parent)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _command(kind: str, options: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "benchmarks.oai", "--child", kind, "--options", json.dumps(options)]


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except (OSError, ValueError):
        return None
    return None


class Server:
    """One server child: started, waited for, watched (RSS), stopped."""

    def __init__(self, kind: str, options: dict[str, Any], logs: Path, ready: dict[str, str], timeout: float) -> None:
        import requests

        self.kind = kind
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/oai"
        self.log = logs / f"{kind}.log"
        started = time.perf_counter()
        with self.log.open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                _command(kind, {**options, "port": self.port}), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )
        self.watch = RssWatch(self.process.pid)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{kind} server exited: {self.log.read_text(encoding='utf-8')[-2000:]}")
            try:
                if requests.get(self.url, params=ready, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.perf_counter() - started > timeout:
                self.stop()
                raise RuntimeError(f"{kind} server not ready after {timeout:.0f} s")
            time.sleep(0.2)
        self.startup_seconds = time.perf_counter() - started
        self.rss_ready_mb = self.rss_mb()

    def rss_mb(self) -> float | None:
        try:
            import psutil

            return psutil.Process(self.process.pid).memory_info().rss / 1e6
        except Exception:
            return None

    def stop(self) -> dict[str, Any]:
        hwm = _vm_hwm_mb(self.process.pid)
        end = self.rss_mb()
        sampled = self.watch.stop()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return {
            "startup_seconds": round(getattr(self, "startup_seconds", 0.0), 2),
            "rss_ready_mb": getattr(self, "rss_ready_mb", None),
            "rss_end_mb": end,
            "peak_rss_mb": hwm,  # VmHWM: the kernel's own peak
            **sampled,
        }


def build(data: Path, options: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    """The hub of N records in DATA/hub (DATA/hub-notag with --no-tag), or the one a previous run left."""
    marker = data / "build.json"
    if marker.exists():
        built = json.loads(marker.read_text(encoding="utf-8"))
        if built.get("records") == options["records"] and built.get("tag") == options["tag"] and built.get("ok"):
            return {**built, "reused": True}
    name = "hub" if options["tag"] else "hub-notag"
    shutil.rmtree(data / name, ignore_errors=True)
    with serve_feed(options["records"], options["feed_page_size"]) as feed:
        result = run_contender(
            name, feed.url, options["records"], data, {"pin": options["pin"], "core": 0, "dump": None}, timeout
        )
    built = {
        "records": options["records"],
        "tag": options["tag"],
        "folder": name,
        "how": f"benchmarks.ingest {name} contender: harvest(full=True, tag={options['tag']}) of the loopback feed",
        "seconds": result.get("seconds"),
        "records_per_second": result.get("records_per_second"),
        "stored": result.get("stored"),
        "assessments": result.get("assessments"),
        "peak_rss_mb": result.get("peak_rss_mb"),
        "store_mb": result.get("store_mb"),
        "hub_code": hub_code(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "ok": bool(result.get("ok")),
        "error": result.get("error"),
    }
    marker.write_text(json.dumps(built, indent=2) + "\n", encoding="utf-8")
    return {**built, "reused": False}


def walk(url: str, verb: str, prefix: str, save: Path | None = None) -> dict[str, Any]:
    """A raw client: requests.get and one lxml parse per page; the tokens met, records counted.

    ``tokens[i]`` is the token that fetches page i+1 (page 0 is the first request)."""
    import requests
    from lxml import etree

    item = "record" if verb == "ListRecords" else "header"
    query = {"verb": verb, "metadataPrefix": prefix}
    tokens: list[str] = []
    per_page: list[int] = []
    identifiers = 0
    size = 0
    started = time.perf_counter()
    while True:
        response = requests.get(url, params=query, timeout=600)
        response.raise_for_status()
        body = response.content
        root = etree.fromstring(body)
        error = root.find(f"{OAI}error")
        if error is not None:
            raise RuntimeError(f"{url} {query}: {error.get('code')}: {error.text}")
        if save is not None:
            (save / static_name(query)).write_bytes(body)
        count = sum(1 for _ in root.iter(f"{OAI}{item}"))
        per_page.append(count)
        identifiers += count
        size += len(body)
        token = root.findtext(f".//{OAI}resumptionToken")
        if not token:
            break
        tokens.append(token)
        query = {"verb": verb, "resumptionToken": token}
    seconds = time.perf_counter() - started
    return {
        "verb": verb,
        "format": prefix,
        "records": identifiers,
        "pages": len(per_page),
        "page_sizes": sorted(set(per_page)),
        "seconds": seconds,
        "records_per_second": identifiers / seconds if seconds else 0.0,
        "mb": size / 1e6,
        "bytes_per_record": size / identifiers if identifiers else 0.0,
        "tokens": tokens,
    }


def sickle_harvest(url: str, prefix: str) -> dict[str, Any]:
    """``Sickle(url).ListRecords(metadataPrefix=prefix)``, every record iterated."""
    from sickle import Sickle

    identifiers: list[str] = []
    started = time.perf_counter()
    for record in Sickle(url).ListRecords(metadataPrefix=prefix):
        identifiers.append(record.header.identifier)
    seconds = time.perf_counter() - started
    return {
        "records": len(identifiers),
        "unique": len(set(identifiers)),
        "seconds": seconds,
        "records_per_second": len(identifiers) / seconds if seconds else 0.0,
        "digest": hashlib.sha1("\n".join(sorted(identifiers)).encode()).hexdigest()[:16],
    }


def page_latency(url: str, verb: str, prefix: str, tokens: Sequence[str], repeats: int) -> dict[str, Any]:
    """Wall time of one request with its body for the first, a middle and the last page, interleaved."""
    import requests
    from lxml import etree

    item = "record" if verb == "ListRecords" else "header"
    pages: dict[str, dict[str, str]] = {"first": {"verb": verb, "metadataPrefix": prefix}}
    if tokens:
        pages["middle"] = {"verb": verb, "resumptionToken": tokens[(len(tokens) - 1) // 2]}
        pages["last"] = {"verb": verb, "resumptionToken": tokens[-1]}
    samples: dict[str, list[float]] = {name: [] for name in pages}
    records: dict[str, int] = {}
    for name, query in pages.items():  # warm-up, and the page must hold records, not an error
        root = etree.fromstring(requests.get(url, params=query, timeout=600).content)
        if root.find(f"{OAI}error") is not None:
            raise RuntimeError(f"{url} {query}: {etree.tostring(root.find(f'{OAI}error'))!r}")
        records[name] = sum(1 for _ in root.iter(f"{OAI}{item}"))
    for _ in range(repeats):
        for name, query in pages.items():
            started = time.perf_counter()
            response = requests.get(url, params=query, timeout=600)
            _ = response.content
            samples[name].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} {query}: HTTP {response.status_code}")
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "verb": verb,
        "format": prefix,
        "pages": len(tokens) + 1,
        "records_on_page": records,
        "ms": medians,
        "ms_samples": samples,
        "last_vs_first": medians["last"] / medians["first"] if "last" in medians and medians["first"] else None,
    }


def run(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else None
    pin = not args.no_pin and affinity is not None and len(affinity) > 1
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    options: dict[str, Any] = {
        "pin": pin,
        "records": args.records,
        "tag": not args.no_tag,
        "feed_page_size": args.feed_page_size,
        "records_per_page": args.records_per_page,
        "headers_per_page": args.headers_per_page,
    }
    report: dict[str, Any] = {
        "benchmark": "oai",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "records": args.records,
        "records_per_page": args.records_per_page,
        "headers_per_page": args.headers_per_page,
        "formats": formats,
        "peers": peers,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "machine": machine(),
        "pinned": pin,
        "libraries": _libraries(),
    }
    code_before, rules_before = hub_code(), rules_code()
    started = time.perf_counter()
    try:
        if pin:  # this process (feed, clients) off core 0; every child pins itself to core 0
            os.sched_setaffinity(0, set(affinity) - {0})
        report["build"] = build(data, options, args.timeout)
        if not report["build"]["ok"] or args.build_only:
            report["hub_code"] = {**code_before, "changed_during_run": code_before != hub_code()}
            return report
        hub_dir = data / report["build"]["folder"]  # the ingest contender's data folder
        static_dir = data / "static"
        shutil.rmtree(static_dir, ignore_errors=True)
        static_dir.mkdir(parents=True)
        served = {**options, "hub_dir": str(hub_dir), "static_dir": str(static_dir)}
        servers: dict[str, Server] = {}
        results: dict[str, Any] = {name: {"walks": {}, "sickle": {}, "latency": {}} for name in ["hub", *peers]}
        try:
            print("[hub] starting uvicorn…", file=sys.stderr, flush=True)
            servers["hub"] = Server("hub", served, logs, {"verb": "Identify"}, args.timeout or 600)
            walks = results["hub"]["walks"]
            for prefix in formats:  # the raw walk: records/s to a raw client, tokens, the static floor's files
                walks[f"ListRecords/{prefix}"] = walk(servers["hub"].url, "ListRecords", prefix, save=static_dir)
                _said("hub", f"raw walk ListRecords {prefix}", walks[f"ListRecords/{prefix}"])
            walks["ListIdentifiers/oai_dc"] = walk(servers["hub"].url, "ListIdentifiers", "oai_dc")
            _said("hub", "raw walk ListIdentifiers", walks["ListIdentifiers/oai_dc"])
            ready_first = {"verb": "ListRecords", "metadataPrefix": formats[0]}
            if "static" in peers:
                servers["static"] = Server("static", served, logs, ready_first, 120)
            if "pyoai" in peers and "oai_dc" in formats:
                print("[pyoai] loading the records…", file=sys.stderr, flush=True)
                servers["pyoai"] = Server("pyoai", served, logs, {"verb": "Identify"}, args.timeout or 1800)
            for name in servers:
                if name == "hub":
                    continue
                for prefix in formats if name == "static" else ["oai_dc"]:
                    results[name]["walks"][f"ListRecords/{prefix}"] = walk(servers[name].url, "ListRecords", prefix)
                    _said(name, f"raw walk ListRecords {prefix}", results[name]["walks"][f"ListRecords/{prefix}"])
            if "pyoai" in servers:
                results["pyoai"]["walks"]["ListIdentifiers/oai_dc"] = walk(
                    servers["pyoai"].url, "ListIdentifiers", "oai_dc"
                )
            for round_ in range(args.rounds):
                for prefix in formats:
                    for name, server in servers.items():
                        if name == "pyoai" and prefix != "oai_dc":
                            continue
                        harvest = sickle_harvest(server.url, prefix)
                        results[name]["sickle"].setdefault(prefix, []).append(harvest)
                        _said(name, f"Sickle {prefix} round {round_ + 1}", harvest)
            for name, server in servers.items():
                for key, walked in results[name]["walks"].items():
                    if name == "static" and key.startswith("ListIdentifiers"):
                        continue
                    verb, prefix = key.split("/")
                    results[name]["latency"][key] = page_latency(
                        server.url, verb, prefix, walked["tokens"], args.repeats
                    )
                    lat = results[name]["latency"][key]
                    print(
                        f"[{name}] {key} page ms: first {lat['ms']['first']:.1f}, last {lat['ms'].get('last', 0):.1f}",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            for name, server in servers.items():
                results[name]["server"] = server.stop()
        last_tokens = {
            prefix: results["hub"]["walks"][f"ListRecords/{prefix}"]["tokens"][-1]
            for prefix in formats
            if results["hub"]["walks"].get(f"ListRecords/{prefix}", {}).get("tokens")
        }
        tokens_file = logs / "tokens.json"  # the profile child walks part of the list from them
        tokens_file.write_text(
            json.dumps({p: results["hub"]["walks"][f"ListRecords/{p}"]["tokens"] for p in last_tokens}),
            encoding="utf-8",
        )
        for result in results.values():  # the tokens served their purpose; the report keeps their count
            for walked in result["walks"].values():
                walked["token_count"] = len(walked.pop("tokens"))
        report["results"] = results
        if args.profile_pages > 0:
            report["in_process"] = _profile(served, last_tokens, logs, args)
        report["static_mb"] = round(sum(p.stat().st_size for p in static_dir.iterdir()) / 1e6, 1)
        if not args.keep_static:
            shutil.rmtree(static_dir, ignore_errors=True)
    finally:
        if pin:
            os.sched_setaffinity(0, affinity)
    code_after = hub_code()
    report["hub_code"] = {**code_before, "changed_during_run": code_before != code_after}
    report["rules_code"] = {**rules_before, "changed_during_run": rules_before != rules_code()}
    report["seconds_total"] = round(time.perf_counter() - started, 1)
    report["summary"] = summarize(report)
    return report


def _profile(
    served: dict[str, Any], last_tokens: dict[str, str], logs: Path, args: argparse.Namespace
) -> dict[str, Any]:
    print("[profile] respond() in process…", file=sys.stderr, flush=True)
    options = {
        **served,
        "last_tokens": last_tokens,
        "tokens_file": str(logs / "tokens.json"),
        "profile_pages": args.profile_pages,
        "walk_pages": args.walk_pages,
        "logs": str(logs),
    }
    command = _command("profile", options)
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=args.timeout, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr or "no output")[-2000:]}
    return json.loads(lines[-1])


def _said(name: str, what: str, result: dict[str, Any]) -> None:
    print(
        f"[{name}] {what}: {result['records']:,} records in {result['seconds']:.1f} s "
        f"({result['records_per_second']:,.0f} records/s)",
        file=sys.stderr,
        flush=True,
    )


def _libraries() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("sickle", "pyoai", "uvicorn", "fastapi", "pyoxigraph", "lxml", "requests", "psutil"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "missing"
    return found


# ---------------------------------------------------------------------- summary and tables


def _median_rate(harvests: Sequence[dict[str, Any]]) -> float | None:
    return statistics.median(h["records_per_second"] for h in harvests) if harvests else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    results = report.get("results", {})
    records = report["records"]
    hub = results.get("hub", {})
    speed: dict[str, dict[str, float | None]] = {}
    checks: dict[str, bool] = {}
    hub_digest = {p: (hub.get("sickle", {}).get(p) or [{}])[0].get("digest") for p in report["formats"]}
    for name, result in results.items():
        speed[name] = {}
        for prefix, harvests in result.get("sickle", {}).items():
            speed[name][prefix] = _median_rate(harvests)
            checks[f"{name}/{prefix}"] = all(
                h["records"] == h["unique"] == records and h["digest"] == hub_digest.get(prefix) for h in harvests
            )
        for key, walked in result.get("walks", {}).items():
            checks[f"{name}/walk/{key}"] = walked["records"] == records
    ratios = {}
    for prefix in report["formats"]:
        for peer in report["peers"]:
            ratios[f"hub_vs_{peer}_{prefix}"] = _ratio(
                speed.get("hub", {}).get(prefix), speed.get(peer, {}).get(prefix)
            )
    latency = {
        f"{name}/{key}": lat.get("last_vs_first")
        for name, result in results.items()
        for key, lat in result.get("latency", {}).items()
    }
    hub_rate = speed.get("hub", {}).get("oai_dc")
    hub_ratios = [v for k, v in latency.items() if k.startswith("hub/ListRecords/") and v is not None]
    return {
        "records_per_second": speed,
        "ratios": ratios,
        "last_vs_first": latency,
        "checks": checks,
        "targets": {
            "hub_records_per_second_oai_dc": None if hub_rate is None else hub_rate >= TARGETS["records_per_second"],
            "hub_last_within_1.2x_of_first": (
                all(v <= TARGETS["last_vs_first"] for v in hub_ratios) if hub_ratios else None
            ),
        },
        "ok": bool(checks) and all(checks.values()),
    }


def _n(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


THROUGHPUT_HEAD = ["server", "format", "Sickle records/s", "hub ÷ server", "raw client records/s", "KB per record"]
LATENCY_HEAD = ["server", "list", "page size", "first ms", "middle ms", "last ms", "last ÷ first"]
RSS_HEAD = ["server", "RSS when ready MB", "peak RSS MB (VmHWM)", "sampled peak MB", "startup s"]
STAGE_HEAD = [
    "stage",
    "walk ms (pages served once)",
    "first page ms",
    "last page ms",
    "share of last page",
    "last page, stage timed alone ms",
]
TOP_HEAD = ["function", "calls per page", "own ms per page", "cumulative ms per page", "share"]


def throughput_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    speed = report["summary"]["records_per_second"]
    for name, result in report.get("results", {}).items():
        for prefix in report["formats"]:
            rate = speed.get(name, {}).get(prefix)
            walked = result.get("walks", {}).get(f"ListRecords/{prefix}")
            if rate is None and walked is None:
                continue
            rows.append(
                [
                    name,
                    prefix,
                    _n(rate),
                    _n(_ratio(speed.get("hub", {}).get(prefix), rate), 2),
                    _n(walked["records_per_second"]) if walked else "—",
                    _n(walked["bytes_per_record"] / 1000, 2) if walked else "—",
                ]
            )
    return rows


def latency_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, result in report.get("results", {}).items():
        for key, lat in result.get("latency", {}).items():
            ms = lat["ms"]
            rows.append(
                [
                    name,
                    key,
                    str(lat["records_on_page"]["first"]),
                    _n(ms["first"], 1),
                    _n(ms.get("middle"), 1),
                    _n(ms.get("last"), 1),
                    _n(lat["last_vs_first"], 2),
                ]
            )
    return rows


def rss_rows(report: dict[str, Any]) -> list[list[str]]:
    return [
        [
            name,
            _n(result["server"].get("rss_ready_mb")),
            _n(result["server"].get("peak_rss_mb")),
            _n(result["server"].get("peak_sampled_mb")),
            _n(result["server"].get("startup_seconds"), 1),
        ]
        for name, result in report.get("results", {}).items()
        if "server" in result
    ]


def stage_rows(report: dict[str, Any], prefix: str) -> list[list[str]]:
    """The provider's stages under cProfile (walk, first and last page), and timed alone without it."""
    in_process = report.get("in_process", {}).get(prefix, {})
    profile = in_process.get("profile", {})
    if "first" not in profile or "last" not in profile:
        return []
    alone = in_process.get("stages_unprofiled", {})
    walk = in_process.get("walk") or {}
    walk_profile = walk.get("profile") or {}
    walk_stages = {row["key"]: row for row in walk_profile.get("stages", [])}
    unprofiled = in_process["ms_per_page"]
    plain = [_n(walk.get("ms_per_page"), 1), _n(unprofiled["first"], 1), _n(unprofiled["last"], 1)]
    profiled = [_n(walk_profile.get("ms_per_page"), 1)]
    profiled += [_n(profile["first"]["ms_per_page"], 1), _n(profile["last"]["ms_per_page"], 1)]
    rows = [["respond(), unprofiled", *plain, "", ""], ["respond(), under cProfile", *profiled, "100%", ""]]
    for first, last in zip(profile["first"]["stages"], profile["last"]["stages"], strict=True):
        key = first.get("key", "")
        rows.append(
            [
                first["stage"],
                _n(walk_stages[key]["ms_per_page"], 1) if key in walk_stages else "—",
                _n(first["ms_per_page"], 1),
                _n(last["ms_per_page"], 1),
                f"{last['share']:.0%}",
                _n(alone[key], 1) if key in alone else "",
            ]
        )
    return rows


def copies_line(report: dict[str, Any], prefix: str) -> str:
    """Where the records of the profiled pages came from: the log's copies or the store."""
    in_process = report.get("in_process", {}).get(prefix, {})
    alone = in_process.get("stages_unprofiled", {})
    if "read_from_store" not in alone:
        return ""
    kept = in_process.get("log_copies")
    where = "the log keeps no copies (code before d83e764)" if kept is None else f"the log keeps {kept:,} copies"
    return (
        f"{prefix}: {where}; the last page's {alone.get('kept_copies', 0) + alone['read_from_store']} records: "
        f"{alone.get('kept_copies', 0)} from copies, {alone['read_from_store']} read from the store"
    )


def top_rows(report: dict[str, Any], prefix: str, page: str = "last", top: int = 12) -> list[list[str]]:
    profile = report.get("in_process", {}).get(prefix, {}).get("profile", {}).get(page)
    if not profile:
        return []
    return [
        [
            f"`{row['function']}`",
            _n(row["calls_per_page"]),
            _n(row["own_ms_per_page"], 1),
            _n(row["cumulative_ms_per_page"], 1),
            f"{row['share']:.0%}",
        ]
        for row in profile["top_by_own_time"][:top]
    ]


def _code_line(report: dict[str, Any]) -> str:
    code = report.get("hub_code", {})
    changed = "  WARNING: changed during the run" if code.get("changed_during_run") else ""
    return (
        f"hub code: {code.get('commit')}{' + uncommitted changes' if code.get('dirty') else ''} "
        f"(sources {code.get('sources_sha1')}){changed}"
    )


def table(report: dict[str, Any]) -> str:
    def lines(head: list[str], rows: list[list[str]], left: int) -> list[str]:
        if not rows:
            return []
        widths = [max(len(str(x)) for x in column) for column in zip(head, *rows, strict=True)]
        fmt = [(str.ljust if i < left else str.rjust) for i in range(len(head))]
        return ["  ".join(f(str(c), w) for f, c, w in zip(fmt, row, widths, strict=True)) for row in [head, *rows]]

    build = report.get("build", {})
    out = [
        _code_line(report),
        f"records: {report['records']:,}   page: {report['records_per_page']} records, "
        f"{report['headers_per_page']} headers   pinned: {report['pinned']}   "
        f"build: {'reused' if build.get('reused') else _n(build.get('seconds'), 0) + ' s'}",
    ]
    if "summary" not in report:
        return "\n".join(out)
    out += ["", *lines(THROUGHPUT_HEAD, throughput_rows(report), 2), ""]
    out += [*lines(LATENCY_HEAD, latency_rows(report), 2), "", *lines(RSS_HEAD, rss_rows(report), 1)]
    for prefix in report["formats"]:
        if stage_rows(report, prefix):
            out += ["", f"in process, {prefix}:", copies_line(report, prefix)]
            out += lines(STAGE_HEAD, stage_rows(report, prefix), 1)
            out += ["", *lines(TOP_HEAD, top_rows(report, prefix), 1)]
    summary = report["summary"]
    out += ["", f"targets: {summary['targets']}", f"checks ok: {summary['ok']}"]
    return "\n".join(out)


def markdown(report: dict[str, Any]) -> str:
    def md(head: list[str], rows: list[list[str]], left: int) -> list[str]:
        align = ["---" if i < left else "---:" for i in range(len(head))]
        return [f"| {' | '.join(head)} |", f"| {' | '.join(align)} |", *(f"| {' | '.join(r)} |" for r in rows)]

    out = [*md(THROUGHPUT_HEAD, throughput_rows(report), 2), "", *md(LATENCY_HEAD, latency_rows(report), 2)]
    out += ["", *md(RSS_HEAD, rss_rows(report), 1)]
    for prefix in report["formats"]:
        if stage_rows(report, prefix):
            out += ["", copies_line(report, prefix), "", *md(STAGE_HEAD, stage_rows(report, prefix), 1)]
            out += ["", *md(TOP_HEAD, top_rows(report, prefix), 1)]
    return "\n".join(out)


# ---------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.oai", description="OAI-PMH provider benchmark: the hub vs pyoai vs static files."
    )
    parser.add_argument("--records", type=int, default=100_000, help="records in the hub (N)")
    parser.add_argument("--data", metavar="DIR", help="build the hub in DIR and keep it; a later run reuses it")
    parser.add_argument("--build-only", action="store_true", help="build (or check) the hub in --data and stop")
    parser.add_argument("--no-tag", action="store_true", help="build without tagging (faster; no tag sets)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="formats to harvest (default oai_dc,eduhub)")
    parser.add_argument("--peers", default="pyoai,static", help="peers to run: pyoai, static")
    parser.add_argument("--records-per-page", type=int, default=100, help="ListRecords page (hub and pyoai)")
    parser.add_argument("--headers-per-page", type=int, default=500, help="the hub's ListIdentifiers page")
    parser.add_argument("--feed-page-size", type=int, default=100, help="page size of the feed the build harvests")
    parser.add_argument("--rounds", type=int, default=1, help="Sickle harvests of each server and format")
    parser.add_argument("--repeats", type=int, default=7, help="timed requests of each page for the latencies")
    parser.add_argument("--profile-pages", type=int, default=5, help="pages respond() is timed and profiled on")
    parser.add_argument(
        "--walk-pages", type=int, default=10, help="pages respond() walks once, then as many under cProfile"
    )
    parser.add_argument("--keep-static", action="store_true", help="keep the pre-rendered files in DIR/static")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (tables go to stderr)")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/oai-<date>-<N>.json")
    parser.add_argument("--save-to", metavar="PATH", help="write the report to PATH instead")
    parser.add_argument("--markdown", action="store_true", help="also print the markdown tables")
    parser.add_argument("--render", metavar="FILE", help="print the tables of a saved report and exit")
    parser.add_argument("--timeout", type=float, help="seconds after which the build or a server start fails")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers to core 0 and clients off it")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _size(records: int) -> str:
    return f"{records // 1000}k" if records % 1000 == 0 and records >= 1000 else str(records)


@contextmanager
def _workdir(data: str | None) -> Iterator[Path]:
    if data:
        path = Path(data)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="eduhub-oai-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        options = json.loads(args.options)
        if options.get("pin"):
            pin_to_one_core(0)
        CHILDREN[args.child](options)
        return 0
    if args.render:
        report = json.loads(Path(args.render).read_text(encoding="utf-8"))
        print(table(report), "", markdown(report), sep="\n")
        return 0
    if args.records < 1 or args.records_per_page < 1 or args.headers_per_page < 1 or args.rounds < 1:
        raise SystemExit("--records, --records-per-page, --headers-per-page and --rounds must be at least 1")
    with _workdir(args.data) as data:
        report = run(args, data)
    text = table(report)
    if args.markdown and "summary" in report:
        text += "\n\n" + markdown(report)
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.save or args.save_to:
        name = f"oai-{dt.date.today().isoformat()}-{_size(args.records)}.json"
        target = Path(args.save_to) if args.save_to else RESULTS / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"saved {target}", file=sys.stderr)
    if args.build_only:
        return 0 if report["build"].get("ok") else 1
    return 0 if report.get("summary", {}).get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
