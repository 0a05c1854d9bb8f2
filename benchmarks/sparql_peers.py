"""SPARQL benchmark: the hub's ``/sparql`` against ``oxigraph serve`` and rdflib-endpoint, over HTTP, in one run.

``python -m benchmarks.sparql_peers --records 100000`` measures how fast the hub's query surface answers
against its peers. The same N-record dataset goes into three servers on 127.0.0.1, each its own process
pinned to core 0 (this process, the client, runs on the other cores):

hub
    ``eduhub serve --no-schedule`` on a hub data folder built through the hub's real pipeline: the
    loopback feed of :mod:`benchmarks.feed` (synthetic records from real LOM templates) registered and
    harvested with ``eduhub sources add`` / ``eduhub harvest`` (crosswalks, validation, tagging), as a
    user would. Its ``/sparql`` (SPARQL 1.1 Protocol; the default graph is the union of all graphs).
oxigraph (the floor)
    ``oxigraph serve --union-default-graph`` (the native Rust server of the engine the hub embeds) on a
    store made by ``oxigraph load`` of the hub's dump: ``eduhub export --format nquads`` plus the graphs
    the dump leaves out (the vocabulary graphs that ship with the hub, cluster keys), read from the hub
    with ``eduhub query``; then ``oxigraph optimize`` (compaction: a store straight from the bulk loader
    answered heavy queries about 25 % slower). So all three hold exactly the same quads, and each
    server's quad count is checked against the hub's before anything is timed.
rdflib (the common Python choice)
    an rdflib ``Dataset(default_union=True)`` parsed from the same two N-Quads files and served by
    rdflib-endpoint's ``SparqlEndpoint`` under uvicorn, in its own process. Its load (parse) time and
    memory are measured; if it cannot load within ``--rdflib-load-timeout`` or ``--rdflib-max-rss-mb``
    it is reported as not loaded at N, with why, and the run goes on with the other two.

The dataset (hub folder, dump, extra graphs, oxigraph store) is built once per N under ``--workdir``
and reused by later runs (``--rebuild`` starts over).

Every query of the mix (``QUERIES``: selective lookups, facet aggregations, text filters, a CONSTRUCT of
one record's graph, vocabulary joins, tag filters) is sent the same way to each server with one httpx
client: POST with an ``application/sparql-query`` body (SPARQL 1.1 Protocol, "query via POST
directly"), ``Accept: application/sparql-results+json`` or ``application/n-triples``. First a verification
pass: each answer is normalised (result rows as canonical N-Triples terms, numbers by value; ordered
queries compared in order, others as multisets; CONSTRUCT as a set of triples) and the three must agree,
or the run stops with the differences (``--keep-going`` times the rest anyway). Then per query
``--warmup`` untimed requests per server and ``--repeat`` timed ones, the servers taking turns
(round-robin, the first server rotating every round) so machine noise hits all alike. A server whose
warm-up request took long gets fewer repetitions (``--max-seconds`` per query and server, at least 3).

Reported: p50/p95 per query and server (client wall time, request sent to body read), hub ÷ oxigraph and
rdflib ÷ hub per query (of the p50s), their geometric means over the mix, load time and startup per
server, RSS when ready and peak RSS of each server's process tree (psutil every 100 ms, and VmHWM).
``--json [PATH]`` writes the report (default ``benchmarks/results/sparql-peers-<date>-<N>.json``),
``--render FILE`` prints the tables of a saved report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from benchmarks.feed import Feed
from benchmarks.feed import serve as serve_feed
from benchmarks.ingest import BASE, SOURCE, hub_code, machine, rules_code

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CONTENDERS = ("hub", "oxigraph", "rdflib")
LABELS = {"hub": "hub", "oxigraph": "oxigraph serve", "rdflib": "rdflib-endpoint"}
#: the issue's targets over the mix (geometric mean of the per-query p50 ratios), at 100,000 records
TARGETS = {"hub_vs_oxigraph_at_most": 1.5, "rdflib_vs_hub_at_least": 5.0}
SELECT_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "application/n-triples"
READY_QUERY = "ASK { ?s ?p ?o }"
COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
DATE_TIME = "http://www.w3.org/2001/XMLSchema#dateTime"
PREFIXES = """PREFIX schema: <http://schema.org/>
PREFIX hub: <https://w3id.org/eduhub/ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
NUMERIC = {
    f"http://www.w3.org/2001/XMLSchema#{name}"
    for name in (
        *("integer", "decimal", "double", "float", "int", "long", "short", "byte"),
        *("nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger"),
        *("unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"),
    )
}


# ---------------------------------------------------------------------- child processes


#: runs first in every child: dies with this process (PR_SET_PDEATHSIG, kept across exec), then pins
#: itself to one core and execs the server. A wrapper instead of ``preexec_fn``, which is not safe once
#: this process has threads (the RSS monitor).
_LAUNCH = """
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
if os.getppid() != int(sys.argv[1]):
    sys.exit("parent gone")
if sys.argv[2] != "-":
    os.sched_setaffinity(0, {int(sys.argv[2])})
os.execvp(sys.argv[3], sys.argv[3:])
"""


def launcher(command: Sequence[str], core: int | None) -> list[str]:
    """``command`` behind the launch wrapper (Linux); as it is elsewhere."""
    if not sys.platform.startswith("linux"):
        return list(command)
    return [sys.executable, "-c", _LAUNCH, str(os.getpid()), "-" if core is None else str(core), *command]


def run_logged(command: Sequence[str], log: Path, core: int | None, timeout: float | None) -> float:
    """Run a command to completion, output appended to ``log``; wall seconds. Raises on failure."""
    started = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        done = subprocess.run(
            launcher(command, core), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command[:4])}… exited {done.returncode}; see {log}:\n{tail}")
    return time.perf_counter() - started


def eduhub(*arguments: str) -> list[str]:
    """An ``eduhub`` command line, run by this interpreter from the repository (the code being measured)."""
    return [sys.executable, "-m", "exchange.cli", *arguments]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def oxigraph_binary(given: str | None) -> str:
    """The ``oxigraph`` CLI (PyPI ``oxigraph``): the one beside this interpreter, else on PATH."""
    if given:
        return given
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise SystemExit("the oxigraph CLI is missing: pip install oxigraph (it is in the bench and test extras)")
    return found


# ---------------------------------------------------------------------- the dataset (built once per N)


def size_name(records: int) -> str:
    return f"{records // 1000}k" if records % 1000 == 0 and records >= 1000 else str(records)


