"""The ingest benchmark still runs end to end (a tiny feed; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ingest_benchmark_runs_every_contender(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.ingest",
            "--records",
            "250",
            "--page-size",
            "50",
            "--only",
            "hub,hub-notag,naive,floor",
            "--json",
            str(report_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(report_path.read_text())
    for name in ("hub", "hub-notag", "naive", "floor"):
        contender = report["contenders"][name]
        assert contender["ok"], (name, contender)
        assert contender["records"] == contender["stored"] == 250
    # the hub tags as it ingests, hub-notag does not (`harvest --no-tag`)
    assert report["contenders"]["hub"]["assessments"] > 250
    assert report["contenders"]["hub-notag"]["assessments"] == 0
    assert report["summary"]["ratios"]["hub_vs_hub_notag_speed"] > 0
    # the floor loads exactly the quads the hub stored
    assert report["contenders"]["floor"]["quads"] == report["contenders"]["hub"]["quads"] > 250 * 20
