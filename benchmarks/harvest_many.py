"""Many sources at once: the hub harvesting N loopback feeds one after another, then concurrently.

``python -m benchmarks.harvest_many --sources 20 --records 5000 --latency 0.05`` starts a
**server process** with N feeds of :mod:`benchmarks.feed` (SYNTHETIC records made from real
LOM templates), each on its own loopback port, so each is its own host for the harvester's
politeness, and each answering every request ``--latency`` seconds late, as a distant
repository would. The servers run in their own process, so their CPU is not counted in the
hub's; on a small machine they still share its cores with the hub (the report gives their
CPU time too).

Then, one after the other, each contender runs in its own child process on a fresh data
folder, so that its peak RSS is its own. Both register the N sources with
``hub.state.add_source(name, url)`` (the hub picks ``lom`` from ListMetadataFormats) and
harvest them through :class:`harvesters.scheduler.Harvester`, the code ``eduhub harvest``
runs, with one shared :class:`~harvesters.http.HostGate` (one request at a time per host):

sequential
    ``Harvester(hub, concurrency=1).run(names)``: the sources one after another. Not
    strictly one request at a time: the pipeline already fetches the next page of a source
    in a thread while it processes the current one (``harvesters/prefetch.py``), so even
    here a page's latency overlaps the previous page's crosswalk and write.
concurrent
    ``Harvester(hub, concurrency=C).run(names)`` (``--concurrency``, default 4): up to C
    sources at a time, each with its own client and prefetch thread.

Wall time is ``Harvester.run`` from the first request to the return of the last harvest
(its last commit, the source-wide tags and the publication log). Records/s is N×records
over that. CPU is the child's user+sys time (all its threads) over the same span: CPU ÷
wall near 1 means one core was busy all along (Python holds the GIL), well below 1 means
the run waited on the network. Peak RSS is ``getrusage(RUSAGE_SELF).ru_maxrss`` of the
child after the harvest. The child counts the ``schema:LearningResource`` in its store
afterwards: the check is that it holds N×records, with every run ``ok`` and nothing
quarantined. For where the time goes between threads, the child also times the store's
write lock (wait and hold) and the SQLite state transactions, by wrapping them; the hub's
code is not changed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from benchmarks.feed import Feed, FeedServer, load_templates
from benchmarks.ingest import RssMonitor, Sampler, hub_code, machine, peak_rss_mb, rss_mb, rules_code

BASE = "http://bench.test"
CONTENDERS = ("sequential", "concurrent")
COUNT_RESOURCES = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a <http://schema.org/LearningResource> }"


def source_name(index: int) -> str:
    return f"src{index:02d}"


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------- the server process


def serve_many(sources: int, records: int, page_size: int, latency: float, control: TextIO, out: TextIO) -> None:
    """Run ``sources`` feeds until ``control`` closes; answer ``stats`` lines with a JSON line."""
    templates = load_templates()
    servers = [FeedServer(Feed(records, page_size, templates), latency=latency) for _ in range(sources)]
    threads = [threading.Thread(target=s.serve_forever, name=f"feed-{i}", daemon=True) for i, s in enumerate(servers)]
    for thread in threads:
        thread.start()
    print(json.dumps({"urls": [s.url for s in servers], "pid": os.getpid()}), file=out, flush=True)
    try:
        for line in control:
            if line.strip() == "stats":
                stats = {
                    "requests": sum(s.requests for s in servers),
                    "bytes_sent": sum(s.bytes_sent for s in servers),
                    "cpu_seconds": cpu_seconds(),
                    "threads": threading.active_count(),
                }
                print(json.dumps(stats), file=out, flush=True)
            elif line.strip() == "quit":
                break
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


class Servers:
    """The parent's handle on the server process: its feed URLs, and its counters on demand."""

    def __init__(self, sources: int, records: int, page_size: int, latency: float) -> None:
        command = [
            sys.executable,
            "-m",
            "benchmarks.harvest_many",
            "--serve",
            "--sources",
            str(sources),
            "--records",
            str(records),
            "--page-size",
            str(page_size),
            "--latency",
            str(latency),
        ]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if not first:
            self.close()
            raise RuntimeError("the feed server process did not start")
        self.urls: list[str] = json.loads(first)["urls"]

    def stats(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write("quit\n")
                self.process.stdin.close()
                self.process.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=15)


@contextmanager
def server_process(sources: int, records: int, page_size: int, latency: float) -> Iterator[Servers]:
    servers = Servers(sources, records, page_size, latency)
    try:
        yield servers
    finally:
        servers.close()