def build_dataset(args: argparse.Namespace, workdir: Path, pin: bool) -> dict[str, Any]:
    """The hub folder, its dump and extra graphs, and the oxigraph store for N records: reused if complete."""
    folder = workdir / f"records-{args.records}"
    manifest_path = folder / "manifest.json"
    if manifest_path.exists() and not args.rebuild:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("complete") and manifest.get("records") == args.records and manifest.get("base") == BASE:
            print(f"[dataset] reusing {folder} (built {manifest['built_at']})", file=sys.stderr, flush=True)
            return {**manifest, "reused": True, "folder": str(folder)}
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log = folder / "build.log"
    hub_dir, export, extra = folder / "hub", folder / "export.nq", folder / "extra-graphs.nq"
    core = 0 if pin else None
    common = ["--data", str(hub_dir), "--base", BASE]
    code = hub_code()
    print(f"[dataset] harvesting {args.records:,} records into {hub_dir}…", file=sys.stderr, flush=True)
    with serve_feed(args.records, args.page_size) as server:
        run_logged(eduhub("sources", "add", SOURCE, server.url, *common), log, core, 120)
        summary_file = folder / "harvest.json"
        started = time.perf_counter()
        with summary_file.open("wb") as out, log.open("ab") as errors:
            done = subprocess.run(
                launcher(eduhub("harvest", SOURCE, "--json", *common), core),
                cwd=ROOT,
                stdout=out,
                stderr=errors,
                timeout=args.build_timeout,
                check=False,
            )
        harvest_wall = time.perf_counter() - started
    harvest = json.loads(summary_file.read_text(encoding="utf-8"))[0]
    if done.returncode != 0 or harvest.get("status") != "ok" or harvest.get("records") != args.records:
        raise RuntimeError(f"the harvest failed or is short: {harvest}; see {log}")
    print(f"[dataset] harvested in {harvest['seconds']:.1f} s; exporting…", file=sys.stderr, flush=True)
    export_seconds = run_logged(
        eduhub("export", "--format", "nquads", "--output", str(export), *common), log, core, args.build_timeout
    )
    export_quads, export_graphs = scan_nquads(export)
    store_graphs = set(hub_select(hub_dir, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", folder, "g"))
    extra_graphs = sorted(store_graphs - export_graphs)
    extra_quads = write_extra_graphs(hub_dir, extra_graphs, extra, folder)
    store_quads = int(hub_select(hub_dir, COUNT_QUADS, folder, "n")[0])
    resources = int(
        hub_select(
            hub_dir, "SELECT (COUNT(?r) AS ?n) WHERE { ?r a <http://schema.org/LearningResource> }", folder, "n"
        )[0]
    )
    if export_graphs - store_graphs or export_quads + extra_quads != store_quads or resources != args.records:
        raise RuntimeError(
            f"the dump and the hub's store differ: export {export_quads:,} + extra {extra_quads:,} quads, "
            f"store {store_quads:,}; graphs only in the export: {sorted(export_graphs - store_graphs)[:5]}; "
            f"{resources:,} resources for {args.records:,} records"
        )
    print(f"[dataset] {store_quads:,} quads; oxigraph load and optimize…", file=sys.stderr, flush=True)
    oxigraph_dir = folder / "oxigraph"
    load = [
        oxigraph_binary(args.oxigraph),
        "load",
        "--location",
        str(oxigraph_dir),
        "-f",
        str(export),
        "-f",
        str(extra),
    ]
    oxigraph_seconds = run_logged(load, log, core, args.build_timeout)
    # compacted, as a settled store is: a freshly bulk-loaded one answered heavy queries ~25 % slower in-process
    # (pyoxigraph, 5,000 records) than the hub's own store or the same store after optimize
    optimize_seconds = run_logged(
        [oxigraph_binary(args.oxigraph), "optimize", "--location", str(oxigraph_dir)], log, core, args.build_timeout
    )
    manifest = {
        "complete": True,
        "records": args.records,
        "base": BASE,
        "page_size": args.page_size,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "hub_code_at_build": code,
        "rules_code_at_build": rules_code(),
        "harvest": {
            "seconds": harvest["seconds"],
            "wall_seconds": round(harvest_wall, 2),
            "records": harvest["records"],
            "quarantined": harvest["quarantined"],
            "pages": harvest["pages"],
            "pinned_core": core,
        },
        "export": {"seconds": round(export_seconds, 2), "bytes": export.stat().st_size, "quads": export_quads},
        "extra_graphs": {"graphs": len(extra_graphs), "quads": extra_quads, "bytes": extra.stat().st_size},
        "quads": store_quads,
        "graphs": len(store_graphs),
        "oxigraph_load": {
            "seconds": round(oxigraph_seconds + optimize_seconds, 2),
            "load_seconds": round(oxigraph_seconds, 2),
            "optimize_seconds": round(optimize_seconds, 2),
            "command": "oxigraph load --location DIR -f export.nq -f extra-graphs.nq; oxigraph optimize --location DIR",
            "pinned_core": core,
            "store_mb": folder_mb(oxigraph_dir),
        },
        "hub_store_mb": folder_mb(hub_dir / "store"),
        "files": {"hub": "hub", "export": export.name, "extra": extra.name, "oxigraph": "oxigraph"},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return {**manifest, "reused": False, "folder": str(folder)}


def scan_nquads(path: Path) -> tuple[int, set[str]]:
    """Quads in an N-Quads file and the names of its graphs (the last term of every line)."""
    count, graphs = 0, set()
    with path.open("rb") as handle:
        for line in handle:
            line = line.rstrip()
            if not line or line.startswith(b"#"):
                continue
            count += 1
            graph = line[:-1].rstrip().rsplit(b" ", 1)[-1]
            if graph.startswith(b"<") and graph.endswith(b">"):
                graphs.add(graph[1:-1].decode())
    return count, graphs


def hub_select(hub_dir: Path, query: str, folder: Path, variable: str) -> list[str]:
    """One variable's values from ``eduhub query`` (read-only on the hub folder), as plain strings."""
    import pyoxigraph as ox

    target = folder / "query.json"
    with target.open("wb") as out:
        subprocess.run(
            eduhub("query", query, "--format", "json", "--data", str(hub_dir), "--base", BASE),
            cwd=ROOT,
            stdout=out,
            check=True,
            timeout=3600,
        )
    values = [s[variable].value for s in ox.parse_query_results(path=target, format=ox.QueryResultsFormat.JSON)]
    target.unlink()
    return values


def write_extra_graphs(hub_dir: Path, graphs: Sequence[str], target: Path, folder: Path) -> int:
    """The quads of ``graphs`` (those the dump leaves out) read with ``eduhub query``, written as N-Quads."""
    import pyoxigraph as ox

    if not graphs:
        target.write_bytes(b"")
        return 0
    values = " ".join(f"<{g}>" for g in graphs)
    query = f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    results = folder / "extra-graphs.json"
    with results.open("wb") as out:
        subprocess.run(
            eduhub("query", "-", "--format", "json", "--data", str(hub_dir), "--base", BASE),
            cwd=ROOT,
            input=query.encode(),
            stdout=out,
            check=True,
            timeout=3600,
        )
    solutions = ox.parse_query_results(path=results, format=ox.QueryResultsFormat.JSON)
    quads = [ox.Quad(s["s"], s["p"], s["o"], s["g"]) for s in solutions]
    ox.serialize(quads, output=target, format=ox.RdfFormat.N_QUADS)
    results.unlink()
    return len(quads)


def folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6, 1)


# ---------------------------------------------------------------------- servers


class RssWatch:
    """Samples the RSS of a process and all its descendants (a server's worker pool included) every 100 ms."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_mb = 0.0
        self.current_mb = 0.0
        self.processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)
        self._thread.start()

    def sample(self) -> float:
        import psutil

        total, count = 0, 0
        try:
            family = [self.process, *self.process.children(recursive=True)]
        except psutil.Error:
            return self.current_mb
        for member in family:
            with suppress(psutil.Error):
                total += member.memory_info().rss
                count += 1
        self.current_mb = total / 1e6
        self.processes = max(self.processes, count)
        self.peak_mb = max(self.peak_mb, self.current_mb)
        return self.current_mb

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def vm_hwm_mb(pid: int) -> float | None:
    """The kernel's peak RSS of one process (VmHWM), in MB; None off Linux or once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None


@dataclass
class Server:
    """One contender's server process: started, waited for, watched, stopped (its whole process group)."""

    name: str
    command: list[str]
    url: str
    log: Path
    core: int | None
    env: dict[str, str] = field(default_factory=dict)
    ready_file: Path | None = None
    max_rss_mb: float | None = None
    process: subprocess.Popen[bytes] | None = None
    watch: RssWatch | None = None
    started: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        self.started = time.perf_counter()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                launcher(self.command, self.core),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,  # its own process group: stop() ends workers it may start too
            )
        self.watch = RssWatch(self.process.pid)

    def wait_ready(self, client: Any, timeout: float) -> None:
        """Until the endpoint answers an ASK over HTTP (raises, with the log's tail, if the process dies or time is
        up, or rdflib's RSS goes over its cap)."""
        assert self.process is not None and self.watch is not None
        deadline = time.perf_counter() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.log_tail()}")
            if self.max_rss_mb and self.watch.current_mb > self.max_rss_mb:
                raise RuntimeError(
                    f"{self.name} went over --rdflib-max-rss-mb ({self.watch.current_mb:,.0f} > "
                    f"{self.max_rss_mb:,.0f} MB) after {time.perf_counter() - self.started:,.0f} s"
                )
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{self.name} was not ready after {timeout:,.0f} s")
            try:  # any HTTP answer means the server is up: an error status is for the verification to report
                answer = client.post(self.url, content=READY_QUERY.encode(), headers=_headers("select"), timeout=30)
                self.info["ready_status"] = answer.status_code
                break
            except Exception:  # not listening yet
                time.sleep(0.2)
        self.info["startup_seconds"] = round(time.perf_counter() - self.started, 2)
        self.info["rss_ready_mb"] = round(self.watch.sample(), 1)
        if self.ready_file and self.ready_file.exists():
            self.info.update(json.loads(self.ready_file.read_text(encoding="utf-8")))

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-2000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.watch is not None:
            self.watch.sample()
            self.info["peak_rss_mb"] = round(self.watch.peak_mb, 1)
            self.info["processes"] = self.watch.processes
        hwm = vm_hwm_mb(self.process.pid)
        if hwm is not None:
            self.info["vm_hwm_mb"] = round(hwm, 1)
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        with suppress(ProcessLookupError):  # workers left in its group
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.watch is not None:
            self.watch.stop()
        self.process = None


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


