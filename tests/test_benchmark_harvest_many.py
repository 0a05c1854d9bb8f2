"""The many-sources harvest benchmark still runs end to end (tiny feeds; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from benchmarks.feed import serve
from benchmarks.harvest_many import network_floor

ROOT = Path(__file__).resolve().parents[1]


def test_harvest_many_benchmark_runs_every_contender(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.harvest_many",
            "--sources",
            "3",
            "--records",
            "120",
            "--page-size",
            "40",
            "--latency",
            "0.01",
            "--concurrency",
            "3",
            "--only",
            "sequential,concurrent",
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
    assert report["setup"] == {
        "sources": 3,
        "records": 120,
        "page_size": 40,
        "latency": 0.01,
        "concurrency": 3,
        "tag": True,
        "per_host": 1,
    }
    for name, concurrency in (("sequential", 1), ("concurrent", 3)):
        contender = report["contenders"][name]
        assert contender["ok"], (name, contender)
        assert contender["concurrency"] == concurrency
        assert contender["records"] == contender["stored"] == contender["expected"] == 360
        assert contender["pages"] == 9  # 3 sources × 3 pages of 40
        for field in ("seconds", "records_per_second", "cpu_seconds", "cpu_per_wall", "peak_rss_mb"):
            assert contender[field] > 0, (name, field)
        assert set(contender["phases"]) == {"wait_page", "crosswalk", "commit"}
        assert [s["status"] for s in contender["sources"]] == ["ok"] * 3
        assert all(s["added"] == 120 and s["quarantined"] == 0 for s in contender["sources"])
        assert contender["server"]["requests"] >= 3 * (2 + 3)  # Identify, ListMetadataFormats, pages
    for key in ("concurrent_vs_sequential_wall", "concurrent_vs_sequential_records_per_second"):
        assert report["summary"][key] > 0


def test_feed_latency_delays_answers_and_defaults_to_none() -> None:
    with serve(1) as server:
        assert server.latency == 0.0  # benchmarks.ingest's feed answers at once
    with serve(1, latency=0.2) as server:
        started = time.monotonic()
        answer = httpx2.get(server.url, params={"verb": "Identify"}, timeout=10)
        assert answer.status_code == 200 and b"<Identify>" in answer.content
        assert time.monotonic() - started >= 0.2  # a lower bound only: the sleep happened


def test_network_floor_counts_rounds_of_sources() -> None:
    # 2 + 50 requests per source at 50 ms; 20 sources one by one, or 5 rounds of 4
    assert round(network_floor(20, 5000, 100, 0.05, 1), 6) == 52.0
    assert round(network_floor(20, 5000, 100, 0.05, 4), 6) == 13.0
