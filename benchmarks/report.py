"""Markdown tables from ``benchmarks.ingest --json`` reports, for BENCHMARKS.md.

``python -m benchmarks.report benchmarks/results/10k-run1.json benchmarks/results/10k-run2.json``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def _number(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def contenders_table(reports: list[tuple[str, dict[str, Any]]]) -> str:
    rows = [
        "| run | contender | records | seconds | records/s | peak RSS MB | RSS after imports MB | check |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, report in reports:
        for name, result in report["contenders"].items():
            if "seconds" not in result:
                rows.append(f"| {label} | {name} | — | — | — | — | — | failed: {result.get('error', '?')[:80]} |")
                continue
            rows.append(
                f"| {label} | {name} | {result['records']:,} | {_number(result['seconds'], 1)} "
                f"| **{_number(result['records_per_second'])}** | **{_number(result['peak_rss_mb'])}** "
                f"| {_number(result['start_rss_mb'])} | {'ok' if result.get('ok') else 'FAILED'} |"
            )
    return "\n".join(rows)


def ratios_table(reports: list[tuple[str, dict[str, Any]]]) -> str:
    rows = [
        "| run | hub ÷ naive, records/s (target ≥ 2) | naive ÷ hub, peak RSS (target ≥ 5) "
        "| hub ÷ floor, records/s (target ≥ 0.5) | hub records/s (target ≥ 1,500) | hub peak RSS MB (target < 400) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, report in reports:
        ratios = report["summary"]["ratios"]
        hub = report["contenders"].get("hub", {})
        rows.append(
            f"| {label} | {_number(ratios['hub_vs_naive_speed'], 2)} "
            f"| {_number(ratios['naive_vs_hub_peak_memory'], 1)} "
            f"| {_number(ratios['hub_vs_floor_speed'], 2)} | {_number(hub.get('records_per_second'))} "
            f"| {_number(hub.get('peak_rss_mb'))} |"
        )
    return "\n".join(rows)


def rss_table(reports: list[tuple[str, dict[str, Any]]]) -> str:
    """Current RSS (MB) of each contender at 10 %, 50 % and 100 % of the records."""
    rows = ["| run | contender | RSS at 10 % | at 50 % | at 100 % |", "|---|---|---:|---:|---:|"]
    for label, report in reports:
        for name, result in report["contenders"].items():
            samples = result.get("rss_samples") or []
            if not samples:
                continue
            picks = [samples[0], samples[len(samples) // 2 - 1], samples[-1]]
            rows.append(f"| {label} | {name} | " + " | ".join(_number(rss) for _, rss in picks) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path)
    args = parser.parse_args(argv)
    reports = [(path.stem, json.loads(path.read_text(encoding="utf-8"))) for path in args.reports]
    print(contenders_table(reports), "", ratios_table(reports), "", rss_table(reports), sep="\n")


if __name__ == "__main__":
    main()