def hub_limits(seconds: float | None) -> tuple[list[str], dict[str, str], str]:
    """The hub's SPARQL time budget raised to ``seconds``: ``EDUHUB_QUERY_TIMEOUT`` in its environment, and the
    flag of ``eduhub serve`` for it if this hub has one (found in its --help), which wins over the environment."""
    if seconds is None:
        return [], {}, "the hub's own default (--hub-query-timeout 0)"
    env = {"EDUHUB_QUERY_TIMEOUT": f"{seconds:g}"}
    text = subprocess.run(eduhub("serve", "--help"), cwd=ROOT, capture_output=True, text=True, check=False).stdout
    flags = [f for f in re.findall(r"(--[a-z][a-z-]*)", text) if re.search(r"(sparql|query).*(timeout|budget)", f)]
    if not flags:
        return [], env, f"EDUHUB_QUERY_TIMEOUT={seconds:g} (eduhub serve has no flag for it)"
    return [flags[0], f"{seconds:g}"], env, f"{flags[0]} {seconds:g} and EDUHUB_QUERY_TIMEOUT={seconds:g}"


def announced_limits(client: Any, url: str) -> str | None:
    """What the hub's service description says one query may use (its time budget and caps), if it says so:
    the check that ``--hub-query-timeout`` took effect."""
    try:
        text = client.get(url, headers={"Accept": "text/turtle"}, timeout=30).text
    except Exception:  # an older hub, or none: nothing announced
        return None
    found = re.search(r"may run [^.;\"]*", text)
    return found.group(0) if found else None


def child_rdflib(options: dict[str, Any]) -> None:
    """The rdflib contender: parse the dump into a Dataset (default graph = union), serve it with rdflib-endpoint."""
    import uvicorn
    from rdflib import Dataset
    from rdflib_endpoint import SparqlEndpoint

    started = time.perf_counter()
    dataset = Dataset(default_union=True)
    for path in options["files"]:
        dataset.parse(path, format="nquads")
    load_seconds = time.perf_counter() - started
    quads = sum(len(g) for g in dataset.graphs())
    Path(options["ready_file"]).write_text(
        json.dumps({"load_seconds": round(load_seconds, 2), "quads_loaded": quads}), encoding="utf-8"
    )
    app = SparqlEndpoint(graph=dataset, path="/sparql", title="rdflib-endpoint peer", cors_enabled=False)
    uvicorn.run(app, host="127.0.0.1", port=options["port"], log_level="warning")


# ---------------------------------------------------------------------- the query mix


@dataclass(frozen=True)
class Query:
    name: str
    group: str
    what: str
    text: str
    kind: str = "select"  # select | construct
    ordered: bool = False  # compare answers in order (ORDER BY fixes a total order), else as multisets


def parameters(client: Any, url: str, records: int) -> dict[str, Any]:
    """Values for the mix, read from the data: the first record from K = 0.37 N on (the templates take
    turns, and one of them has no keyword) with an identifier, keyword, title, description and creator."""

    def first(query: str) -> Any:
        answer = client.post(url, content=(PREFIXES + query).encode(), headers=_headers("select"), timeout=600)
        answer.raise_for_status()
        rows = list(_solutions(answer.content))
        return rows[0] if rows else None

    start = (records * 37) // 100
    for number in range(start, min(start + 6, records)):
        iri = f"{BASE}/resources/{SOURCE}/{Feed.identifier(number)}"
        identifier = first(f"SELECT ?v WHERE {{ <{iri}> schema:identifier ?v }} ORDER BY STR(?v) LIMIT 1")
        keyword = first(f"SELECT ?v WHERE {{ <{iri}> schema:keywords ?v }} ORDER BY STR(?v) LANG(?v) LIMIT 1")
        title = first(f"SELECT ?v WHERE {{ <{iri}> schema:name ?v }} ORDER BY STR(?v) LIMIT 1")
        description = first(f"SELECT ?v WHERE {{ <{iri}> schema:description ?v }} ORDER BY STR(?v) LIMIT 1")
        agents = ("schema:creator", "(schema:contributor|schema:publisher)")
        creator = next(
            (
                c
                for a in agents
                if (c := first(f"SELECT ?v WHERE {{ <{iri}> {a}/schema:name ?v }} ORDER BY STR(?v) LIMIT 1"))
            ),
            None,
        )
        if identifier and keyword and title and description and creator:
            break
    else:
        raise RuntimeError(f"no record from {start} on has an identifier, keyword, title, description and creator")
    title_text = title["v"].value.split("(synthetic")[0]
    description_text = description["v"].value.split("[Synthetic")[0][:300]
    return {
        "number": number,
        "iri": iri,
        "oai_identifier": Feed.identifier(number),
        "identifier": str(identifier["v"]),
        "keyword": str(keyword["v"]),
        "creator": str(creator["v"]),
        "title_selective": f"(synthetic copy {number})",
        "title_word": _longest_word(title_text),
        "description_word": _longest_word(description_text),
    }


