"""The report as plain text, for a repository manager's terminal (``eduhub check`` without
``--json``). Control characters from the feed are replaced, so a hostile repositoryName cannot
drive the terminal. The HTML page (exchange/api/feedcheck.py) reuses the line helpers."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from exchange.feedcheck.report import GROUPS, count

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_text(report: dict[str, Any]) -> str:
    """The report for a repository manager's terminal: checks grouped, one line each (evidence
    indented under warnings and failures), then the formats and the sample."""
    summary = report["summary"]
    lines = [
        f"Feed check of {report['base_url']} at {report['checked_at']}",
        f"Repository: {report.get('repository') or '(unknown)'}",
        f"Result: {summary_line(summary)}"
        + ("" if report.get("reachable", True) else " (the feed could not be reached)"),
    ]
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for check in report["checks"]:
        by_group[check["group"]].append(check)
    for group in GROUPS:
        if not by_group.get(group):
            continue
        lines += ["", group]
        for check in by_group[group]:
            spec = f" [{check['spec']}]" if check.get("spec") else ""
            lines.append(f"  {check['status'].upper():4}  {check['title']}{spec}: {check['message']}")
            if check["status"] != "pass":
                for item in check.get("evidence", [])[:3]:
                    lines.append(f"          - {evidence_text(item)}")
                extra = len(check.get("evidence", [])) - 3
                if extra > 0:
                    lines.append(f"          ... and {extra} more (see --json)")
    if report.get("skipped"):
        lines += ["", "Not checked"]
        by_reason: dict[str, list[str]] = defaultdict(list)
        for skipped in report["skipped"]:
            by_reason[skipped["reason"]].append(skipped["title"])
        for reason, titles in by_reason.items():
            if len(titles) > 3:
                lines.append(f"  -     {len(titles)} checks: {reason}")
            else:
                lines += [f"  -     {title}: {reason}" for title in titles]
    if report.get("formats"):
        lines += ["", "Metadata formats (* = the one the hub would harvest)"]
        width = max(len(f["prefix"]) for f in report["formats"])
        for fmt in report["formats"]:
            mark = "*" if fmt.get("chosen") else " "
            read = f"readable ({fmt['crosswalk']})" if fmt["readable"] else "not read by the hub"
            lines.append(f"  {mark} {fmt['prefix'].ljust(width)}  {read:32} {fmt.get('namespace') or ''}")
    lines += ["", *render_sample_text(report["sample"])]
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", "\n".join(lines))


def summary_line(summary: dict[str, int]) -> str:
    """``24 passed, 1 warning, 0 failed``."""
    return f"{summary['pass']} passed, {count(summary['warn'], 'warning')}, {summary['fail']} failed"


def render_sample_text(sample: dict[str, Any]) -> list[str]:
    """The report's ``sample`` as lines: counts, quarantined records, coverage, tags, top problems."""
    head = f"Sample: {sample['records']} records in {sample.get('metadata_prefix') or '-'}"
    if sample.get("set"):
        head += f" (set {sample['set']})"
    if sample.get("skipped"):
        return [head, f"  not analysed: {sample['skipped']}"]
    quarantined = sample["quarantined"]
    lines = [
        head,
        f"  stored {sample['stored']}, quarantined {len(quarantined)}, deleted {sample['deleted']}",
    ]
    for item in quarantined[:10]:
        lines.append(f"  quarantined  {item['identifier']}  [{item['stage']}] {item['reason'][:160]}")
    if len(quarantined) > 10:
        lines.append(f"  ... and {len(quarantined) - 10} more quarantined (see --json)")
    cover = sample.get("coverage")
    if cover and cover.get("values"):
        lines.append(
            f"  crosswalk coverage: {cover['values']} values, mapped {cover['mapped']} ({cover['mapped_share']:.0%}), "
            f"kept {cover['kept']}, dropped {cover['dropped']} (without a reason: {cover['unexplained_drops']})"
        )
    for title, tags in (
        ("quality tiers", sample["tiers"]),
        ("accessibility features", sample["accessibility"]["features"]),
        ("accessibility metadata", sample["accessibility"]["metadata"]),
        ("accessibility warnings", sample["accessibility"]["warnings"]),
        ("sustainability", sample["sustainability"]),
    ):
        lines.append(f"  {title}: {tag_line(tags)}")
    if sample["problems"]:
        lines.append("  top problems:")
        for problem in sample["problems"][:10]:
            lines.append(
                f"    {problem['count']:>4}  {problem['problem']}  (e.g. {', '.join(problem['examples'][:3])})"
            )
    return lines


def tag_line(tags: dict[str, dict[str, Any]]) -> str:
    """Tags of one report section on one line, most frequent first: ``Open licence 8 (73%), ...``."""
    if not tags:
        return "none"
    ordered = sorted(tags.values(), key=lambda d: (-d["records"], d["label"]))
    return ", ".join(
        f"{d['label']} {d['records']}" + (f" ({d['share']:.0%})" if d.get("share") is not None else "") for d in ordered
    )


def evidence_text(item: Any) -> str:
    """One evidence item (a dict or a string) as one line of text."""
    if isinstance(item, dict):
        return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in item.items())
    return str(item)
