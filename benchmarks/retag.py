"""Retag benchmark: ``eduhub retag`` over N records, rule by rule, against tagging record by record.

``python -m benchmarks.retag --records 100000`` builds a hub of N synthetic LOM records (the
loopback OAI-PMH feed of :mod:`benchmarks.feed`, harvested by the hub itself without tagging,
as ``eduhub harvest --no-tag`` does) and then times the tagging engine (``exchange/tagging.py``,
docs/tagging.md) over it. Each phase runs in its own child process pinned to one core; the
parent serves the feed on the other core and watches the child's RSS with psutil.

build
    ``Hub.open`` on a fresh folder, register the feed, ``harvest(hub, "bench", full=True,
    tag=False)``. Its rate is the hub's ingest rate without tagging at N.
rules
    the operations of ``tagging.source_operations``, one rule at a time: each rule's
    ``INSERT … WHERE`` (restricted to the source's records) as its own update, timed alone.
    The assessments graph starts empty (an untimed DROP) and fills up rule by rule. Each
    operation is checked to be word for word the one ``source_operations`` puts in its request.
one-request (only with ``--one-request``)
    ``store.update(tagging.source_operations(base, source, prefix))``: the DROP of the
    source's assessments and every rule in one request, so one transaction (at 100,000
    records it held 14.7 GB). The store holds the assessments of the rules phase, as after a
    tagged harvest.
retag
    ``eduhub retag --source bench --json`` itself, through ``exchange.cli.main`` in the child
    (its ``Hub.open`` included): whatever the command runs, one request or one per rule. The
    store again holds a full set of assessments.
per-record (the peer the issue warns against)
    for each of the first ``--sample`` records (feed numbers 0 … S-1), its own update
    ``tagging.page_operations(base, source, [iri], [])``: the record's old assessments out and
    every record-scope rule restricted to that record (``VALUES ?record { <iri> }``). The
    source-scope rules (duplicate titles) are not in ``page_operations``: run per record they
    would read the whole source every time. So the peer does a little less than retag; the
    like-for-like ratio compares it with the record-scope rules of the rules phase. The same
    sample is then tagged in updates of ``--page-size`` records (what a tagged harvest adds to
    each page's update), and rule by rule into a scratch graph: milliseconds per call
    restricted to one record (``--rule-sample`` records) and to one page (up to 3 pages of
    the sample). A rule whose restricted form still reads the whole store shows here: its
    cost per call hardly depends on the restriction and grows with N. Last, the DROP of the
    source's assessments graph is timed alone (the first operation of a retag).

Records/s is N ÷ seconds for the source-wide phases and S ÷ seconds for the per-record and
per-page ones; opening the hub (but for retag) and the counting queries are outside the timed
parts. Peak
RSS is ``ru_maxrss`` of the child (interpreter and imports included: ``start_rss_mb``), and
the peak of the parent's psutil samples every 50 ms.

``--json`` prints the report as JSON (the table goes to stderr), ``--save`` writes it to
``benchmarks/results/retag-<date>.json``, ``--markdown`` prints the tables for BENCHMARKS.md,
``--render FILE`` renders a saved report, ``--keep DIR`` builds the hub in DIR and keeps it
(``--reuse`` then skips the build when DIR already holds N records). Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.feed import Feed, serve
from benchmarks.ingest import BASE, SOURCE, hub_code, machine, peak_rss_mb, pin_to_one_core, rss_mb, rules_code

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
HUB_NS = "https://w3id.org/eduhub/ns#"
PHASES = ("build", "rules", "one-request", "retag", "per-record")
#: phases run unless asked otherwise (one-request holds the whole retag in one transaction: 15 GB at 100k)
DEFAULT_PHASES = ("build", "rules", "retag", "per-record")

if TYPE_CHECKING:  # the hub is imported in the phases: `--help` and the parent stay light
    from exchange.hub import Hub


# ---------------------------------------------------------------------- phases (run in the child)


def _open(workdir: Path) -> Hub:
    from exchange.config import Settings
    from exchange.hub import Hub

    return Hub.open(Settings(data_dir=workdir / "hub", base=BASE))


def _places(hub: Hub) -> tuple[str, str, str]:
    """(base, the source's record IRI prefix, the source's assessments graph)."""
    from exchange.model import record_iri
    from exchange.tagging import assessments_graph

    base = hub.settings.base
    return base, record_iri(base, SOURCE, ""), assessments_graph(base, SOURCE)


def _by_rule(store: Any, graph: str, records: Sequence[str] | None = None) -> dict[str, dict[str, int]]:
    """Assessments and distinct records per rule slug in ``graph`` (of ``records`` only, when given)."""
    from exchange.tagging import RULES

    values = "VALUES ?record { " + " ".join(f"<{r}>" for r in records) + " }" if records is not None else ""
    rows = store.select(
        f"SELECT ?rule (COUNT(?a) AS ?n) (COUNT(DISTINCT ?record) AS ?records) WHERE {{ {values} "
        f"GRAPH <{graph}> {{ ?record <{HUB_NS}assessment> ?a . ?a <{HUB_NS}rule> ?rule }} }} GROUP BY ?rule"
    )
    return {
        r["rule"].removeprefix(RULES): {"assessments": int(r["n"]), "records": int(r["records"])}
        for r in rows
        if "rule" in r
    }


def phase_build(workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Harvest the feed into a fresh hub without tagging (or reuse the hub in --keep DIR)."""
    from exchange.pipeline import harvest

    records = options["records"]
    folder = workdir / "hub"
    if options.get("reuse") and (folder / "store").exists():
        with _open(workdir) as hub:
            _, prefix, _ = _places(hub)
            stored = len(hub.store.graphs(prefix))
        if stored == records:
            return {"reused": True, "records": stored, "stored": stored, "ok": True}
    shutil.rmtree(folder, ignore_errors=True)
    start_rss = rss_mb()
    with _open(workdir) as hub:
        hub.state.add_source(SOURCE, options["url"])
        started = time.perf_counter()
        summary = harvest(hub, SOURCE, full=True, tag=False)
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
        _, prefix, graph = _places(hub)
        stored = len(hub.store.graphs(prefix))
        assessments = sum(r["assessments"] for r in _by_rule(hub.store, graph).values())
    return {
        "reused": False,
        "seconds": seconds,
        "records": summary.records,
        "stored": stored,
        "records_per_second": summary.records / seconds if seconds else 0.0,
        "status": summary.status,
        "error": summary.error,
        "quarantined": summary.quarantined,
        "assessments": assessments,
        "peak_rss_mb": peak,
        "start_rss_mb": start_rss,
        "store_mb": _folder_mb(folder / "store"),
        "ok": summary.status == "ok" and stored == records and summary.quarantined == 0 and assessments == 0,
    }