def _longest_word(text: str) -> str:
    words = sorted(re.findall(r"[^\W\d_]{4,}", text.lower()), key=lambda w: (-len(w), w))
    if not words:
        raise RuntimeError(f"no word to search for in {text!r}")
    return words[0]


def queries(p: dict[str, Any]) -> list[Query]:
    """The mix. Result sizes stay small (at most a few dozen rows), below any endpoint's row or byte caps."""
    tags = "https://w3id.org/eduhub/vocab/tags"
    mix = [
        Query(
            "record-by-iri", "lookup", "every property of one record", f"SELECT ?p ?o WHERE {{ <{p['iri']}> ?p ?o }}"
        ),
        Query(
            "record-by-identifier",
            "lookup",
            "a record by its schema:identifier",
            f"SELECT ?r ?title WHERE {{ ?r schema:identifier {p['identifier']} ; schema:name ?title }}",
        ),
        Query(
            "record-by-oai-id",
            "lookup",
            "a record by the OAI identifier of its provenance page",
            f'SELECT ?r ?title ?modified WHERE {{ ?page hub:oaiIdentifier "{p["oai_identifier"]}" ; '
            "schema:dateModified ?modified . ?r schema:mainEntityOfPage ?page ; schema:name ?title }",
        ),
        Query(
            "keyword-count",
            "lookup",
            "how many records have a keyword",
            f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r schema:keywords {p['keyword']} }}",
        ),
        Query(
            "keyword-page",
            "lookup",
            "first 20 records with a keyword, by title",
            f"SELECT ?r ?title WHERE {{ ?r schema:keywords {p['keyword']} ; schema:name ?title }} "
            "ORDER BY STR(?title) ?r LIMIT 20",
            ordered=True,
        ),
        Query(
            "creator-page",
            "lookup",
            "first 20 records by a creator's name (property path)",
            f"SELECT ?r ?title WHERE {{ ?r schema:creator/schema:name {p['creator']} ; schema:name ?title }} "
            "ORDER BY ?r LIMIT 20",
            ordered=True,
        ),
        Query(
            "facet-type",
            "facet",
            "COUNT per learningResourceType",
            "SELECT ?type (COUNT(?r) AS ?n) WHERE { ?r a schema:LearningResource ; schema:learningResourceType ?type } "
            "GROUP BY ?type ORDER BY DESC(?n) ?type",
            ordered=True,
        ),
        Query(
            "facet-language",
            "facet",
            "COUNT per inLanguage",
            "SELECT ?language (COUNT(?r) AS ?n) WHERE { ?r a schema:LearningResource ; schema:inLanguage ?language } "
            "GROUP BY ?language ORDER BY DESC(?n) ?language",
            ordered=True,
        ),
        Query(
            "facet-licence",
            "facet",
            "COUNT per licence, records without one included (OPTIONAL)",
            "SELECT ?licence (COUNT(?r) AS ?n) WHERE { ?r a schema:LearningResource "
            "OPTIONAL { ?r schema:license ?licence } } GROUP BY ?licence",
        ),
        Query(
            "facet-type-labelled",
            "facet",
            "COUNT per resource type with its English label from the vocabulary graphs",
            "SELECT ?type ?label (COUNT(?r) AS ?n) WHERE { ?r schema:learningResourceType ?type . "
            '?type skos:prefLabel ?label FILTER(LANG(?label) = "en") } GROUP BY ?type ?label ORDER BY DESC(?n) ?type',
            ordered=True,
        ),
        Query(
            "facet-tier",
            "facet",
            "COUNT per quality tier (assessments graph)",
            "SELECT ?tier (COUNT(?r) AS ?n) WHERE { ?r hub:assessment ?a . "
            "?a hub:rule <https://w3id.org/eduhub/rules/quality-tier> ; hub:result ?tier } "
            "GROUP BY ?tier ORDER BY ?tier",
            ordered=True,
        ),
        Query(
            "title-contains",
            "text",
            "records whose title contains a string (one match)",
            "SELECT ?r ?title WHERE { ?r a schema:LearningResource ; schema:name ?title "
            f'FILTER(CONTAINS(LCASE(?title), "{p["title_selective"]}")) }}',
        ),
        Query(
            "title-contains-count",
            "text",
            "how many titles contain a common word",
            "SELECT (COUNT(?r) AS ?n) WHERE { ?r a schema:LearningResource ; schema:name ?title "
            f'FILTER(CONTAINS(LCASE(?title), "{p["title_word"]}")) }}',
        ),
        Query(
            "description-regex",
            "text",
            "how many descriptions match a case-insensitive REGEX",
            "SELECT (COUNT(?r) AS ?n) WHERE { ?r a schema:LearningResource ; schema:description ?d "
            f'FILTER(REGEX(?d, "{p["description_word"]}", "i")) }}',
        ),
        Query(
            "construct-record",
            "construct",
            "CONSTRUCT of one record's named graph",
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{p['iri']}> {{ ?s ?p ?o }} }}",
            kind="construct",
        ),
        Query(
            "subject-tree",
            "vocabulary",
            "records about ISCED-F 02 or a narrower field (skos:broader*)",
            "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r schema:about ?c . "
            "?c skos:broader* <https://w3id.org/eduhub/vocab/isced-f/02> }",
        ),
        Query(
            "open-licence-newest",
            "vocabulary",
            "20 newest records under an open licence (hub:openLicense in the licence vocabulary)",
            "SELECT ?r ?title ?modified WHERE { ?r schema:license ?licence ; schema:name ?title ; "
            "schema:mainEntityOfPage/schema:dateModified ?modified . ?licence hub:openLicense true } "
            "ORDER BY DESC(?modified) ?r LIMIT 20",
            ordered=True,
        ),
        Query(
            "tags-open-tier",
            "tags",
            "records tagged open-licence at quality tier B or C (the README's tag query)",
            "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { "
            f"?r hub:assessment/hub:result <{tags}/sustainability/open-licence> . ?r hub:assessment/hub:result ?tier "
            f"VALUES ?tier {{ <{tags}/quality-tier/B> <{tags}/quality-tier/C> }} }}",
        ),
    ]
    return [Query(q.name, q.group, q.what, PREFIXES + q.text, q.kind, q.ordered) for q in mix]


# ---------------------------------------------------------------------- answers


def _headers(kind: str) -> dict[str, str]:
    return {"Content-Type": "application/sparql-query", "Accept": GRAPH_TYPE if kind == "construct" else SELECT_TYPE}