# ---------------------------------------------------------------------- instruments (in the child)


class TimedLock:
    """Wraps a (re-entrant) lock: how long threads waited for it and held it, outermost holds only."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.local = threading.local()
        self.stats_lock = threading.Lock()
        self.acquisitions = 0
        self.contended = 0  # waited more than a millisecond
        self.wait_seconds = 0.0
        self.held_seconds = 0.0

    def __enter__(self) -> TimedLock:
        depth = getattr(self.local, "depth", 0)
        if depth == 0:
            asked = time.perf_counter()
            self.inner.acquire()
            got = time.perf_counter()
            self.local.since = got
            with self.stats_lock:
                self.acquisitions += 1
                self.wait_seconds += got - asked
                self.contended += got - asked > 0.001
        else:
            self.inner.acquire()
        self.local.depth = depth + 1
        return self

    def __exit__(self, *_: object) -> None:
        self.local.depth -= 1
        if self.local.depth == 0:
            held = time.perf_counter() - self.local.since
            with self.stats_lock:
                self.held_seconds += held
        self.inner.release()

    def report(self) -> dict[str, Any]:
        return {
            "acquisitions": self.acquisitions,
            "contended": self.contended,
            "wait_seconds": round(self.wait_seconds, 2),
            "held_seconds": round(self.held_seconds, 2),
        }


class Phases:
    """Seconds the harvest threads spent in each step of the pipeline, summed over threads.

    Wraps ``exchange.pipeline``'s module functions for the child's lifetime: ``wait_page`` is
    a harvest thread blocked on its prefetch thread (the network and page parsing),
    ``crosswalk`` the page's crosswalk and validation, ``commit`` the store write with its
    lock wait and the SQLite bookkeeping. The rest of a run (Identify, source-wide tags,
    the publication log's reconcile) is ``seconds`` minus these.
    """

    def __init__(self) -> None:
        from exchange import pipeline

        self.seconds: dict[str, float] = {"wait_page": 0.0, "crosswalk": 0.0, "commit": 0.0}
        self.lock = threading.Lock()
        original_prefetched, original_process, original_commit = (
            pipeline.prefetched,
            pipeline._process,
            pipeline._commit,
        )

        def prefetched(items: Iterator[Any], depth: int = 1) -> Iterator[Any]:
            inner = original_prefetched(items, depth)
            try:
                while True:
                    asked = time.perf_counter()
                    try:
                        item = next(inner)
                    except StopIteration:
                        return
                    finally:
                        self.add("wait_page", time.perf_counter() - asked)
                    yield item
            finally:
                inner.close()

        def timed(step: str, function: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.add(step, time.perf_counter() - started)

            return wrapper

        pipeline.prefetched = prefetched
        pipeline._process = timed("crosswalk", original_process)
        pipeline._commit = timed("commit", original_commit)

    def add(self, step: str, seconds: float) -> None:
        with self.lock:
            self.seconds[step] += seconds

    def report(self) -> dict[str, float]:
        return {step: round(seconds, 2) for step, seconds in self.seconds.items()}


class RunQueue:
    """How long this process's threads waited for a CPU (runnable, not running), from Linux schedstat.

    Samples ``/proc/self/task/*/schedstat`` every ``interval`` s and keeps each thread's last
    value, so a thread that ends loses at most its last interval. On a shared machine this is
    the time other processes (and the feed servers) took from the hub. None off Linux.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.waits: dict[str, int] = {}
        self.available = Path("/proc/self/task").is_dir()
        self.start = self._read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="runqueue-monitor", daemon=True)
        if self.available:
            self._thread.start()

    def _read(self) -> dict[str, int]:
        found: dict[str, int] = {}
        if not self.available:
            return found
        for task in Path("/proc/self/task").iterdir():
            try:
                found[task.name] = int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
        return found

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.waits.update(self._read())

    def stop(self) -> float | None:
        """Seconds of run-queue wait since start, all threads."""
        if not self.available:
            return None
        self._stop.set()
        self._thread.join()
        self.waits.update(self._read())
        return round(sum(v - self.start.get(k, 0) for k, v in self.waits.items()) / 1e9, 2)


def cpu_pressure() -> float | None:
    """Seconds, since boot, that some task on this machine waited for a CPU (Linux PSI); None if unknown."""
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return int(first.rsplit("total=", 1)[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return None


class TimedTransactions:
    """Wraps ``hub.state.transaction``: time to BEGIN IMMEDIATE (SQLite's writer lock) and to COMMIT."""

    def __init__(self, state: Any) -> None:
        self.original = state.transaction
        self.stats_lock = threading.Lock()
        self.count = 0
        self.begin_seconds = 0.0
        self.total_seconds = 0.0
        state.transaction = self.transaction

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        asked = time.perf_counter()
        with self.original() as db:
            begun = time.perf_counter()
            yield db
        done = time.perf_counter()
        with self.stats_lock:
            self.count += 1
            self.begin_seconds += begun - asked
            self.total_seconds += done - asked

    def report(self) -> dict[str, Any]:
        return {
            "transactions": self.count,
            "begin_wait_seconds": round(self.begin_seconds, 2),
            "seconds": round(self.total_seconds, 2),
        }


# ---------------------------------------------------------------------- a contender (the child)


def run_contender(name: str, urls: list[str], records: int, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Harvest every URL into a fresh hub with ``Harvester(concurrency=…)``; numbers and a check."""
    from exchange.config import Settings
    from exchange.hub import Hub
    from exchange.pipeline import RunSummary
    from harvesters.http import HostGate
    from harvesters.oaipmh import Page
    from harvesters.scheduler import Harvester

    concurrency = 1 if name == "sequential" else int(options.get("concurrency", 4))
    tag = bool(options.get("tag", True))
    total = records * len(urls)
    names = [source_name(i) for i in range(len(urls))]
    sampler = Sampler(total)
    counters = {"records": 0, "pages": 0}
    ends: dict[str, float] = {}
    guard = threading.Lock()
    start_rss = rss_mb()
    with Hub.open(Settings(data_dir=workdir / name, base=BASE)) as hub:
        for source, url in zip(names, urls, strict=True):
            hub.state.add_source(source, url)
        store_lock = TimedLock(hub.store._write_lock) if hasattr(hub.store, "_write_lock") else None
        if store_lock is not None:
            hub.store._write_lock = store_lock
        transactions = TimedTransactions(hub.state)
        phases = Phases()

        def progress(summary: RunSummary, page: Page) -> None:
            with guard:
                counters["records"] += len(page.records)
                counters["pages"] += 1
                sampler(counters["records"])

        def done(summary: RunSummary) -> None:
            with guard:
                ends[summary.source] = time.perf_counter()

        harvester = Harvester(
            hub, concurrency=concurrency, gate=HostGate(per_host=1), tag=tag, progress=progress, on_done=done
        )
        monitor = RssMonitor()
        run_queue = RunQueue()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        try:
            summaries = harvester.run(names)
        finally:
            harvester.close()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        waited_for_cpu = run_queue.stop()
        timeline = monitor.stop()
        peak = peak_rss_mb()  # before the check query, whose memory is not the harvest's
        stored = int(hub.store.select(COUNT_RESOURCES)[0]["n"])
    per_source = [
        {
            "source": s.source,
            "status": s.status,
            "error": s.error,
            "records": s.records,
            "added": s.added,
            "quarantined": s.quarantined,
            "pages": s.pages,
            "seconds": s.seconds,
            "end_at": round(ends.get(s.source, started) - started, 2),
            "start_at": round(ends.get(s.source, started) - started - s.seconds, 2),
        }
        for s in summaries
    ]
    harvested = sum(s.records for s in summaries)
    return {
        "contender": name,
        "concurrency": concurrency,
        "tag": tag,
        "seconds": seconds,
        "records": harvested,
        "expected": total,
        "stored": stored,
        "pages": sum(s.pages for s in summaries),
        "records_per_second": harvested / seconds if seconds else 0.0,
        "cpu_seconds": cpu,
        "cpu_per_wall": cpu / seconds if seconds else 0.0,
        "run_queue_wait_seconds": waited_for_cpu,
        "phases": phases.report(),
        "peak_rss_mb": peak,
        "start_rss_mb": start_rss,
        "rss_samples": sampler.samples,
        "rss_peak": timeline,
        "store_write_lock": store_lock.report() if store_lock is not None else None,
        "state_transactions": transactions.report(),
        "sources": per_source,
        "ok": stored == total
        and harvested == total
        and all(s.status == "ok" and s.quarantined == 0 and s.added == records for s in summaries),
    }


def child_main(name: str, urls: list[str], records: int, workdir: Path, options: dict[str, Any]) -> None:
    print(json.dumps(run_contender(name, urls, records, workdir, options)), flush=True)


# ---------------------------------------------------------------------- orchestration (the parent)


def run_child(
    name: str, urls: list[str], records: int, workdir: Path, options: dict[str, Any], timeout: float | None
) -> dict[str, Any]:
    """Run one contender in a fresh interpreter; its last stdout line is its JSON result."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.harvest_many",
        "--child",
        name,
        "--records",
        str(records),
        "--workdir",
        str(workdir),
        "--options",
        json.dumps({**options, "urls": urls}),
    ]
    print(f"[{name}] running…", file=sys.stderr, flush=True)
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    if completed.returncode != 0 or not completed.stdout.strip():
        return {"ok": False, "error": (completed.stderr or "no output").strip()[-2000:]}
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    print(
        f"[{name}] {result['records']:,} records in {result['seconds']:.1f} s, CPU {result['cpu_seconds']:.1f} s, "
        f"peak {result['peak_rss_mb']:.0f} MB{'' if result.get('ok') else ' — CHECK FAILED'}",
        file=sys.stderr,
        flush=True,
    )
    return result


def network_floor(sources: int, records: int, page_size: int, latency: float, concurrency: int) -> float:
    """Seconds the latency alone costs if all processing overlapped it: per source Identify,
    ListMetadataFormats and its pages one after another, ``concurrency`` sources at a time."""
    per_source = (2 + max(1, math.ceil(records / page_size))) * latency
    return math.ceil(sources / concurrency) * per_source


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def summarize(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Concurrent against sequential: wall time, records/s, CPU and peak RSS."""
    sequential, concurrent = results.get("sequential", {}), results.get("concurrent", {})
    return {
        "concurrent_vs_sequential_wall": ratio(concurrent.get("seconds"), sequential.get("seconds")),
        "concurrent_vs_sequential_records_per_second": ratio(
            concurrent.get("records_per_second"), sequential.get("records_per_second")
        ),
        "concurrent_vs_sequential_cpu": ratio(concurrent.get("cpu_seconds"), sequential.get("cpu_seconds")),
        "concurrent_vs_sequential_peak_rss": ratio(concurrent.get("peak_rss_mb"), sequential.get("peak_rss_mb")),
    }


def table(report: dict[str, Any]) -> str:
    code = report["hub_code"]
    setup = report["setup"]
    rows = [
        f"hub code: {code['commit']}{' + uncommitted changes' if code['dirty'] else ''} "
        f"(sources {code['sources_sha1']}){'  WARNING: changed during the run' if code['changed_during_run'] else ''}",
        f"{setup['sources']} sources × {setup['records']:,} records, page size {setup['page_size']}, "
        f"latency {setup['latency']:g} s per response, tagging {'on' if setup['tag'] else 'off'}, "
        f"{report['machine']['cpus']} CPUs",
        "",
        f"{'contender':<12} {'C':>3} {'records':>9} {'wall s':>8} {'records/s':>10} {'pages':>6} "
        f"{'CPU s':>8} {'CPU/wall':>8} {'CPU wait s':>10} {'peak MB':>8} {'net floor s':>11} "
        f"{'server CPU s':>12}  check",
    ]
    for name, result in report["contenders"].items():
        if "seconds" not in result:
            rows.append(f"{name:<12} failed: {result.get('error', '?')[:300]}")
            continue
        rows.append(
            f"{name:<12} {result['concurrency']:>3} {result['records']:>9,} {result['seconds']:>8.1f} "
            f"{result['records_per_second']:>10,.0f} {result['pages']:>6} {result['cpu_seconds']:>8.1f} "
            f"{result['cpu_per_wall']:>8.2f} {_number(result.get('run_queue_wait_seconds')):>10} "
            f"{result['peak_rss_mb']:>8.0f} {result['network_floor_seconds']:>11.1f} "
            f"{result.get('server', {}).get('cpu_seconds', 0):>12.1f}  {'ok' if result.get('ok') else 'FAILED'}"
        )
    rows.append("")
    for name, result in report["contenders"].items():
        phases, machine_load = result.get("phases"), result.get("machine", {})
        if phases:
            rows.append(
                f"{name:<12} harvest threads: {phases['wait_page']:.1f} s waiting for pages, "
                f"{phases['crosswalk']:.1f} s crosswalk, {phases['commit']:.1f} s commit; machine: load "
                f"{machine_load.get('load_average_before')}, CPU pressure {machine_load.get('cpu_pressure_share')}"
            )
        lock, sqlite = result.get("store_write_lock"), result.get("state_transactions")
        if lock:
            rows.append(
                f"{name:<12} store write lock: {lock['acquisitions']} holds, {lock['held_seconds']:.1f} s held, "
                f"{lock['wait_seconds']:.1f} s waited ({lock['contended']} waits > 1 ms); SQLite: "
                f"{sqlite['transactions']} transactions, {sqlite['seconds']:.1f} s, "
                f"{sqlite['begin_wait_seconds']:.1f} s waiting to begin"
            )
    rows.append("")
    for key, value in report["summary"].items():
        rows.append(f"{key:<46} {value if value is not None else '—'}")
    return "\n".join(rows)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.harvest_many",
        description="N loopback sources harvested one after another, then concurrently.",
    )
    parser.add_argument("--sources", type=int, default=20, help="feeds, each on its own port (default 20)")
    parser.add_argument("--records", type=int, default=5000, help="records per feed (default 5000)")
    parser.add_argument("--page-size", type=int, default=100, help="records per ListRecords page (default 100)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each response waits (default 0.05)")
    parser.add_argument("--concurrency", type=int, default=4, help="sources at once, concurrent contender (4)")
    parser.add_argument(
        "--only",
        default=",".join(CONTENDERS),
        help=f"comma-separated contenders, run in the order given, of {', '.join(CONTENDERS)}",
    )
    parser.add_argument("--no-tag", action="store_true", help="harvest without tagging (eduhub harvest --no-tag)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON ('-' for stdout)")
    parser.add_argument("--timeout", type=float, help="seconds after which a contender is stopped")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the hubs (default: a temporary dir)")
    # internal: the server process and the contenders
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sources < 1 or args.records < 1 or args.page_size < 1 or args.concurrency < 1 or args.latency < 0:
        parser.error("--sources, --records, --page-size and --concurrency must be at least 1, --latency at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve_many(args.sources, args.records, args.page_size, args.latency, sys.stdin, sys.stdout)
        return 0
    if args.child:
        options = json.loads(args.options)
        child_main(args.child, options.pop("urls"), args.records, Path(args.workdir), options)
        return 0
    chosen = list(dict.fromkeys(n.strip() for n in args.only.split(",") if n.strip()))  # in the order given
    if not chosen or set(chosen) - set(CONTENDERS):
        raise SystemExit(f"--only takes some of {', '.join(CONTENDERS)}")
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="eduhub-harvest-many-"))
    if args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    code_before, rules_before = hub_code(), rules_code()
    options = {"concurrency": args.concurrency, "tag": not args.no_tag}
    results: dict[str, dict[str, Any]] = {}
    try:
        with server_process(args.sources, args.records, args.page_size, args.latency) as servers:
            for name in chosen:
                before, pressure, load = servers.stats(), cpu_pressure(), _load()
                started = time.perf_counter()
                result = run_child(name, servers.urls, args.records, workdir, options, args.timeout)
                elapsed = time.perf_counter() - started
                after, pressure_after = servers.stats(), cpu_pressure()
                result["machine"] = {
                    "load_average_before": load,
                    # share of the contender's process lifetime in which some task on the machine
                    # waited for a CPU (PSI cpu "some"): 0 on an idle machine
                    "cpu_pressure_share": round((pressure_after - pressure) / elapsed, 3)
                    if pressure is not None and pressure_after is not None
                    else None,
                }
                result["server"] = {
                    "requests": after["requests"] - before["requests"],
                    "mb_sent": round((after["bytes_sent"] - before["bytes_sent"]) / 1e6, 1),
                    "cpu_seconds": round(after["cpu_seconds"] - before["cpu_seconds"], 2),
                }
                concurrency = 1 if name == "sequential" else args.concurrency
                result["network_floor_seconds"] = network_floor(
                    args.sources, args.records, args.page_size, args.latency, concurrency
                )
                result.setdefault("concurrency", concurrency)
                results[name] = result
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    report = {
        "setup": {
            "sources": args.sources,
            "records": args.records,
            "page_size": args.page_size,
            "latency": args.latency,
            "concurrency": args.concurrency,
            "tag": not args.no_tag,
            "per_host": 1,
        },
        "hub_code": {**code_before, "changed_during_run": code_before != hub_code()},
        "rules_code": {**rules_before, "changed_during_run": rules_before != rules_code()},
        "machine": machine(),
        "contenders": results,
        "summary": summarize(results),
    }
    text = table(report)
    print(text, file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json == "-":
        print(json.dumps(report, indent=2))
    elif args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if results and all(r.get("ok") for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
