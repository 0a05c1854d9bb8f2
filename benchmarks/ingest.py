"""Ingest benchmark: the hub, a naive peer pipeline and the floor, side by side on one feed.

``python -m benchmarks.ingest --records 10000`` starts the loopback OAI-PMH feed of
:mod:`benchmarks.feed` (synthetic records made from real LOM templates) and then runs,
one after the other, each contender in its own child process pinned to one core, so
that each one's peak RSS is its own:

hub
    ``Hub.open`` on a fresh data folder, register the feed, ``harvest(full=True)`` (the
    hub picks ``lom`` from ListMetadataFormats), then check with SPARQL that the store
    holds N ``schema:LearningResource``. After its numbers are taken, the child dumps
    the record graphs of its store as N-Quads for the floor. The harvest tags as it
    ingests (each page's assessments in the page's own update, the source-wide rules at
    the end; docs/tagging.md), as ``eduhub harvest`` does by default.
hub-notag
    the same with ``harvest(..., tag=False)`` (``eduhub harvest --no-tag``): the records
    without their assessments, so hub ÷ hub-notag is the cost of tagging inside ingest.
    Not run by default: ``--only hub,hub-notag,naive,floor``.
naive
    the do-it-yourself pipeline: ``oaipmh_scythe.Scythe(url).list_records("lom")`` and
    an in-memory rdflib ``Graph`` (``--naive-store dataset``: a ``Dataset`` with one graph
    per record, as the hub stores them) holding about what the hub stores per record
    (title, description, keywords, languages, identifiers, contributors, dates, url,
    educational vocabularies, licence, provenance and, like the hub, the raw LOM XML;
    ``--naive-raw no`` leaves that out). By default nothing is serialized: the graph stays
    in memory as a script would keep it, and its subjects are counted at the end;
    ``--naive-persist`` adds writing it to an N-Triples file, inside the timed part.
floor
    the least any pipeline must do: fetch the same pages over HTTP (httpx2, the client
    the hub uses), parse each with lxml, and ``bulk_load`` into a fresh on-disk pyoxigraph
    store, per page, that page's share of the quads the hub stored (the N-Quads dump of
    the hub's record graphs from the same run, cut at line ends). Nothing else.

Records/s is N divided by the wall time of the ingest itself (first request to last
write; process start, imports, opening the store and the verification query are
outside). Peak RSS is ``getrusage(RUSAGE_SELF).ru_maxrss`` of the child right after the
ingest (before the verification; the report also gives it after, as ``peak_rss_mb_with_check``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.feed import serve

BASE = "http://bench.test"
SOURCE = "bench"
RECORD_GRAPHS = f"{BASE}/resources/{SOURCE}/"
CONTENDERS = ("hub", "hub-notag", "naive", "floor")
DEFAULT_CONTENDERS = ("hub", "naive", "floor")
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
COUNT_RESOURCES = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a <http://schema.org/LearningResource> }"
COUNT_ASSESSMENTS = (
    "SELECT (COUNT(?a) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?a a <https://w3id.org/eduhub/ns#Assessment> }} }}"
)

#: the issue's targets: hub/naive speed, naive/hub peak memory, hub/floor speed, hub records/s, hub peak MB
TARGETS = {
    "speed_vs_naive": 2.0,
    "memory_vs_naive": 5.0,
    "speed_vs_floor": 0.5,
    "records_per_second": 1500.0,
    "peak_rss_mb_at_100k": 400.0,
}


# ---------------------------------------------------------------------- measuring


def rss_mb() -> float:
    """Current resident set size of this process, in MB (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


class Sampler:
    """Current RSS at about ``points`` evenly spaced record counts, to show whether memory stays flat."""

    def __init__(self, total: int, points: int = 10) -> None:
        self.step = max(total // points, 1)
        self.next = self.step
        self.samples: list[tuple[int, float]] = []

    def __call__(self, done: int) -> None:
        if done >= self.next:
            self.samples.append((done, round(rss_mb(), 1)))
            while self.next <= done:
                self.next += self.step


class RssMonitor:
    """A background thread that reads the current RSS every ``interval`` s: when, in the run, memory peaks."""

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.interval = interval
        self.started = time.perf_counter()
        self.peak = (0.0, 0.0)  # (seconds since start, MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-monitor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            current = rss_mb()
            if current > self.peak[1]:
                self.peak = (time.perf_counter() - self.started, current)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {"peak_sampled_mb": round(self.peak[1], 1), "peak_at_seconds": round(self.peak[0], 1)}


def pin_to_one_core(core: int = 0) -> int | None:
    """Run this process (and the threads it starts later) on one CPU; None where that is not possible."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:  # the parent moved itself off `core`, so the inherited mask may not hold it: ask for it directly
        os.sched_setaffinity(0, {core})
    except OSError:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    return min(os.sched_getaffinity(0))


# ---------------------------------------------------------------------- contenders (run in the child)


def run_hub(url: str, records: int, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    from exchange.config import Settings
    from exchange.hub import Hub
    from exchange.pipeline import harvest
    from exchange.tagging import assessments_graph

    tag = options.get("tag", True)
    folder = workdir / ("hub" if tag else "hub-notag")
    sampler = Sampler(records)
    start_rss = rss_mb()
    opened = time.perf_counter()
    with Hub.open(Settings(data_dir=folder, base=BASE)) as hub:
        open_seconds = time.perf_counter() - opened
        hub.state.add_source(SOURCE, url)
        profiler = None
        if options.get("profile"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        monitor = RssMonitor()
        summary = harvest(hub, SOURCE, full=True, progress=lambda s, _page: sampler(s.records), tag=tag)
        seconds = time.perf_counter() - started
        timeline = monitor.stop()
        peak = peak_rss_mb()  # before the verification query, whose own memory is not the ingest's
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(options["profile"])
        stored = int(hub.store.select(COUNT_RESOURCES)[0]["n"])
        graph = assessments_graph(hub.settings.base, SOURCE)
        assessments = int(hub.store.select(COUNT_ASSESSMENTS.format(graph=graph))[0]["n"])
        closing = time.perf_counter()
    close_seconds = time.perf_counter() - closing
    result = {
        "seconds": seconds,
        "records": summary.records,
        "stored": stored,
        "peak_rss_mb": peak,
        "peak_rss_mb_with_check": peak_rss_mb(),
        "start_rss_mb": start_rss,
        "rss_samples": sampler.samples,
        "rss_peak": timeline,
        "status": summary.status,
        "error": summary.error,
        "quarantined": summary.quarantined,
        "pages": summary.pages,
        "open_seconds": open_seconds,
        "close_seconds": close_seconds,
        "store_mb": _folder_mb(folder / "store"),
        "tag": tag,
        "assessments": assessments,
        "ok": summary.status == "ok"
        and stored == records
        and summary.quarantined == 0
        and (assessments > 0 if tag and records else assessments == 0),
    }
    if options.get("dump"):
        result["quads"] = _dump_record_graphs(folder / "store", Path(options["dump"]))
    return result


def _dump_record_graphs(store_dir: Path, target: Path) -> int:
    """Write the hub's record graphs (not the vocabularies) as N-Quads; return the quad count."""
    import pyoxigraph as ox

    everything = target.with_suffix(".all.nq")
    store = ox.Store.read_only(str(store_dir))
    store.dump(str(everything), format=ox.RdfFormat.N_QUADS)
    del store
    marker = f"<{RECORD_GRAPHS}".encode()
    count = 0
    with everything.open("rb") as source, target.open("wb") as out:
        for line in source:
            graph = line.rstrip(b" .\r\n").rsplit(b" ", 1)[-1]
            if graph.startswith(marker):
                out.write(line)
                count += 1
    everything.unlink()
    return count


def run_naive(url: str, records: int, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The obvious do-it-yourself pipeline: Scythe's record iterator + an in-memory rdflib graph."""
    from urllib.parse import quote

    from lxml import etree
    from oaipmh_scythe import Scythe
    from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef

    sdo = Namespace("http://schema.org/")
    hub_ns = Namespace("https://w3id.org/eduhub/ns#")
    ns = {"lom": LOM_NS}
    language_tag = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
    vcard_name = re.compile(r"FN[^:\n]*:([^\n]*?)(?:\s+(?:EMAIL|ORG|N|TEL|ADR|END)[;:]|\n|$)")
    keep_raw = options.get("naive_raw", True)
    limit = options.get("naive_records") or records
    per_record_graphs = options.get("naive_store") == "dataset"
    dataset = Dataset() if per_record_graphs else None
    graph = Graph()

    def lang(value: str | None) -> str | None:
        # rdflib refuses tags such as ScoLOMFR's "http://id.loc.gov/vocabulary/iso639-2/fre"
        return value if value and language_tag.match(value) else None

    def strings(element: Any, path: str) -> list[tuple[str, str | None]]:
        return [
            (s.text.strip(), lang(s.get("language"))) for s in element.findall(path, ns) if s.text and s.text.strip()
        ]

    sampler = Sampler(limit)
    start_rss = rss_mb()
    count = 0
    started = time.perf_counter()
    with Scythe(url) as scythe:
        for record in scythe.list_records(metadata_prefix="lom"):
            if record.deleted:
                continue
            lom = record.xml.find(".//lom:lom", ns)
            if lom is None:
                continue
            identifier = record.header.identifier
            subject = URIRef(f"{RECORD_GRAPHS}{quote(identifier, safe=':')}")
            g = dataset.graph(subject) if dataset is not None else graph
            g.add((subject, RDF.type, sdo.LearningResource))
            for text, language in strings(lom, "lom:general/lom:title/lom:string"):
                g.add((subject, sdo.name, Literal(text, lang=language)))
            for text, language in strings(lom, "lom:general/lom:description/lom:string"):
                g.add((subject, sdo.description, Literal(text, lang=language)))
            for text, language in strings(lom, "lom:general/lom:keyword/lom:string"):
                g.add((subject, sdo.keywords, Literal(text, lang=language)))
            for element in lom.findall("lom:general/lom:language", ns):
                if element.text and lang(element.text.strip()):
                    g.add((subject, sdo.inLanguage, Literal(element.text.strip())))
            for element in lom.findall("lom:general/lom:identifier/lom:entry", ns):
                if element.text:
                    g.add((subject, sdo.identifier, Literal(element.text.strip())))
            for element in lom.findall("lom:technical/lom:location", ns):
                if element.text and element.text.strip().startswith("http"):
                    g.add((subject, sdo.url, URIRef(element.text.strip())))
            for contribute in lom.findall("lom:lifeCycle/lom:contribute", ns):
                role = contribute.findtext("lom:role/lom:value", "", ns).strip()
                prop = sdo.creator if role.endswith("author") else sdo.contributor
                for entity in contribute.findall("lom:entity", ns):
                    match = vcard_name.search(entity.text or "")
                    if match and match.group(1).strip():
                        agent = BNode()
                        g.add((subject, prop, agent))
                        g.add((agent, RDF.type, sdo.Person))
                        g.add((agent, sdo.name, Literal(match.group(1).strip())))
                date = contribute.findtext("lom:date/lom:dateTime", "", ns).strip()
                if date:
                    g.add((subject, sdo.dateCreated, Literal(date[:10], datatype=XSD.date)))
            for path, prop in (
                ("lom:educational/lom:learningResourceType/lom:value", sdo.learningResourceType),
                ("lom:educational/lom:context/lom:value", sdo.educationalLevel),
                ("lom:educational/lom:intendedEndUserRole/lom:value", sdo.audience),
                ("lom:educational/lom:interactivityType/lom:value", sdo.interactivityType),
            ):
                for element in lom.findall(path, ns):
                    if element.text and element.text.strip():
                        g.add((subject, prop, Literal(element.text.strip())))
            licence = lom.findtext("lom:rights/lom:copyrightAndOtherRestrictions/lom:value", "", ns).strip()
            if licence:
                g.add((subject, sdo.license, Literal(licence)))
            page = URIRef(f"{url}?verb=GetRecord&metadataPrefix=lom&identifier={quote(identifier)}")
            g.add((subject, sdo.mainEntityOfPage, page))
            g.add((page, hub_ns.oaiIdentifier, Literal(identifier)))
            g.add((page, sdo.dateModified, Literal(record.header.datestamp, datatype=XSD.dateTime)))
            if keep_raw:
                g.add((page, hub_ns.rawMetadata, Literal(etree.tostring(lom, encoding="unicode"))))
            count += 1
            sampler(count)
            if count >= limit:
                break
    persist_seconds = None
    if options.get("naive_persist"):  # what a script would do next to keep its work: write N-Triples/N-Quads
        persisting = time.perf_counter()
        if dataset is not None:
            dataset.serialize(destination=str(workdir / "naive.nq"), format="nquads")
        else:
            graph.serialize(destination=str(workdir / "naive.nt"), format="nt")
        persist_seconds = time.perf_counter() - persisting
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    if dataset is not None:  # subjects() of a Dataset reads only its default graph: look at the quads
        stored = len({q[0] for q in dataset.quads((None, RDF.type, sdo.LearningResource, None))})
        triples = sum(1 for _ in dataset.quads((None, None, None, None)))
    else:
        stored = len(set(graph.subjects(RDF.type, sdo.LearningResource)))
        triples = len(graph)
    return {
        "seconds": seconds,
        "records": count,
        "stored": stored,
        "triples": triples,
        "peak_rss_mb": peak,
        "peak_rss_mb_with_check": peak_rss_mb(),
        "start_rss_mb": start_rss,
        "rss_samples": sampler.samples,
        "store": "rdflib Dataset, one graph per record" if dataset is not None else "rdflib Graph",
        "raw_metadata": keep_raw,
        "persist_seconds": persist_seconds,
        "ok": stored == limit,
    }


def run_floor(url: str, records: int, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Fetch and lxml-parse the same pages; bulk-load each page's share of the hub's quads."""
    import httpx2
    import pyoxigraph as ox
    from lxml import etree

    quads_file = Path(options["quads"])
    oai = "{http://www.openarchives.org/OAI/2.0/}"
    store = ox.Store(str(workdir / "floor"))
    per_page = options.get("floor_load", "page") == "page"
    total_bytes = quads_file.stat().st_size
    sampler = Sampler(records)
    start_rss = rss_mb()
    count = 0
    pages = 0
    loaded_bytes = 0
    started = time.perf_counter()
    with httpx2.Client(timeout=60) as client, quads_file.open("rb") as quads:
        params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": "lom"}
        while True:
            response = client.get(url, params=params)
            response.raise_for_status()
            root = etree.fromstring(response.content)
            list_records = root.find(f"{oai}ListRecords")
            if list_records is None:
                raise RuntimeError("the feed answered without <ListRecords>")
            count += len(list_records.findall(f"{oai}record"))
            pages += 1
            if per_page:
                # This page's share of the quads, cut at a line end (N-Quads is one quad per line).
                want = total_bytes * count // records - loaded_bytes
                chunk = quads.read(want) if want > 0 else b""
                if chunk and not chunk.endswith(b"\n"):
                    chunk += quads.readline()
                if count >= records:
                    chunk += quads.read()
                if chunk:
                    store.bulk_load(input=chunk, format=ox.RdfFormat.N_QUADS)
                    loaded_bytes += len(chunk)
            sampler(count)
            token = list_records.findtext(f"{oai}resumptionToken")
            if not token:
                break
            params = {"verb": "ListRecords", "resumptionToken": token}
        if not per_page:  # one bulk load of everything, streamed from the file, after the last page
            store.bulk_load(quads, format=ox.RdfFormat.N_QUADS)
            loaded_bytes = total_bytes
    store.flush()
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    stored = sum(1 for _ in store.named_graphs())
    quad_count = len(store)
    result = {
        "seconds": seconds,
        "records": count,
        "stored": stored,
        "quads": quad_count,
        "pages": pages,
        "peak_rss_mb": peak,
        "peak_rss_mb_with_check": peak_rss_mb(),
        "start_rss_mb": start_rss,
        "rss_samples": sampler.samples,
        "store_mb": _folder_mb(workdir / "floor"),
        "load": "one bulk_load per page" if per_page else "one bulk_load after the last page",
        "ok": count == records and stored == records and loaded_bytes == total_bytes,
    }
    del store
    return result


def _folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6, 1)


def run_hub_notag(url: str, records: int, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The hub without tagging (``eduhub harvest --no-tag``): what the assessments cost inside ingest."""
    return run_hub(url, records, workdir, {**options, "tag": False})


RUNNERS: dict[str, Callable[[str, int, Path, dict[str, Any]], dict[str, Any]]] = {
    "hub": run_hub,
    "hub-notag": run_hub_notag,
    "naive": run_naive,
    "floor": run_floor,
}


def child_main(name: str, url: str, records: int, workdir: Path, options: dict[str, Any]) -> None:
    core = pin_to_one_core(options.get("core", 0)) if options.get("pin", True) else None
    result = RUNNERS[name](url, records, workdir, options)
    result["core"] = core
    result["records_per_second"] = result["records"] / result["seconds"] if result["seconds"] else 0.0
    print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------- orchestration (the parent)


def run_contender(name: str, url: str, records: int, workdir: Path, options: dict[str, Any], timeout: float | None):
    """Run one contender in a fresh interpreter; its last stdout line is its JSON result."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.ingest",
        "--child",
        name,
        "--url",
        url,
        "--records",
        str(records),
        "--workdir",
        str(workdir),
        "--options",
        json.dumps(options),
    ]
    print(f"[{name}] running…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    if completed.returncode != 0 or not completed.stdout.strip():
        return {"ok": False, "error": (completed.stderr or "no output").strip()[-2000:]}
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    print(
        f"[{name}] {result['records']} records in {result['seconds']:.1f} s, "
        f"peak {result['peak_rss_mb']:.0f} MB{'' if result.get('ok') else ' — CHECK FAILED'}",
        file=sys.stderr,
        flush=True,
    )
    return result


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "system": platform.platform()}


def hub_code() -> dict[str, Any]:
    """Which hub code ran: git commit, uncommitted changes, and a digest of the sources actually on disk."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1()
    for folder in ("exchange", "harvesters"):
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())

    def git(*command: str) -> str | None:
        try:
            done = subprocess.run(["git", *command], cwd=root, capture_output=True, text=True, check=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    status = git("status", "--porcelain", "--", "exchange", "harvesters")
    commit = git("rev-parse", "--short", "HEAD")
    return {"commit": commit, "dirty": bool(status), "sources_sha1": digest.hexdigest()[:12]}


def rules_code() -> dict[str, Any]:
    """Which rules ran: their count and a digest of the rule files and parameters (rules/ is data)."""
    from exchange.tagging import rule_folders

    digest = hashlib.sha1()
    count = 0
    for folder in rule_folders():
        for path in sorted([*folder.rglob("*.rq"), *folder.glob("parameters.toml")]):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
            count += path.suffix == ".rq"
    return {"rule_files": count, "rules_sha1": digest.hexdigest()[:12]}


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def summarize(records: int, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    hub, naive = results.get("hub", {}), results.get("naive", {})
    speed = {n: r.get("records_per_second") for n, r in results.items()}
    peak = {n: r.get("peak_rss_mb") for n, r in results.items()}
    ratios = {
        "hub_vs_naive_speed": ratio(speed.get("hub"), speed.get("naive")),
        "hub_vs_floor_speed": ratio(speed.get("hub"), speed.get("floor")),
        "naive_vs_hub_peak_memory": ratio(peak.get("naive"), peak.get("hub")),
    }
    if "hub-notag" in results:  # the cost of tagging inside ingest: hub (tags) ÷ hub-notag (does not)
        ratios["hub_vs_hub_notag_speed"] = ratio(speed.get("hub"), speed.get("hub-notag"))
    if naive.get("records") and naive.get("records") != records:
        ratios["note"] = f"the naive peer ingested {naive['records']} of {records} records"
    targets: dict[str, bool | None] = {
        "speed_vs_naive": _at_least(ratios["hub_vs_naive_speed"], TARGETS["speed_vs_naive"]),
        "memory_vs_naive": _at_least(ratios["naive_vs_hub_peak_memory"], TARGETS["memory_vs_naive"]),
        "speed_vs_floor": _at_least(ratios["hub_vs_floor_speed"], TARGETS["speed_vs_floor"]),
        "records_per_second": _at_least(speed.get("hub"), TARGETS["records_per_second"]),
        "peak_rss_under_400_mb": peak.get("hub") < TARGETS["peak_rss_mb_at_100k"] if peak.get("hub") else None,
    }
    return {"ratios": ratios, "targets": targets, "hub_ok": hub.get("ok")}


def _at_least(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def table(report: dict[str, Any]) -> str:
    code = report["hub_code"]
    changed = "  WARNING: the hub code changed during the run" if code["changed_during_run"] else ""
    rows = [
        f"hub code: {code['commit']}{' + uncommitted changes' if code['dirty'] else ''} "
        f"(sources {code['sources_sha1']}"
        + (f", rules {report['rules_code']['rules_sha1']}" if report.get("rules_code") else "")
        + f"){changed}",
        f"records: {report['records']:,}   page size: {report['page_size']}   "
        f"feed: {report['feed']['kib_per_record']:.1f} KiB/record, served {report['feed']['mb_served']:,.0f} MB",
        "",
        f"{'contender':<10} {'records':>9} {'seconds':>9} {'records/s':>10} {'peak RSS MB':>12} {'start MB':>9}  check",
    ]
    for name, result in report["contenders"].items():
        if "seconds" not in result:
            rows.append(f"{name:<10} failed: {result.get('error', '?')[:300]}")
            continue
        rows.append(
            f"{name:<10} {result['records']:>9,} {result['seconds']:>9.1f} {result['records_per_second']:>10,.0f} "
            f"{result['peak_rss_mb']:>12.0f} {result['start_rss_mb']:>9.0f}  {'ok' if result.get('ok') else 'FAILED'}"
        )
    ratios = report["summary"]["ratios"]
    rows.append("")
    for key, value in ratios.items():
        rows.append(f"{key:<26} {value if value is not None else '—'}")
    rows.append("")
    for key, met in report["summary"]["targets"].items():
        rows.append(f"target {key:<22} {'met' if met else 'not met' if met is not None else '—'}")
    return "\n".join(rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ingest", description="Ingest benchmark: hub vs naive peer vs floor."
    )
    parser.add_argument("--records", type=int, default=10_000, help="records in the synthetic feed (N)")
    parser.add_argument("--page-size", type=int, default=100, help="records per ListRecords page")
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT_CONTENDERS),
        help=f"comma-separated contenders to run, of {', '.join(CONTENDERS)} (floor needs hub)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON ('-' for stdout)")
    parser.add_argument("--profile", metavar="PATH", help="cProfile the hub's harvest into PATH (slows it down)")
    parser.add_argument("--profile-notag", metavar="PATH", help="cProfile the hub-notag harvest into PATH")
    parser.add_argument("--naive-store", choices=("graph", "dataset"), default="graph")
    parser.add_argument("--naive-raw", choices=("yes", "no"), default="yes", help="naive peer keeps the raw XML")
    parser.add_argument(
        "--naive-persist", action="store_true", help="naive peer writes its graph to an N-Triples file (timed)"
    )
    parser.add_argument("--naive-records", type=int, help="let the naive peer stop after this many records")
    parser.add_argument(
        "--floor-load", choices=("page", "once"), default="page", help="floor: bulk_load per page, or once at the end"
    )
    parser.add_argument("--timeout", type=float, help="seconds after which a contender is stopped")
    parser.add_argument("--no-pin", action="store_true", help="do not pin contenders to one core")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the stores (default: a temporary dir)")
    # internal: how the parent starts a contender
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args.child, args.url, args.records, Path(args.workdir), json.loads(args.options))
        return 0
    chosen = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(chosen) - set(CONTENDERS)
    if unknown or not chosen:
        raise SystemExit(f"--only takes some of {', '.join(CONTENDERS)}")
    if "floor" in chosen and "hub" not in chosen:
        raise SystemExit("the floor loads the quads the hub stored in the same run: add hub to --only")
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="eduhub-bench-"))
    if args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    pin = not args.no_pin and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1
    if pin:  # the feed server (this process) on the other cores, each contender on core 0
        os.sched_setaffinity(0, set(os.sched_getaffinity(0)) - {0})
    code_before, rules_before = hub_code(), rules_code()
    quads = workdir / "hub-records.nq"
    options: dict[str, Any] = {"pin": pin, "core": 0}
    results: dict[str, dict[str, Any]] = {}
    try:
        with serve(args.records, args.page_size) as server:
            for name in CONTENDERS:
                if name not in chosen:
                    continue
                extra: dict[str, Any] = {}
                if name == "hub":
                    extra = {"profile": args.profile, "dump": str(quads) if "floor" in chosen else None}
                elif name == "hub-notag":
                    extra = {"profile": args.profile_notag}
                elif name == "naive":
                    extra = {
                        "naive_store": args.naive_store,
                        "naive_raw": args.naive_raw == "yes",
                        "naive_records": args.naive_records,
                        "naive_persist": args.naive_persist,
                    }
                elif name == "floor":
                    if not results.get("hub", {}).get("quads"):
                        results["floor"] = {"ok": False, "error": "the hub run left no quads to load"}
                        continue
                    extra = {"quads": str(quads), "floor_load": args.floor_load}
                results[name] = run_contender(
                    name, server.url, args.records, workdir, {**options, **extra}, args.timeout
                )
            served_mb = server.bytes_sent / 1e6
            sample = min(args.records, 300)
            kib = sum(len(server.feed.record("lom", n).encode()) for n in range(sample)) / 1024 / max(sample, 1)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    code_after = hub_code()
    report = {
        "records": args.records,
        "hub_code": {**code_before, "changed_during_run": code_before != code_after},
        "rules_code": {**rules_before, "changed_during_run": rules_before != rules_code()},
        "page_size": args.page_size,
        "machine": machine(),
        "pinned_to_one_core": pin,
        "feed": {"mb_served": round(served_mb, 1), "kib_per_record": round(kib, 2)},
        "options": {
            "naive_store": args.naive_store,
            "naive_raw": args.naive_raw,
            "naive_records": args.naive_records,
            "naive_persist": args.naive_persist,
            "floor_load": args.floor_load,
        },
        "contenders": results,
        "summary": summarize(args.records, results),
    }
    text = table(report)
    print(text, file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json == "-":
        print(json.dumps(report, indent=2))
    elif args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.get("ok") for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