def _solutions(body: bytes) -> Iterator[Any]:
    import pyoxigraph as ox

    yield from ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)


def canonical_term(term: Any) -> str | None:
    """A term as N-Triples; numbers and dateTimes by value (rdflib rewrites ``…T00:00:00Z`` as ``…+00:00``),
    language tags lower-cased."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.Literal):
        if term.datatype.value == DATE_TIME:
            with suppress(ValueError):
                value = dt.datetime.fromisoformat(term.value.replace("Z", "+00:00"))
                return f"dateTime:{(value.astimezone(dt.UTC) if value.tzinfo else value).isoformat()}"
        if term.datatype.value in NUMERIC:
            try:
                return f"number:{format(Decimal(term.value).normalize(), 'f')}"
            except InvalidOperation:
                return f"number:{term.value}"
        if term.language:
            return str(ox.Literal(term.value, language=term.language.lower()))
    return str(term)


def normalise(query: Query, body: bytes) -> list[Any]:
    """An answer in a form the three servers' answers can be compared in."""
    import pyoxigraph as ox

    if query.kind == "construct":
        triples = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        return sorted(" ".join(str(canonical_term(x)) for x in (t.subject, t.predicate, t.object)) for t in triples)
    solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    if isinstance(solutions, ox.QueryBoolean):
        return [bool(solutions)]
    names = [v.value for v in solutions.variables]
    rows = [[canonical_term(s[n]) for n in names] for s in solutions]
    return rows if query.ordered else sorted(rows, key=lambda r: [x or "" for x in r])


def difference(first: list[Any], second: list[Any], limit: int = 5) -> dict[str, Any]:
    """A short account of how two answers differ (for the report and the error message)."""
    as_text = [json.dumps(x, ensure_ascii=False) for x in first], [json.dumps(x, ensure_ascii=False) for x in second]
    only_first = [x for x in as_text[0] if x not in set(as_text[1])]
    only_second = [x for x in as_text[1] if x not in set(as_text[0])]
    return {
        "rows": [len(first), len(second)],
        "only_in_first": only_first[:limit],
        "only_in_second": only_second[:limit],
        "same_rows_other_order": not only_first and not only_second,
    }


# ---------------------------------------------------------------------- measuring


