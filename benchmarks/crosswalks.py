"""Crosswalk throughput per format: the hub's per-record CPU path against a floor and a peer, on one core.

``python -m benchmarks.crosswalks --records 2000 --rounds 5`` reads the real records of
``tests/fixtures/`` (LOM and its national profiles, oai_dc, nsdl_dc, DataCite, LRMI/AMB JSON-LD),
groups them by the crosswalk the registry picks for each payload, cycles every group's payloads
up to ``--records`` so small groups are measured too, and times, in the same run:

floor
    a generic traversal that touches every element (and attribute) of an XML payload, or every
    key of a JSON one, and collects the stripped text into a ``{tag: [text, ...]}`` dict: the
    least any crosswalk has to do.
peer (oai_dc only)
    oaipmh-scythe's own metadata dict: ``oaipmh_scythe.models.Record.get_metadata`` calls
    ``oaipmh_scythe.utils.xml_to_dict(payload, strip_ns=True)``, and so does this contender.
crosswalk
    ``crosswalks.for_payload(payload, prefix).to_record(payload, context)``: registry dispatch,
    crosswalk and normalization (the "hub" of the ratios).
crosswalk, cold caches
    the same, with the value caches of the hub (bounded ``lru_cache``s: vCards, licences,
    language tags) emptied before every record, outside the timed part: what distinct records
    cost, since cycling a few payloads keeps those caches warm.
+validate, +N-Triples
    ``validate(...)`` and then ``to_ntriples(...)`` on top: the full per-record CPU path of a
    harvest (``exchange.pipeline._to_lines``) minus building the GetRecord URL.

Payloads are parsed once, before any timing: XML parsing is not measured. Each contender's
time is the best of ``--rounds`` rounds, the rounds interleaving the contenders so noise hits
all of them alike; the process is pinned to one core. Records/s is the group's record count
divided by that time. The group ``lom`` is every LOM-family payload forced through the base
IEEE LOM crosswalk (the registry routes none of the real records there).

``--json`` prints the report as JSON (the table goes to stderr), ``--save`` writes it to
``benchmarks/results/crosswalks-<date>.json``, ``--markdown`` prints the table for
BENCHMARKS.md, ``--render FILE`` renders a saved report, ``--profile GROUP`` prints the
functions of the hub's code with the most cumulative time on that group's full path.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import importlib.metadata
import json
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from oaipmh_scythe.utils import xml_to_dict

from exchange import crosswalks as registry
from exchange.crosswalks import RecordContext
from exchange.model import RecordInvalid, to_ntriples, validate

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
RESULTS = ROOT / "benchmarks" / "results"
#: report order: LOM (base, then profiles), then the Dublin Core family, DataCite, JSON-LD
GROUPS = (
    "lom",
    "lom-es",
    "lomfr",
    "nl-lom",
    "normetic",
    "hs-oer-lom",
    "imsmd",
    "oai_dc",
    "nsdl_dc",
    "datacite",
    "lrmi",
)
LOM_FAMILY = frozenset(GROUPS[:7])
#: groups that have a real peer: oaipmh-scythe's metadata dict is a usable reading of flat DC only
PEER_GROUPS = frozenset({"oai_dc"})
CONTENDERS = ("floor", "peer", "crosswalk", "crosswalk_cold", "validate", "ntriples")
LABELS = {
    "floor": "floor",
    "peer": "scythe dict",
    "crosswalk": "crosswalk",
    "crosswalk_cold": "cold caches",
    "validate": "+validate",
    "ntriples": "+N-Triples",
}
DATESTAMP = "2024-01-01T00:00:00Z"


# ---------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Case:
    """One real record, parsed, with everything the timed steps need made beforehand."""

    id: str
    payload: Any  # an lxml element, or a parsed JSON-LD object (dict)
    prefix: str  # the metadataPrefix hint for_payload gets
    crosswalk: registry.Crosswalk  # the crosswalk that reads it (forced for the base ``lom`` group)
    dispatch: bool  # time for_payload too (False: the crosswalk is forced)
    context: RecordContext
    size: int  # bytes of the serialized payload (XML, or compact JSON)


def _context(case_id: str, prefix: str) -> RecordContext:
    return RecordContext(
        base="https://hub.example",
        source="bench",
        oai_identifier=case_id,
        datestamp=DATESTAMP,
        metadata_prefix=prefix,
        source_record_url=f"https://source.example/oai?verb=GetRecord&metadataPrefix={prefix}&identifier={case_id}",
    )


def _size(payload: Any) -> int:
    if isinstance(payload, dict):
        return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    return len(etree.tostring(payload))


def raw_payloads() -> Iterator[tuple[str, Any, str]]:
    """(case id, payload, prefix hint) of every real record the tests keep; no synthetic ones."""
    from exchange.crosswalks.jsonld_source import read_jsonld
    from tests.realdata import lom_cases, oai_dc_cases, oai_payloads

    for case_id, payload in lom_cases().items():
        yield case_id, payload, "lom"
    for case_id, payload in oai_dc_cases().items():
        yield case_id, payload, ""
    for path in sorted((FIXTURES / "dc").glob("*.xml")):  # nsdl_dc and DataCite pages (GetRecord/ListRecords)
        if not path.name.startswith("synthetic_"):
            for case_id, payload in oai_payloads(path):
                yield case_id, payload, ""
    for path in sorted((FIXTURES / "lrmi").iterdir()):  # the AMB specification's examples in amb/ are left out
        if path.is_file() and path.suffix in (".jsonld", ".json", ".html"):
            for number, document in enumerate(read_jsonld(path), start=1):
                yield f"lrmi/{path.name}#{number}", document, "lrmi"


def load_groups(only: Sequence[str] | None = None) -> tuple[dict[str, list[Case]], list[dict[str, str]]]:
    """Distinct cases per group, each run once through the full path; records the hub refuses are set aside."""
    groups: dict[str, list[Case]] = {name: [] for name in GROUPS if not only or name in only}
    skipped: list[dict[str, str]] = []
    for case_id, payload, prefix in raw_payloads():
        picked = registry.for_payload(payload, prefix)
        readers = [(picked.name, picked, True)]
        if picked.name in LOM_FAMILY and picked.name != "lom":
            readers.append(("lom", registry.get("lom"), False))
        for group, crosswalk, dispatch in readers:
            if group not in groups:
                continue
            case = Case(
                case_id, payload, prefix, crosswalk, dispatch, _context(case_id, prefix or picked.name), _size(payload)
            )
            try:  # also the warm-up: vocabularies, the compiled validator, the crosswalks' own caches
                to_ntriples(validate(crosswalk.to_record(payload, case.context)))
            except (registry.CrosswalkError, RecordInvalid) as error:
                skipped.append({"group": group, "case": case_id, "error": f"{type(error).__name__}: {error}"[:200]})
                continue
            groups[group].append(case)
    return {name: cases for name, cases in groups.items() if cases}, skipped


def cycled(cases: list[Case], records: int) -> list[Case]:
    """The group's cases repeated in order up to ``records`` entries."""
    return [cases[i % len(cases)] for i in range(records)]


