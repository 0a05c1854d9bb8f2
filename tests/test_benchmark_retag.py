"""The retag benchmark still runs end to end on a tiny hub (every rule is timed; no speed is asserted)."""

from __future__ import annotations

import json

import pytest

from benchmarks import retag
from exchange.tagging import shipped_rules


def test_retag_benchmark_times_every_rule_and_the_peer(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--records", "30", "--sample", "5", "--rule-sample", "2", "--page-size", "10", "--one-request", "--json"]
    code = retag.main(argv)
    report = json.loads(capsys.readouterr().out)
    phases = report["phases"]
    assert code == 0, {name: phase.get("error") for name, phase in phases.items()}
    assert list(phases) == list(retag.PHASES)
    assert all(phase["ok"] for phase in phases.values())

    slugs = {rule.slug for rule in shipped_rules()}
    timed = phases["rules"]["rules"]
    assert {row["rule"] for row in timed} == slugs and len(timed) == len(slugs)
    for row in timed:
        assert row["seconds"] > 0 and row["records_per_second"] > 0, row
        assert row["same_as_retag"], row  # the operation timed alone is the one retag runs
    assert {row["rule"] for row in phases["per-record"]["per_rule_call"]["rules"]} == slugs

    assert phases["build"]["records"] == phases["build"]["stored"] == 30
    assert phases["build"]["assessments"] == 0  # built without tagging
    assert phases["retag"]["records"] == 30 and phases["retag"]["assessments"] > 0
    assert phases["retag"]["cli_report"][0]["records"] == 30  # `eduhub retag --json` itself ran
    assert phases["one-request"]["assessments"] == phases["retag"]["assessments"]
    assert report["summary"]["retag_same_assessments_as_rules"]
    for name in ("build", "rules", "one-request", "retag", "per-record"):
        assert phases[name]["records_per_second"] > 0, name
        assert phases[name]["peak_rss_mb"] > 0, name
    peer = phases["per-record"]
    assert peer["records"] == 5 and peer["same_assessments_as_retag"]
    assert peer["per_page"]["records_per_second"] > 0
    assert report["summary"]["ratios"]["retag_vs_per_record_speed"] > 0
    assert len(report["summary"]["slowest_rules"]) == 3
