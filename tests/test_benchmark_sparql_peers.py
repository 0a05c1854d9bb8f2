"""The SPARQL peers benchmark still runs end to end (200 records, 2 repetitions; no timing is asserted).

It starts the hub (``eduhub serve``), ``oxigraph serve`` and rdflib-endpoint as real processes on
127.0.0.1, so this catches a change in any of them that breaks the comparison, above all answers that
stop agreeing. Needs the ``oxigraph`` CLI and rdflib-endpoint (both in the test extras). Then the
pool benchmark (:mod:`benchmarks.sparql_pool`) runs on the hub folder the first one built.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sparql_peers_benchmark_runs_and_the_answers_agree(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.sparql_peers",
            "--records",
            "200",
            "--repeat",
            "2",
            "--warmup",
            "1",
            "--workdir",
            str(tmp_path / "work"),
            "--json",
            str(report_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))

    assert report["records"] == 200
    dataset = report["dataset"]
    assert dataset["harvest"]["records"] == 200 and dataset["harvest"]["quarantined"] == 0
    assert dataset["quads"] == dataset["export"]["quads"] + dataset["extra_graphs"]["quads"] > 200 * 20
    assert report["quad_check"]["ok"]

    for name in ("hub", "oxigraph", "rdflib"):
        contender = report["contenders"][name]
        assert contender["loaded"], (name, contender.get("error"))
        assert contender["records"] == 200
        assert contender["peak_rss_mb"] > 0 and contender["startup_seconds"] >= 0
        assert contender["load_seconds"] is not None
    assert report["contenders"]["rdflib"]["quads_loaded"] == dataset["quads"]

    names = [q["name"] for q in report["queries"]]
    assert len(names) == len(set(names)) >= 12
    assert {q["group"] for q in report["queries"]} >= {"lookup", "facet", "text", "construct"}
    for query in report["queries"]:
        check = query["verification"]
        assert check["agree"], (query["name"], check)
        answers = check["answers"]
        assert {a["status"] for a in answers.values()} == {200}
        assert len({a["rows"] for a in answers.values()}) == 1
        for name, timing in query["timings"].items():
            assert timing["n"] == 2 and timing["ok"], (query["name"], name)
            assert len(timing["samples_ms"]) == 2
        assert set(query["ratios"]) == {"hub_vs_oxigraph", "rdflib_vs_hub", "rdflib_vs_oxigraph"}
    # a lookup finds its one record, and the CONSTRUCT returns the record's graph
    by_name = {q["name"]: q for q in report["queries"]}
    assert by_name["record-by-identifier"]["verification"]["answers"]["hub"]["rows"] == 1
    assert by_name["construct-record"]["verification"]["answers"]["oxigraph"]["rows"] > 20

    summary = report["summary"]
    assert summary["ok"] and summary["answers_agree"] and not summary["disagreements"]
    assert set(summary["geometric_mean"]) == {"hub_vs_oxigraph", "rdflib_vs_hub", "rdflib_vs_oxigraph"}
    assert summary["queries_in_mean"]["hub_vs_oxigraph"] == len(names)
    assert "| query |" in result.stdout and "geometric mean" in result.stdout

    pool_report = tmp_path / "pool.json"
    hub_dir = tmp_path / "work" / "records-200" / "hub"
    command = ["--hub", str(hub_dir), "--records", "200", "--repeat", "2", "--json", str(pool_report)]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.sparql_pool", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    pool = json.loads(pool_report.read_text(encoding="utf-8"))
    assert [row["query"] for row in pool["queries"]] == names
    for row in pool["queries"]:
        assert set(row["p50_ms"]) == {"native", "in-process", "pool"} and min(row["p50_ms"].values()) > 0
    assert pool["geomean_pool_vs_native"] > 0 and pool["after_write_ms"]["fresh_snapshot_p50"] > 0
    assert "geometric mean" in result.stdout