# ---------------------------------------------------------------------- contenders (one record each)


def floor_xml(payload: etree._Element) -> dict[str, list[str]]:
    """Touch every element and attribute once; collect stripped text by tag."""
    out: dict[str, list[str]] = {}
    for element in payload.iter(etree.Element):  # elements only: no comments or processing instructions
        text = element.text
        out.setdefault(element.tag, []).append(text.strip() if text else "")
        for key, value in element.attrib.items():
            out.setdefault(key, []).append(value)
    return out


def floor_json(value: Any, key: str = "", out: dict[str, list[Any]] | None = None) -> dict[str, list[Any]]:
    """Touch every key and value once; collect scalar values (strings stripped) by key."""
    if out is None:
        out = {}
    if isinstance(value, dict):
        for name, item in value.items():
            floor_json(item, name, out)
    elif isinstance(value, list):
        for item in value:
            floor_json(item, key, out)
    else:
        out.setdefault(key, []).append(value.strip() if isinstance(value, str) else value)
    return out


def floor(case: Case) -> Any:
    return floor_json(case.payload) if isinstance(case.payload, dict) else floor_xml(case.payload)


def peer(case: Case) -> Any:
    """What oaipmh_scythe.models.Record builds as ``metadata`` for each record it yields."""
    return xml_to_dict(case.payload, strip_ns=True)


