"""The crosswalk throughput benchmark still runs on every format group (a tiny count; no timing is asserted)."""

from __future__ import annotations

import json

import pytest

from benchmarks import crosswalks


def test_crosswalk_benchmark_measures_every_group(capsys: pytest.CaptureFixture[str]) -> None:
    assert crosswalks.main(["--records", "5", "--rounds", "1", "--json", "--no-pin"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["groups"]) == list(crosswalks.GROUPS)
    for name, group in report["groups"].items():
        expected = {"floor", "crosswalk", "crosswalk_cold", "validate", "ntriples"}
        if name in crosswalks.PEER_GROUPS:
            expected.add("peer")
        assert set(group["contenders"]) == expected, name
        for contender, result in group["contenders"].items():
            assert result["records_per_second"] > 0, (name, contender)
        assert group["records"] == 5 and group["distinct"] >= 1, name
    assert report["groups"]["oai_dc"]["ratios"]["crosswalk_vs_peer"] > 0