def phase_rules(workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Each rule's operation of source_operations as its own update, timed one by one."""
    from exchange import tagging

    start_rss = rss_mb()
    with _open(workdir) as hub:
        base, prefix, graph = _places(hub)
        records = len(hub.store.graphs(prefix))
        rules = tagging.shipped_rules()
        parameters = tagging.shipped_parameters()
        now = tagging.timestamp()
        whole = tagging.source_operations(base, SOURCE, prefix, rules=rules, parameters=parameters, now=now)
        hub.store.update(f"DROP SILENT GRAPH <{graph}>")  # untimed: no assessments before the first rule
        timed: list[dict[str, Any]] = []
        for rule in rules:
            operation = tagging.insert_operation(rule, graph, now=now, parameters=parameters, record_prefix=prefix)
            started = time.perf_counter()
            hub.store.update(tagging.request([rule], [operation]))
            seconds = time.perf_counter() - started
            timed.append(
                {
                    "rule": rule.slug,
                    "scope": rule.scope,
                    "seconds": seconds,
                    "records_per_second": records / seconds if seconds else 0.0,
                    "same_as_retag": operation in whole,
                }
            )
            print(f"  {rule.slug}: {seconds:.2f} s", file=sys.stderr, flush=True)
        peak = peak_rss_mb()
        counts = _by_rule(hub.store, graph)
    for row in timed:
        row.update(counts.get(row["rule"], {"assessments": 0, "records": 0}))
    return {
        "records": records,
        "rules": timed,
        "seconds": sum(r["seconds"] for r in timed),
        "records_per_second": records / sum(r["seconds"] for r in timed) if timed else 0.0,
        "assessments": sum(r["assessments"] for r in timed),
        "peak_rss_mb": peak,
        "start_rss_mb": start_rss,
        "ok": records > 0 and all(r["same_as_retag"] for r in timed),
    }


def phase_retag(workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """``eduhub retag --source bench --json``, through the CLI's own entry point (whatever it runs)."""
    from exchange import cli, tagging

    start_rss = rss_mb()
    with _open(workdir) as hub:
        _, prefix, graph = _places(hub)
        records = len(hub.store.graphs(prefix))
        before = sum(r["assessments"] for r in _by_rule(hub.store, graph).values())
    printed = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        code = cli.main(["retag", "--source", SOURCE, "--data", str(workdir / "hub"), "--json"])
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    with _open(workdir) as hub:
        counts = _by_rule(hub.store, graph)
    return {
        "how": f"eduhub retag --source {SOURCE} (exchange.cli.main, Hub.open included)",
        "records": records,
        "seconds": seconds,
        "records_per_second": records / seconds if seconds else 0.0,
        "rules": len(tagging.shipped_rules()),
        "cli_report": json.loads(printed.getvalue() or "null"),
        "assessments_before": before,
        "assessments": sum(r["assessments"] for r in counts.values()),
        "by_rule": counts,
        "peak_rss_mb": peak,
        "start_rss_mb": start_rss,
        "ok": code == 0 and records > 0,
    }


def phase_one_request(workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """``store.update(tagging.source_operations(base, source, prefix))``: every rule in one transaction."""
    from exchange import tagging

    start_rss = rss_mb()
    with _open(workdir) as hub:
        base, prefix, graph = _places(hub)
        records = len(hub.store.graphs(prefix))
        before = sum(r["assessments"] for r in _by_rule(hub.store, graph).values())
        request = tagging.source_operations(base, SOURCE, prefix)
        if not isinstance(request, str):
            return {"ok": False, "error": "source_operations no longer returns one request"}
        started = time.perf_counter()
        hub.store.update(request)
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
        counts = _by_rule(hub.store, graph)
    return {
        "how": "store.update(tagging.source_operations(...)): DROP and every rule in one request",
        "records": records,
        "seconds": seconds,
        "records_per_second": records / seconds if seconds else 0.0,
        "rules": len(tagging.shipped_rules()),
        "request_bytes": len(request.encode()),
        "assessments_before": before,
        "assessments": sum(r["assessments"] for r in counts.values()),
        "by_rule": counts,
        "peak_rss_mb": peak,
        "start_rss_mb": start_rss,
        "ok": records > 0,
    }


def phase_per_record(workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The peer: one update per record (page_operations of one record); then per page and per rule."""
    from exchange import tagging
    from exchange.model import record_iri

    sample, page_size, rule_sample = options["sample"], options["page_size"], options["rule_sample"]
    start_rss = rss_mb()
    with _open(workdir) as hub:
        base, prefix, graph = _places(hub)
        records = len(hub.store.graphs(prefix))
        sample = min(sample, records)
        iris = [record_iri(base, SOURCE, Feed.identifier(n)) for n in range(sample)]
        missing = len(iris) - len(hub.store.existing_graphs(iris))
        before = _by_rule(hub.store, graph, iris)
        record_rules = [r.slug for r in tagging.shipped_rules() if r.scope == "record"]

        started = time.perf_counter()
        for iri in iris:
            hub.store.update(tagging.page_operations(base, SOURCE, [iri], []))
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
        after = _by_rule(hub.store, graph, iris)

        started = time.perf_counter()
        for offset in range(0, sample, page_size):
            hub.store.update(tagging.page_operations(base, SOURCE, iris[offset : offset + page_size], []))
        page_seconds = time.perf_counter() - started
        after_pages = _by_rule(hub.store, graph, iris)

        per_call = _per_rule_calls(hub, iris, rule_sample, page_size)

        started = time.perf_counter()
        hub.store.update(f"DROP SILENT GRAPH <{graph}>")
        drop_seconds = time.perf_counter() - started
    same = before == after == after_pages  # page_operations leaves the source-scope assessments alone
    return {
        "records": sample,
        "source_records": records,
        "rules": len(record_rules),
        "seconds": seconds,
        "records_per_second": sample / seconds if seconds else 0.0,
        "peak_rss_mb": peak,
        "start_rss_mb": start_rss,
        "assessments": sum(r["assessments"] for r in after.values()),
        "same_assessments_as_retag": same,
        "per_page": {
            "page_size": page_size,
            "seconds": page_seconds,
            "records_per_second": sample / page_seconds if page_seconds else 0.0,
        },
        "per_rule_call": per_call,
        "drop_seconds": drop_seconds,
        "peak_rss_mb_all": peak_rss_mb(),
        "ok": sample > 0 and missing == 0 and same,
    }


def _per_rule_calls(hub: Hub, iris: list[str], count: int, page_size: int, pages: int = 3) -> dict[str, Any]:
    """Milliseconds per call of each rule restricted to one record, and to one page, into a scratch graph.

    A rule whose restricted form still reads the whole store costs about the same per call
    whatever the restriction, and that cost grows with N: it shows as a high one-record time
    close to its page time.
    """
    from exchange import tagging

    if count <= 0 or not iris:
        return {"records": 0, "pages": 0, "page_size": page_size, "rules": []}
    scratch = f"{hub.settings.base}/assessments/bench-scratch"
    parameters, now = tagging.shipped_parameters(), tagging.timestamp()
    chosen = iris[-count:] if len(iris) > count else iris
    chunks = [iris[i : i + page_size] for i in range(0, len(iris), page_size)][:pages]
    rows = []
    for rule in tagging.shipped_rules():

        def call(records: list[str], rule: tagging.Rule = rule) -> None:
            operation = tagging.insert_operation(rule, scratch, now=now, parameters=parameters, records=records)
            hub.store.update(tagging.request([rule], [operation]))

        call(chosen[:1])  # untimed: the first call also reads the rule's index blocks from disk
        started = time.perf_counter()
        for iri in chosen:
            call([iri])
        one = (time.perf_counter() - started) / len(chosen) * 1000
        started = time.perf_counter()
        for chunk in chunks:
            call(chunk)
        page = (time.perf_counter() - started) / len(chunks) * 1000
        rows.append({"rule": rule.slug, "scope": rule.scope, "ms_per_call": one, "ms_per_page_call": page})
    hub.store.update(f"DROP SILENT GRAPH <{scratch}>")
    return {"records": len(chosen), "pages": len(chunks), "page_size": page_size, "rules": rows}


def _folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6, 1)


PHASE_RUNNERS: dict[str, Callable[[Path, dict[str, Any]], dict[str, Any]]] = {
    "build": phase_build,
    "rules": phase_rules,
    "one-request": phase_one_request,
    "retag": phase_retag,
    "per-record": phase_per_record,
}


def child_main(phase: str, workdir: Path, options: dict[str, Any]) -> None:
    core = pin_to_one_core(options.get("core", 0)) if options.get("pin") else None
    result = PHASE_RUNNERS[phase](workdir, options)
    result["core"] = core
    print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------- orchestration (the parent)


class RssWatch:
    """The parent samples a child's RSS with psutil every ``interval`` s (None without psutil)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        try:
            import psutil
        except ImportError:
            self.process = None
            return
        self.process = psutil.Process(pid)
        self.errors = (psutil.Error,)
        self.interval, self.peak, self.started = interval, 0.0, time.perf_counter()
        self.peak_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                current = self.process.memory_info().rss / 1e6
            except self.errors:
                return
            if current > self.peak:
                self.peak, self.peak_at = current, time.perf_counter() - self.started

    def stop(self) -> dict[str, float | None]:
        if self.process is None:
            return {"peak_sampled_mb": None, "peak_at_seconds": None}
        self._stop.set()
        self._thread.join()
        return {"peak_sampled_mb": round(self.peak, 1), "peak_at_seconds": round(self.peak_at, 1)}


def run_phase(phase: str, workdir: Path, options: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its last stdout line is its JSON result."""
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "benchmarks.retag", "--child", phase, "--workdir", str(workdir)]
    command += ["--options", json.dumps(options)]
    print(f"[{phase}] running…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    out, err = logs / f"{phase}.out", logs / f"{phase}.err"
    with out.open("w", encoding="utf-8") as stdout, err.open("w", encoding="utf-8") as stderr:
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=ROOT)
        watch = RssWatch(child.pid)
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        sampled = watch.stop()
    lines = out.read_text(encoding="utf-8").strip().splitlines()
    if child.returncode != 0 or not lines:
        error = err.read_text(encoding="utf-8").strip()[-2000:] or f"exit status {child.returncode}"
        if child.returncode and child.returncode < 0 and timeout:
            error = f"stopped after {timeout:.0f} s\n{error}"
        print(f"[{phase}] FAILED: {error[-500:]}", file=sys.stderr, flush=True)
        return {"ok": False, "error": error}
    result = json.loads(lines[-1])
    result.update(sampled)
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    if "seconds" in result:
        print(
            f"[{phase}] {result['records']:,} records in {result['seconds']:.1f} s "
            f"({result['records_per_second']:,.0f} records/s), peak {result['peak_rss_mb']:.0f} MB"
            f"{'' if result.get('ok') else ' — CHECK FAILED'}",
            file=sys.stderr,
            flush=True,
        )
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def summarize(phases: dict[str, dict[str, Any]], top: int = 3) -> dict[str, Any]:
    rules, retag, peer = phases.get("rules", {}), phases.get("retag", {}), phases.get("per-record", {})
    one = phases.get("one-request", {})
    record_scope = [r for r in rules.get("rules", []) if r["scope"] == "record"]
    record_seconds = sum(r["seconds"] for r in record_scope)
    record_rate = rules.get("records", 0) / record_seconds if record_seconds else None
    slowest = sorted(rules.get("rules", []), key=lambda r: -r["seconds"])[:top]
    same = None
    if rules.get("rules") and retag.get("by_rule") is not None:
        wanted = {r["rule"]: r["assessments"] for r in rules["rules"] if r["assessments"]}
        same = all(
            wanted == {k: v["assessments"] for k, v in phase["by_rule"].items()}
            for phase in (retag, one)
            if phase.get("by_rule") is not None
        )
    return {
        "slowest_rules": [
            {
                "rule": r["rule"],
                "seconds": round(r["seconds"], 3),
                "share_of_rules": _ratio(r["seconds"], rules["seconds"]),
            }
            for r in slowest
        ],
        "record_rules_seconds": record_seconds,
        "record_rules_records_per_second": record_rate,
        "retag_same_assessments_as_rules": same,
        "ratios": {
            "retag_vs_per_record_speed": _ratio(retag.get("records_per_second"), peer.get("records_per_second")),
            "record_rules_vs_per_record_speed": _ratio(record_rate, peer.get("records_per_second")),
            "per_page_vs_per_record_speed": _ratio(
                peer.get("per_page", {}).get("records_per_second"), peer.get("records_per_second")
            ),
            "retag_seconds_vs_rules_sum": _ratio(retag.get("seconds"), rules.get("seconds")),
            "one_request_seconds_vs_rules_sum": _ratio(one.get("seconds"), rules.get("seconds")),
        },
        "per_record_projected_seconds_at_n": (
            round(rules["records"] / peer["records_per_second"], 1)
            if peer.get("records_per_second") and rules.get("records")
            else None
        ),
    }


# ---------------------------------------------------------------------- report


def _n(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _phase_row(name: str, what: str, result: dict[str, Any]) -> list[str]:
    if "seconds" not in result:
        return [name, what, "—", "—", "—", "—", "—", result.get("error", "not run")[:80].replace("\n", " ")]
    return [
        name,
        what,
        f"{result['records']:,}",
        _n(result["seconds"], 1),
        _n(result["records_per_second"]),
        _n(result.get("peak_rss_mb")),
        _n(result.get("peak_sampled_mb")),
        "ok" if result.get("ok") else "FAILED",
    ]


def phase_rows(report: dict[str, Any]) -> list[list[str]]:
    phases = report["phases"]
    build, peer = phases.get("build", {}), phases.get("per-record", {})
    rows = []
    if build.get("reused"):
        rows.append(["build", "reused the hub in --keep DIR", f"{build['records']:,}", "—", "—", "—", "—", "ok"])
    else:
        rows.append(_phase_row("build", "harvest(tag=False): ingest without tagging", build))
    rows.append(_phase_row("rules", "each rule's operation alone, summed", phases.get("rules", {})))
    if "one-request" in phases:
        rows.append(_phase_row("one-request", "source_operations as one request", phases["one-request"]))
    retag = phases.get("retag", {})
    # reports before the retag phase ran the CLI timed the one request `eduhub retag` ran then
    how = "eduhub retag --source bench" if "how" in retag else "source_operations, one request (eduhub retag)"
    rows.append(_phase_row("retag", how, retag))
    rows.append(_phase_row("per-record", "page_operations([iri]), one update per record", peer))
    if "per_page" in peer:
        page = peer["per_page"]
        rows.append(
            [
                "per-page",
                f"page_operations(page of {page['page_size']}), same sample",
                f"{peer['records']:,}",
                _n(page["seconds"], 1),
                _n(page["records_per_second"]),
                "",
                "",
                "",
            ]
        )
    return rows


def rule_rows(report: dict[str, Any]) -> list[list[str]]:
    rules = report["phases"].get("rules", {})
    calls = {r["rule"]: r for r in report["phases"].get("per-record", {}).get("per_rule_call", {}).get("rules", [])}
    total = rules.get("seconds") or 0
    rows = []
    for r in sorted(rules.get("rules", []), key=lambda r: -r["seconds"]):
        rows.append(
            [
                r["rule"],
                r["scope"],
                _n(r["seconds"], 2),
                _n(r["records_per_second"]),
                f"{r['seconds'] / total:.0%}" if total else "—",
                f"{r['assessments']:,}",
                _n(calls.get(r["rule"], {}).get("ms_per_call"), 2),
                _n(calls.get(r["rule"], {}).get("ms_per_page_call"), 1),
            ]
        )
    return rows


PHASE_HEAD = ["phase", "what", "records", "seconds", "records/s", "peak RSS MB", "sampled peak MB", "check"]
RULE_HEAD = [
    "rule",
    "scope",
    "seconds",
    "records/s",
    "share",
    "assessments",
    "ms per 1-record call",
    "ms per page call",
]


def _code_line(report: dict[str, Any]) -> str:
    code, rules = report["hub_code"], report["rules_code"]
    changed = "  WARNING: changed during the run" if code.get("changed_during_run") else ""
    return (
        f"hub code: {code['commit']}{' + uncommitted changes' if code['dirty'] else ''} "
        f"(sources {code['sources_sha1']}, rules {rules['rules_sha1']}: {rules['rule_files']} files){changed}"
    )


def table(report: dict[str, Any]) -> str:
    def lines(head: list[str], rows: list[list[str]], left: int) -> list[str]:
        widths = [max(len(str(x)) for x in column) for column in zip(head, *rows, strict=True)]
        fmt = [(str.ljust if i < left else str.rjust) for i in range(len(head))]
        return ["  ".join(f(str(c), w) for f, c, w in zip(fmt, row, widths, strict=True)) for row in [head, *rows]]

    summary = report["summary"]
    out = [
        _code_line(report),
        f"records: {report['records']:,}   sample: {report['sample']:,}   pinned: {report['pinned_to_one_core']}",
        "",
        *lines(PHASE_HEAD, phase_rows(report), 2),
        "",
        *lines(RULE_HEAD, rule_rows(report), 2),
        "",
    ]
    out += [f"{k:<36} {_n(v, 2) if isinstance(v, float) else v}" for k, v in summary["ratios"].items()]
    peer = report["phases"].get("per-record", {})
    if "drop_seconds" in peer:
        out.append(f"{'DROP of the assessments graph alone':<36} {peer['drop_seconds']:.2f} s")
    out.append(f"{'per-record, projected to all N':<36} {_n(summary['per_record_projected_seconds_at_n'], 0)} s")
    return "\n".join(out)


def markdown(report: dict[str, Any]) -> str:
    def md(head: list[str], rows: list[list[str]], left: int) -> list[str]:
        align = ["---" if i < left else "---:" for i in range(len(head))]
        return [f"| {' | '.join(head)} |", f"| {' | '.join(align)} |", *(f"| {' | '.join(r)} |" for r in rows)]

    return "\n".join([*md(PHASE_HEAD, phase_rows(report), 2), "", *md(RULE_HEAD, rule_rows(report), 2)])


# ---------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.retag", description="Retag benchmark: eduhub retag vs tagging record by record."
    )
    parser.add_argument("--records", type=int, default=100_000, help="records in the hub (N)")
    parser.add_argument("--sample", type=int, default=2000, help="records the per-record peer tags (the first S)")
    parser.add_argument("--rule-sample", type=int, default=20, help="records for the per-rule one-record calls")
    parser.add_argument("--page-size", type=int, default=100, help="feed page size, and the per-page contender's")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (the table goes to stderr)")
    parser.add_argument("--save", action="store_true", help="write the report to benchmarks/results/retag-<date>.json")
    parser.add_argument("--save-to", metavar="PATH", help="write the report to PATH instead")
    parser.add_argument("--markdown", action="store_true", help="also print the markdown tables (BENCHMARKS.md)")
    parser.add_argument("--render", metavar="FILE", help="print the tables of a saved report and exit")
    parser.add_argument("--keep", metavar="DIR", help="build the hub in DIR and keep it (default: a temporary dir)")
    parser.add_argument("--reuse", action="store_true", help="with --keep: skip the build if DIR holds N records")
    parser.add_argument(
        "--one-request",
        action="store_true",
        help="also time source_operations as one request (one transaction; 15 GB of RAM at 100k)",
    )
    parser.add_argument("--timeout", type=float, help="seconds after which a phase is stopped")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the phases to one core")
    # internal: how the parent starts a phase
    parser.add_argument("--child", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args.child, Path(args.workdir), json.loads(args.options))
        return 0
    if args.render:
        report = json.loads(Path(args.render).read_text(encoding="utf-8"))
        print(table(report), "", markdown(report), sep="\n")
        return 0
    if args.records < 1 or args.sample < 1 or args.page_size < 1:
        raise SystemExit("--records, --sample and --page-size must be at least 1")
    if args.reuse and not args.keep:
        raise SystemExit("--reuse needs --keep DIR")
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="eduhub-retag-"))
    if args.keep and not args.reuse:
        shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else None
    pin = not args.no_pin and affinity is not None and len(affinity) > 1
    options: dict[str, Any] = {
        "pin": pin,
        "core": 0,
        "records": args.records,
        "sample": args.sample,
        "page_size": args.page_size,
        "rule_sample": args.rule_sample,
    }
    code_before, rules_before = hub_code(), rules_code()
    started = time.perf_counter()
    phases: dict[str, dict[str, Any]] = {}
    try:
        if pin:  # the feed server (this process) on the other cores, each phase on core 0
            os.sched_setaffinity(0, set(affinity) - {0})
        with serve(args.records, args.page_size) as server:
            build_options = {**options, "url": server.url, "reuse": args.reuse}
            phases["build"] = run_phase("build", workdir, build_options, args.timeout)
        if phases["build"].get("ok"):
            for phase in PHASES[1:]:
                if phase in DEFAULT_PHASES or (phase == "one-request" and args.one_request):
                    phases[phase] = run_phase(phase, workdir, options, args.timeout)
    finally:
        if pin:
            os.sched_setaffinity(0, affinity)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    code_after, rules_after = hub_code(), rules_code()
    report: dict[str, Any] = {
        "benchmark": "retag",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "records": args.records,
        "sample": args.sample,
        "rule_sample": args.rule_sample,
        "page_size": args.page_size,
        "machine": machine(),
        "pinned_to_one_core": pin,
        "hub_code": {**code_before, "changed_during_run": code_before != code_after},
        "rules_code": {**rules_before, "changed_during_run": rules_before != rules_after},
        "seconds_total": round(time.perf_counter() - started, 1),
        "phases": phases,
        "summary": summarize(phases),
    }
    text = table(report)
    if args.markdown:
        text += "\n\n" + markdown(report)
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.save or args.save_to:
        target = Path(args.save_to) if args.save_to else RESULTS / f"retag-{dt.date.today().isoformat()}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"saved {target}", file=sys.stderr)
    wanted = len(DEFAULT_PHASES) + bool(args.one_request)
    return 0 if len(phases) == wanted and all(p.get("ok") for p in phases.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