def crosswalk(case: Case) -> Any:
    reader = registry.for_payload(case.payload, case.prefix) if case.dispatch else case.crosswalk
    return reader.to_record(case.payload, case.context)


def with_validate(case: Case) -> Any:
    return validate(crosswalk(case))


def with_ntriples(case: Case) -> Any:
    return to_ntriples(with_validate(case))


STEPS: dict[str, Callable[[Case], Any]] = {
    "floor": floor,
    "peer": peer,
    "crosswalk": crosswalk,
    "crosswalk_cold": crosswalk,
    "validate": with_validate,
    "ntriples": with_ntriples,
}


def value_caches() -> list[Any]:
    """The bounded lru_caches of the hub's modules: per-value memos (the unbounded @cache ones load data once)."""
    found: dict[int, Any] = {}
    for name, module in list(sys.modules.items()):
        if not (name == "exchange" or name.startswith(("exchange.", "harvesters."))) or module is None:
            continue
        for value in vars(module).values():
            info = getattr(value, "cache_info", None)
            if callable(info) and callable(getattr(value, "cache_clear", None)) and info().maxsize is not None:
                found[id(value)] = value
    return list(found.values())


# ---------------------------------------------------------------------- timing


def time_run(step: Callable[[Case], Any], cases: list[Case]) -> float:
    """Seconds for ``step`` over all cases, in one timed loop."""
    gc.collect()
    started = time.perf_counter()
    for case in cases:
        step(case)
    return time.perf_counter() - started


def time_run_cold(step: Callable[[Case], Any], cases: list[Case], caches: list[Any]) -> float:
    """Seconds for ``step`` over all cases, each timed alone after emptying ``caches`` (not timed)."""
    gc.collect()
    clock = time.perf_counter
    total = 0.0
    for case in cases:
        for cache in caches:
            cache.cache_clear()
        started = clock()
        step(case)
        total += clock() - started
    return total