def ask(client: Any, url: str, query: Query, timeout: float) -> tuple[float, Any]:
    """One request, timed from sending it to having read the whole body."""
    started = time.perf_counter()
    answer = client.post(url, content=query.text.encode(), headers=_headers(query.kind), timeout=timeout)
    seconds = time.perf_counter() - started
    return seconds, answer


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def geometric_mean(values: Sequence[float]) -> float | None:
    chosen = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in chosen) / len(chosen)) if chosen else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def verify(query: Query, servers: dict[str, Server], clients: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The first (cold) request of each server for a query: status, size, time and whether the answers agree."""
    answers: dict[str, dict[str, Any]] = {}
    normalised: dict[str, list[Any]] = {}
    for name, server in servers.items():
        try:
            seconds, answer = ask(clients[name], server.url, query, timeout)
        except Exception as error:  # a timeout or a dropped connection is this server's answer
            answers[name] = {"error": f"{type(error).__name__}: {error}"[:500]}
            continue
        entry: dict[str, Any] = {
            "status": answer.status_code,
            "content_type": answer.headers.get("content-type", ""),
            "bytes": len(answer.content),
            "cold_ms": round(seconds * 1000, 2),
        }
        if answer.status_code != 200:
            entry["error"] = answer.text[:500]
        else:
            try:
                normalised[name] = normalise(query, answer.content)
                entry["rows"] = len(normalised[name])
            except (SyntaxError, ValueError) as error:
                entry["error"] = f"unreadable answer: {error}"[:500]
        answers[name] = entry
    failed = [n for n, a in answers.items() if "error" in a]
    differ: dict[str, Any] = {}
    reference = next(iter(normalised), None)
    for name in normalised:
        if name != reference and normalised[name] != normalised[reference]:
            differ[f"{reference} vs {name}"] = difference(normalised[reference], normalised[name])
    sample = normalised[reference][:3] if reference else []
    return {
        "answers": answers,
        "agree": not failed and not differ,
        "failed": failed,
        "differences": differ,
        "first_rows": sample,
    }


def time_query(
    query: Query,
    servers: dict[str, Server],
    clients: dict[str, Any],
    args: argparse.Namespace,
    verification: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    """Warm-up, then up to ``--repeat`` timed requests per server, the servers taking turns."""
    names = list(servers)
    samples: dict[str, list[float]] = {n: [] for n in names}
    statuses: dict[str, set[int]] = {n: set() for n in names}
    errors: dict[str, list[str]] = {n: [] for n in names}

    def timed(name: str) -> float | None:
        """One request; a failed one (timeout, dropped connection) is noted, not raised: the run goes on."""
        try:
            seconds, answer = ask(clients[name], servers[name].url, query, args.request_timeout)
        except Exception as error:  # noted as status 0; the query's timings are then not ok
            statuses[name].add(0)
            errors[name].append(f"{type(error).__name__}: {error}"[:300])
            return None
        statuses[name].add(answer.status_code)
        return seconds

    warm = {n: verification["answers"][n]["cold_ms"] / 1000 for n in names}
    for _ in range(max(args.warmup - 1, 0)):  # the verification request was the first warm-up
        for name in names:
            warm[name] = timed(name) or warm[name]
    warmup_errors, errors = errors, {n: [] for n in names}  # what counts is how the timed requests went
    statuses = {n: set() for n in names}
    planned = {}
    for name in names:
        last = warm.get(name, 0.0)
        fits = int(args.max_seconds / last) if last > 0 else args.repeat
        planned[name] = min(args.repeat, max(fits, min(3, args.repeat)))
    attempts = dict.fromkeys(names, 0)
    for round_number in range(args.repeat):
        order = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in order:
            if attempts[name] >= planned[name]:
                continue
            attempts[name] += 1
            seconds = timed(name)
            if seconds is not None:
                samples[name].append(seconds * 1000)
    timings = {}
    for name in names:
        values = samples[name]
        timings[name] = {
            "n": len(values),
            "p50_ms": _round(percentile(values, 0.5)),
            "p95_ms": _round(percentile(values, 0.95)),
            "min_ms": _round(min(values)) if values else None,
            "mean_ms": _round(sum(values) / len(values)) if values else None,
            "statuses": sorted(statuses[name]),
            "ok": statuses[name] == {200},
            "samples_ms": [round(v, 3) for v in values],
        }
        for key, noted in (("errors", errors[name]), ("warmup_errors", warmup_errors[name])):
            if noted:
                timings[name][key] = noted[:5]
    return timings


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def query_ratios(timings: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    p50 = {n: t["p50_ms"] for n, t in timings.items() if t["ok"]}
    return {
        "hub_vs_oxigraph": _round(ratio(p50.get("hub"), p50.get("oxigraph"))),
        "rdflib_vs_hub": _round(ratio(p50.get("rdflib"), p50.get("hub"))),
        "rdflib_vs_oxigraph": _round(ratio(p50.get("rdflib"), p50.get("oxigraph"))),
    }


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    measured = [q for q in report["queries"] if q.get("timings") and q["verification"]["agree"]]
    means = {
        key: _round(geometric_mean([q["ratios"][key] for q in measured if q["ratios"].get(key)]))
        for key in ("hub_vs_oxigraph", "rdflib_vs_hub", "rdflib_vs_oxigraph")
    }
    counted = {key: sum(1 for q in measured if q["ratios"].get(key)) for key in ("hub_vs_oxigraph", "rdflib_vs_hub")}
    hub_ox, rdf_hub = means["hub_vs_oxigraph"], means["rdflib_vs_hub"]
    targets = {
        "hub_within_1.5x_of_oxigraph": None if hub_ox is None else hub_ox <= TARGETS["hub_vs_oxigraph_at_most"],
        "hub_5x_faster_than_rdflib": None if rdf_hub is None else rdf_hub >= TARGETS["rdflib_vs_hub_at_least"],
    }
    disagree = [q["name"] for q in report["queries"] if not q["verification"]["agree"]]
    not_loaded = [n for n, c in report["contenders"].items() if not c.get("loaded") and not c.get("skipped")]
    failed_requests = [
        f"{q['name']}/{n}" for q in report["queries"] for n, t in q.get("timings", {}).items() if not t["ok"]
    ]
    sums = {
        name: _round(sum(q["timings"][name]["p50_ms"] for q in measured if name in q["timings"]), 1)
        for name in report["contenders"]
        if report["contenders"][name].get("loaded")
    }
    return {
        "geometric_mean": means,
        "queries_in_mean": counted,
        "sum_of_p50_ms": sums,
        "targets": targets,
        "target_values": TARGETS,
        "answers_agree": not disagree,
        "disagreements": disagree,
        "not_loaded": not_loaded,
        "failed_requests": failed_requests,
        "ok": not disagree
        and not failed_requests
        and not [n for n in not_loaded if n != "rdflib"]
        and report.get("quad_check", {}).get("ok", False),
    }


# ---------------------------------------------------------------------- the run


def versions(oxigraph: str) -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for package in ("pyoxigraph", "rdflib", "rdflib-endpoint", "fastapi", "starlette", "uvicorn", "httpx", "psutil"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    done = subprocess.run([oxigraph, "--version"], capture_output=True, text=True, check=False)
    found["oxigraph_cli"] = done.stdout.strip() or None
    return found


def start_servers(
    args: argparse.Namespace, dataset: dict[str, Any], chosen: Sequence[str], run_dir: Path, stack: ExitStack
) -> tuple[dict[str, Server], dict[str, dict[str, Any]], dict[str, Any]]:
    """Start each chosen server in turn (each loads alone); the ones that fail are reported, not dropped."""
    import httpx

    folder = Path(dataset["folder"])
    core = 0 if args.pin else None
    files = [str(folder / dataset["files"]["export"]), str(folder / dataset["files"]["extra"])]
    timeout_args, timeout_env, timeout_note = hub_limits(args.hub_query_timeout or None)
    hub_env = {**timeout_env, **dict(item.split("=", 1) for item in args.hub_env)}
    contenders: dict[str, dict[str, Any]] = {}
    servers: dict[str, Server] = {}
    clients: dict[str, Any] = {}
    for name in CONTENDERS:
        if name not in chosen:
            contenders[name] = {"loaded": False, "skipped": True, "records": None, "note": "not in --only"}
            continue
        port = free_port()
        if name == "hub":
            command = eduhub(
                "serve",
                "--data",
                str(folder / dataset["files"]["hub"]),
                "--base",
                BASE,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-schedule",
                *timeout_args,
                *args.hub_arg,
            )
            server = Server(name, command, f"http://127.0.0.1:{port}/sparql", run_dir / "hub.log", core, env=hub_env)
            load = {
                "load_seconds": dataset["harvest"]["seconds"],
                "load_what": "eduhub harvest of the feed (crosswalk, validation, tagging; at build)",
                "query_timeout": timeout_note,
                "extra_args": args.hub_arg,
                "extra_env": hub_env,
            }
        elif name == "oxigraph":
            command = [
                oxigraph_binary(args.oxigraph),
                "serve",
                "--location",
                str(folder / dataset["files"]["oxigraph"]),
                "--bind",
                f"127.0.0.1:{port}",
                "--union-default-graph",
            ]
            server = Server(name, command, f"http://127.0.0.1:{port}/query", run_dir / "oxigraph.log", core)
            load = {
                "load_seconds": dataset["oxigraph_load"]["seconds"],
                "load_what": "oxigraph load of export.nq + extra-graphs.nq, then oxigraph optimize (at build)",
            }
        else:
            ready = run_dir / "rdflib-ready.json"
            options = {"files": files, "port": port, "ready_file": str(ready)}
            command = [
                sys.executable,
                "-m",
                "benchmarks.sparql_peers",
                "--child",
                "rdflib",
                "--options",
                json.dumps(options),
            ]
            server = Server(
                name,
                command,
                f"http://127.0.0.1:{port}/sparql",
                run_dir / "rdflib.log",
                core,
                ready_file=ready,
                max_rss_mb=args.rdflib_max_rss_mb,
            )
            load = {"load_what": "rdflib Dataset.parse of export.nq + extra-graphs.nq (this run)"}
        server.info.update({"command": " ".join(command), "records": args.records, **load})
        print(f"[{name}] starting…", file=sys.stderr, flush=True)
        client = stack.enter_context(httpx.Client())
        stack.enter_context(running(server))
        limit = args.rdflib_load_timeout if name == "rdflib" else args.start_timeout
        try:
            server.wait_ready(client, limit)
        except RuntimeError as error:
            server.stop()
            server.info.update({"loaded": False, "records": None, "error": str(error)[-2000:]})
            contenders[name] = server.info
            print(f"[{name}] NOT LOADED at {args.records:,} records: {str(error)[:300]}", file=sys.stderr, flush=True)
            continue
        server.info["loaded"] = True
        if name == "hub":
            server.info["announced_limits"] = announced_limits(client, server.url)
        contenders[name] = server.info
        servers[name] = server
        clients[name] = client
        print(
            f"[{name}] ready after {server.info['startup_seconds']:.1f} s, RSS {server.info['rss_ready_mb']:,.0f} MB",
            file=sys.stderr,
            flush=True,
        )
    return servers, contenders, clients


def run(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    chosen = [c.strip() for c in args.only.split(",") if c.strip()]
    if set(chosen) - set(CONTENDERS) or not chosen:
        raise SystemExit(f"--only takes some of {', '.join(CONTENDERS)}")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    args.pin = not args.no_pin and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1
    if args.pin:  # the client (this process) off core 0, where the servers run
        os.sched_setaffinity(0, set(os.sched_getaffinity(0)) - {0})
    code_before = hub_code()
    dataset = build_dataset(args, workdir, args.pin)
    run_dir = Path(dataset["folder"]) / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    report: dict[str, Any] = {
        "benchmark": "sparql-peers",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "records": args.records,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "max_seconds_per_query": args.max_seconds,
        "pinned": {"servers": 0, "client": sorted(os.sched_getaffinity(0))} if args.pin else None,
        "machine": machine(),
        "hub_code": code_before,
        "versions": versions(oxigraph_binary(args.oxigraph)),
        "dataset": {k: v for k, v in dataset.items() if k != "complete"},
        "protocol": "POST, Content-Type application/sparql-query; Accept "
        f"{SELECT_TYPE} (SELECT) or {GRAPH_TYPE} (CONSTRUCT); one keep-alive httpx client per server",
    }
    with ExitStack() as stack:
        servers, contenders, clients = start_servers(args, dataset, chosen, run_dir, stack)
        report["contenders"] = contenders
        if not servers:
            raise RuntimeError("no server could be started")
        reference = "oxigraph" if "oxigraph" in servers else next(iter(servers))
        with httpx.Client() as client:
            report["parameters"] = parameters(client, servers[reference].url, args.records)
        mix = [q for q in queries(report["parameters"]) if not args.queries or q.name in args.queries.split(",")]
        # the quad count first: every server must hold the hub's dataset, all of it
        quads = verify(Query("quads", "check", "all quads", COUNT_QUADS), servers, clients, args.request_timeout)
        report["quad_check"] = {
            "expected": dataset["quads"],
            **quads,
            "ok": quads["agree"] and quads["first_rows"] == [[f"number:{dataset['quads']}"]],
        }
        print(f"[check] quads: {'ok' if report['quad_check']['ok'] else 'DIFFER'}", file=sys.stderr, flush=True)
        results = []
        for query in mix:
            results.append({**_describe(query), "verification": verify(query, servers, clients, args.request_timeout)})
        report["queries"] = results
        failed = [q for q in results if not q["verification"]["agree"]]
        if not report["quad_check"]["ok"]:
            failed.append({"name": "quads", "verification": quads})
        if failed:
            print(_loud(failed), file=sys.stderr, flush=True)
        if failed and not args.keep_going:
            report["summary"] = summarize(report)
            report["summary"]["ok"] = False
            report["stopped"] = "answers differ or a server failed: nothing was timed (--keep-going times anyway)"
            _finish(report, servers)
            return report
        for entry, query in zip(results, mix, strict=True):
            if not entry["verification"]["agree"]:
                continue
            print(f"[time] {query.name}…", file=sys.stderr, flush=True)
            entry["timings"] = time_query(query, servers, clients, args, entry["verification"])
            entry["ratios"] = query_ratios(entry["timings"])
        _finish(report, servers)
    report["hub_code_after"] = hub_code()
    report["hub_code"]["changed_during_run"] = report["hub_code_after"] != code_before
    report["summary"] = summarize(report)
    return report


def _finish(report: dict[str, Any], servers: dict[str, Server]) -> None:
    """Stop the servers now (peak RSS taken as they stop) and copy what they measured into the report."""
    for name, server in servers.items():
        server.stop()
        report["contenders"][name] = server.info


def _describe(query: Query) -> dict[str, Any]:
    return {
        "name": query.name,
        "group": query.group,
        "what": query.what,
        "kind": query.kind,
        "ordered": query.ordered,
        "query": query.text.removeprefix(PREFIXES),
    }


def _loud(failed: list[dict[str, Any]]) -> str:
    lines = ["", "!" * 100, "ANSWERS DIFFER OR A SERVER FAILED — these queries cannot be compared:"]
    for entry in failed:
        check = entry["verification"]
        lines.append(f"  {entry['name']}:")
        for name, answer in check["answers"].items():
            if "error" in answer:
                lines.append(f"    {name}: {answer['error'][:300]}")
        for pair, diff in check["differences"].items():
            lines.append(f"    {pair}: {json.dumps(diff, ensure_ascii=False)[:800]}")
    lines.append("!" * 100)
    return "\n".join(lines)


# ---------------------------------------------------------------------- tables


def _n(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


CONTENDER_HEAD = [
    "server",
    "records",
    "load s",
    "startup s",
    "RSS ready MB",
    "peak RSS MB",
    "VmHWM MB",
    "what was loaded",
]
#: the left-aligned columns of the servers' table (the others are numbers)
CONTENDER_LEFT = (0, 7)


def contender_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, info in report["contenders"].items():
        if info.get("skipped"):
            rows.append([LABELS[name], "not run", "", "", "", "", "", info.get("note", "")])
            continue
        if not info.get("loaded"):
            why = f"NOT LOADED at {report['records']:,} records: {info.get('error', '?')[:160]}"
            rows.append([LABELS[name], "—", "", "", "", _n(info.get("peak_rss_mb")), _n(info.get("vm_hwm_mb")), why])
            continue
        rows.append(
            [
                LABELS[name],
                _n(info.get("records")),
                _n(info.get("load_seconds"), 1),
                _n(info.get("startup_seconds"), 1),
                _n(info.get("rss_ready_mb")),
                _n(info.get("peak_rss_mb")),
                _n(info.get("vm_hwm_mb")),
                info.get("load_what", ""),
            ]
        )
    return rows


def query_head(report: dict[str, Any]) -> list[str]:
    head = ["query", "rows"]
    for name in CONTENDERS:
        if report["contenders"].get(name, {}).get("loaded"):
            head += [f"{LABELS[name]} p50 ms", "p95 ms"]
    return [*head, "hub ÷ oxigraph", "rdflib ÷ hub", "answers"]


def query_rows(report: dict[str, Any]) -> list[list[str]]:
    loaded = [n for n in CONTENDERS if report["contenders"].get(n, {}).get("loaded")]
    rows = []
    for entry in report["queries"]:
        check = entry["verification"]
        counts = {a.get("rows") for a in check["answers"].values() if "rows" in a}
        row = [entry["name"], "/".join(str(c) for c in sorted(counts)) or "—"]
        timings = entry.get("timings", {})
        for name in loaded:
            t = timings.get(name, {})
            row += [_ms(t.get("p50_ms")), _ms(t.get("p95_ms"))]
        ratios = entry.get("ratios", {})
        row += [
            _n(ratios.get("hub_vs_oxigraph"), 2),
            _n(ratios.get("rdflib_vs_hub"), 1),
            "agree" if check["agree"] else "DIFFER" if check["differences"] else "FAILED",
        ]
        rows.append(row)
    summary = report.get("summary", {})
    if summary:
        means = summary["geometric_mean"]
        blank = [""] * (2 * len(loaded))
        rows.append(
            ["**geometric mean**", "", *blank, _n(means["hub_vs_oxigraph"], 2), _n(means["rdflib_vs_hub"], 1), ""]
        )
    return rows


def _header_lines(report: dict[str, Any]) -> list[str]:
    code = report["hub_code"]
    changed = "  WARNING: changed during the run" if code.get("changed_during_run") else ""
    data = report["dataset"]
    built = data.get("hub_code_at_build", {})
    return [
        f"hub code: {code['commit']}{' + uncommitted changes' if code['dirty'] else ''} "
        f"(sources {code['sources_sha1']}){changed}; dataset built by {built.get('commit')} "
        f"(sources {built.get('sources_sha1')}) on {data.get('built_at')}{', reused' if data.get('reused') else ''}",
        f"records: {report['records']:,}   quads: {data['quads']:,} in {data['graphs']:,} graphs "
        f"(dump {data['export']['quads']:,} + {data['extra_graphs']['quads']:,} in {data['extra_graphs']['graphs']} "
        f"graphs the dump leaves out)   repeat: {report['repeat']} (warm-up {report['warmup']}, "
        f"at most {report['max_seconds_per_query']:g} s per query and server)   pinned: {report['pinned']}",
    ]


def _plain(head: list[str], rows: list[list[str]], left: Sequence[int]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(str(x)) for x in column) for column in zip(head, *rows, strict=True)]
    fmt = [(str.ljust if i in left else str.rjust) for i in range(len(head))]
    return ["  ".join(f(str(c), w) for f, c, w in zip(fmt, row, widths, strict=True)).rstrip() for row in [head, *rows]]


def _md(head: list[str], rows: list[list[str]], left: Sequence[int]) -> list[str]:
    align = ["---" if i in left else "---:" for i in range(len(head))]
    return [f"| {' | '.join(head)} |", f"| {' | '.join(align)} |", *(f"| {' | '.join(r)} |" for r in rows)]


def _target_lines(report: dict[str, Any]) -> list[str]:
    summary = report.get("summary")
    if not summary:
        return []
    words = {True: "met", False: "NOT met", None: "—"}
    targets = summary["targets"]
    lines = [
        f"targets (geometric mean of p50 ratios): hub ÷ oxigraph ≤ {TARGETS['hub_vs_oxigraph_at_most']}: "
        f"{words[targets['hub_within_1.5x_of_oxigraph']]}; rdflib ÷ hub ≥ {TARGETS['rdflib_vs_hub_at_least']}: "
        f"{words[targets['hub_5x_faster_than_rdflib']]}   (rdflib ÷ oxigraph: "
        f"{_n(summary['geometric_mean']['rdflib_vs_oxigraph'], 1)})",
        f"answers agree: {'yes' if summary['answers_agree'] else 'NO: ' + ', '.join(summary['disagreements'])}",
    ]
    for name in summary.get("not_loaded", []):
        error = report["contenders"][name].get("error", "?")
        lines.append(
            f"{LABELS[name]} NOT LOADED at {report['records']:,} records ({error[:200]}): its ratios are missing, "
            "not zero; run it at a smaller --records for a comparison at that scale"
        )
    if report.get("stopped"):
        lines.append(f"STOPPED: {report['stopped']}")
    return lines


def table(report: dict[str, Any]) -> str:
    """The plain-text tables for the terminal."""
    head = query_head(report)
    out = [*_header_lines(report), "", *_plain(CONTENDER_HEAD, contender_rows(report), CONTENDER_LEFT)]
    out += ["", *_plain(head, query_rows(report), (0, len(head) - 1)), "", *_target_lines(report)]
    return "\n".join(out)


def markdown(report: dict[str, Any]) -> str:
    """The tables for BENCHMARKS.md: the servers, then p50/p95 and ratios per query."""
    head = query_head(report)
    out = [*_md(CONTENDER_HEAD, contender_rows(report), CONTENDER_LEFT), ""]
    out += _md(head, query_rows(report), (0, len(head) - 1))
    return "\n".join([*out, "", *_target_lines(report)])


# ---------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sparql_peers",
        description="SPARQL over HTTP: the hub's /sparql against oxigraph serve and rdflib-endpoint.",
    )
    parser.add_argument("--records", type=int, default=100_000, help="records in the dataset (N)")
    parser.add_argument(
        "--workdir",
        default=str(Path(tempfile.gettempdir()) / "eduhub-sparql-peers"),
        help="where the dataset of each N is built once and kept (default: %(default)s)",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the dataset again even if it is there")
    parser.add_argument("--page-size", type=int, default=100, help="records per page of the feed the build harvests")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per query and server")
    parser.add_argument(
        "--warmup", type=int, default=2, help="untimed requests per query and server (the first verifies)"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="time budget per query and server: a slow server gets fewer repetitions (at least 3)",
    )
    parser.add_argument("--only", default=",".join(CONTENDERS), help="servers to run (default: all three)")
    parser.add_argument("--queries", help="comma-separated query names to run (default: the whole mix)")
    parser.add_argument(
        "--keep-going", action="store_true", help="time the queries whose answers agree even if some differ"
    )
    parser.add_argument(
        "--hub-query-timeout",
        type=float,
        default=600.0,
        help="the hub's SPARQL time budget (EDUHUB_QUERY_TIMEOUT; --query-timeout if serve has it; 0: its own)",
    )
    parser.add_argument("--hub-arg", action="append", default=[], help="extra argument for eduhub serve (repeatable)")
    parser.add_argument("--hub-env", action="append", default=[], help="NAME=VALUE for eduhub serve's environment")
    parser.add_argument("--oxigraph", help="the oxigraph CLI (default: beside this Python, else on PATH)")
    parser.add_argument("--rdflib-load-timeout", type=float, default=3600.0, help="seconds rdflib may take to load")
    parser.add_argument(
        "--rdflib-max-rss-mb",
        type=float,
        default=None,
        help="stop rdflib's load above this RSS (default: 60%% of the machine's memory)",
    )
    parser.add_argument(
        "--start-timeout", type=float, default=600.0, help="seconds the hub and oxigraph may take to start"
    )
    parser.add_argument("--request-timeout", type=float, default=1800.0, help="seconds one request may take")
    parser.add_argument("--build-timeout", type=float, default=None, help="seconds each build step may take")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the servers to core 0 and the client off it")
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        metavar="PATH",
        help="write the report as JSON to PATH (no PATH: benchmarks/results/sparql-peers-<date>-<N>.json)",
    )
    parser.add_argument("--render", metavar="FILE", help="print the tables of a saved report and exit")
    parser.add_argument("--child", choices=["rdflib"], help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rdflib_max_rss_mb is None:
        import psutil

        args.rdflib_max_rss_mb = round(psutil.virtual_memory().total * 0.6 / 1e6)
    return args


def _sigterm_exits() -> None:
    """SIGTERM unwinds like Ctrl-C, so the servers' finally blocks run."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        CHILDREN[args.child](json.loads(args.options))
        return 0
    if args.render:
        report = json.loads(Path(args.render).read_text(encoding="utf-8"))
        print(table(report), "", markdown(report), sep="\n")
        return 0
    if args.records < 1 or args.repeat < 1 or args.warmup < 1:
        raise SystemExit("--records, --repeat and --warmup must be at least 1")
    _sigterm_exits()
    report = run(args)
    print(table(report), "", markdown(report), sep="\n", flush=True)
    if args.json is not None:
        name = f"sparql-peers-{dt.date.today().isoformat()}-{size_name(args.records)}.json"
        target = Path(args.json) if args.json else RESULTS / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"saved {target}", file=sys.stderr)
    return 0 if report["summary"]["ok"] else 1


CHILDREN: dict[str, Callable[[dict[str, Any]], None]] = {"rdflib": child_rdflib}


if __name__ == "__main__":
    raise SystemExit(main())