def measure_group(name: str, cases: list[Case], records: int, rounds: int) -> dict[str, Any]:
    """Best-of-``rounds`` seconds and records/s of every contender on one group, rounds interleaved."""
    work = cycled(cases, records)
    contenders = [c for c in CONTENDERS if c != "peer" or name in PEER_GROUPS]
    caches = value_caches()
    seconds: dict[str, list[float]] = {c: [] for c in contenders}
    for _ in range(rounds):
        for contender in contenders:
            if contender == "crosswalk_cold":
                seconds[contender].append(time_run_cold(STEPS[contender], work, caches))
            else:
                seconds[contender].append(time_run(STEPS[contender], work))
    results: dict[str, Any] = {}
    for contender, times in seconds.items():
        best = min(times)
        results[contender] = {
            "seconds": round(best, 6),
            "records_per_second": round(records / best, 1) if best else None,
            "us_per_record": round(best / records * 1e6, 2),
            "rounds_seconds": [round(t, 6) for t in times],
        }
    rate = {c: r["records_per_second"] for c, r in results.items()}
    return {
        "records": records,
        "distinct": min(len(cases), records),
        "kib_per_record": round(sum(c.size for c in work) / len(work) / 1024, 2),
        "crosswalks": sorted({c.crosswalk.name for c in cases}),
        "contenders": results,
        "ratios": {
            "crosswalk_vs_floor": _ratio(rate.get("crosswalk"), rate.get("floor")),
            "crosswalk_vs_peer": _ratio(rate.get("crosswalk"), rate.get("peer")),
            "ntriples_vs_floor": _ratio(rate.get("ntriples"), rate.get("floor")),
            "ntriples_vs_peer": _ratio(rate.get("ntriples"), rate.get("peer")),
            "cold_vs_warm": _ratio(rate.get("crosswalk_cold"), rate.get("crosswalk")),
        },
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a and b else None


def profile_group(cases: list[Case], records: int, top: int = 12) -> list[dict[str, Any]]:
    """cProfile of the full path (+N-Triples) on one group: the hub's own functions by cumulative time."""
    work = cycled(cases, records)
    profiler = cProfile.Profile()
    profiler.enable()
    for case in work:
        with_ntriples(case)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    rows = []
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in stats.items():
        path = Path(filename)
        if ROOT in path.parents and path.parts[len(ROOT.parts)] in ("exchange", "harvesters"):
            where = f"{path.relative_to(ROOT).as_posix()}:{line}"
            rows.append(
                {
                    "function": function,
                    "where": where,
                    "calls": calls,
                    "cumulative_s": round(cumulative, 4),
                    "own_s": round(own, 4),
                    "cumulative_share": round(cumulative / total, 3) if total else None,
                }
            )
    rows.sort(key=lambda r: -r["cumulative_s"])
    return rows[:top]


# ---------------------------------------------------------------------- report


def environment() -> dict[str, Any]:
    """Machine, library versions and which hub code ran (shared with the ingest benchmark)."""
    from benchmarks.ingest import hub_code, machine

    versions = {}
    for package in ("lxml", "fastjsonschema", "oaipmh-scythe"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"machine": machine(), "libraries": versions, "hub_code": hub_code()}


def _rate(group: dict[str, Any], contender: str) -> str:
    result = group["contenders"].get(contender)
    return f"{result['records_per_second']:,.0f}" if result else "—"


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table(report: dict[str, Any]) -> str:
    """The plain-text table for stdout."""
    code = report["hub_code"]
    changed = "  WARNING: changed during the run" if code.get("changed_during_run") else ""
    rows = [
        f"hub code: {code['commit']}{' + uncommitted changes' if code['dirty'] else ''} "
        f"(sources {code['sources_sha1']}){changed}",
        f"records per group: {report['records']:,}   rounds: {report['rounds']} (best of)   "
        f"pinned to core: {report['pinned_core']}",
        "records/s:",
        f"{'group':<11}{'distinct':>9}{'KiB/rec':>8}"
        + "".join(f"{LABELS[c]:>13}" for c in CONTENDERS)
        + f"{'cw/floor':>10}{'cw/peer':>9}{'full µs':>9}",
    ]
    for name, group in report["groups"].items():
        ratios = group["ratios"]
        rows.append(
            f"{name:<11}{group['distinct']:>9}{group['kib_per_record']:>8.1f}"
            + "".join(f"{_rate(group, c):>13}" for c in CONTENDERS)
            + f"{_number(ratios['crosswalk_vs_floor'], 3):>10}{_number(ratios['crosswalk_vs_peer']):>9}"
            + f"{group['contenders']['ntriples']['us_per_record']:>9,.0f}"
        )
    if report.get("skipped"):
        rows.append(f"set aside (the hub refuses them): {len(report['skipped'])} records")
        rows += [f"  {s['group']}: {s['case']}: {s['error'][:100]}" for s in report["skipped"]]
    if report.get("profile"):
        rows.append(f"profile of {report['profile']['group']} (+N-Triples), hub functions by cumulative time:")
        rows += [
            f"  {r['cumulative_s']:>8.3f} s {r['cumulative_share']:>6.0%} {r['calls']:>9,}  {r['function']} "
            f"({r['where']})"
            for r in report["profile"]["top"]
        ]
    return "\n".join(rows)


def markdown(report: dict[str, Any]) -> str:
    """The table for BENCHMARKS.md: records/s per contender, then the ratios."""
    rows = [
        "| group | distinct records | KiB/record | floor | scythe dict | crosswalk | crosswalk, cold caches "
        "| +validate | +N-Triples | crosswalk ÷ floor | crosswalk ÷ peer | full path µs/record |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, group in report["groups"].items():
        ratios = group["ratios"]
        rows.append(
            f"| {name} | {group['distinct']} | {group['kib_per_record']:.1f} | "
            + " | ".join(_rate(group, c) for c in CONTENDERS)
            + f" | {_number(ratios['crosswalk_vs_floor'], 3)} | {_number(ratios['crosswalk_vs_peer'])} "
            f"| {group['contenders']['ntriples']['us_per_record']:,.0f} |"
        )
    return "\n".join(rows)


# ---------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.crosswalks", description="Crosswalk throughput per format, on one core."
    )
    parser.add_argument("--records", type=int, default=2000, help="records per group (payloads cycled)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per contender; the best one counts")
    parser.add_argument("--only", help="comma-separated groups to run (default: all)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (the table goes to stderr)")
    parser.add_argument("--save", action="store_true", help="write the report to benchmarks/results/")
    parser.add_argument("--save-to", metavar="PATH", help="write the report to PATH instead of the dated file")
    parser.add_argument("--markdown", action="store_true", help="also print the markdown table (BENCHMARKS.md)")
    parser.add_argument("--render", metavar="FILE", help="print the tables of a saved report and exit")
    parser.add_argument("--profile", metavar="GROUP", help="also cProfile the full path on GROUP (after timing)")
    parser.add_argument("--core", type=int, default=0, help="the core to pin to")
    parser.add_argument("--no-pin", action="store_true", help="do not pin this process to one core")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        report = json.loads(Path(args.render).read_text(encoding="utf-8"))
        print(table(report))
        print()
        print(markdown(report))
        return 0
    only = [g.strip() for g in args.only.split(",") if g.strip()] if args.only else None
    if only and set(only) - set(GROUPS):
        raise SystemExit(f"--only takes some of {', '.join(GROUPS)}")
    if args.records < 1 or args.rounds < 1:
        raise SystemExit("--records and --rounds must be at least 1")
    core = None
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        from benchmarks.ingest import pin_to_one_core

        core = pin_to_one_core(args.core)
    env = environment()
    groups, skipped = load_groups(only)
    started = time.perf_counter()
    measured: dict[str, Any] = {}
    for name, cases in groups.items():
        print(f"[{name}] {len(cases)} distinct records × {args.records:,}…", file=sys.stderr, flush=True)
        measured[name] = measure_group(name, cases, args.records, args.rounds)
    code_after = environment()["hub_code"]
    report: dict[str, Any] = {
        "benchmark": "crosswalks",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "records": args.records,
        "rounds": args.rounds,
        "pinned_core": core,
        **env,
        "seconds_total": round(time.perf_counter() - started, 1),
        "groups": measured,
        "skipped": skipped,
    }
    report["hub_code"]["changed_during_run"] = code_after != env["hub_code"]
    report["hub_code_after"] = code_after  # others edit and commit while a run goes
    if args.profile:
        if args.profile not in groups:
            raise SystemExit(f"--profile: no group {args.profile!r} in this run")
        report["profile"] = {"group": args.profile, "top": profile_group(groups[args.profile], args.records)}
    text = table(report)
    if args.markdown:
        text += "\n\n" + markdown(report)
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.save or args.save_to:
        target = Path(args.save_to) if args.save_to else RESULTS / f"crosswalks-{dt.date.today().isoformat()}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"saved {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
