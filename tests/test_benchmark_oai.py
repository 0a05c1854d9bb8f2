"""The OAI-PMH provider benchmark still runs end to end on a tiny hub: the hub, pyoai and the static
floor each harvested by Sickle, first/middle/last pages timed, respond() profiled. No time is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import oai

RECORDS, PAGE = 25, 10


def test_oai_benchmark_serves_every_contender(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    sizes = ["--records", str(RECORDS), "--feed-page-size", str(PAGE), "--data", str(data)]
    pages = ["--records-per-page", str(PAGE), "--headers-per-page", str(PAGE)]
    code = oai.main([*sizes, *pages, "--repeats", "2", "--profile-pages", "1", "--walk-pages", "1", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report.get("summary")

    build = report["build"]
    assert build["ok"] and not build["reused"]
    assert build["records"] == build["stored"] == RECORDS and build["assessments"] > 0  # built with tagging
    results = report["results"]
    assert list(results) == ["hub", "pyoai", "static"]

    # every server served every record once, the same identifiers as the hub
    expected = {"hub": ["oai_dc", "eduhub"], "pyoai": ["oai_dc"], "static": ["oai_dc", "eduhub"]}
    for name, formats in expected.items():
        assert sorted(results[name]["sickle"]) == sorted(formats), name
        for prefix in formats:
            (harvest,) = results[name]["sickle"][prefix]
            assert harvest["records"] == harvest["unique"] == RECORDS, (name, prefix)
            assert harvest["digest"] == results["hub"]["sickle"][prefix][0]["digest"], (name, prefix)
            assert harvest["records_per_second"] > 0
            walked = results[name]["walks"][f"ListRecords/{prefix}"]
            assert walked["records"] == RECORDS and walked["pages"] == 3 and walked["page_sizes"] == [5, PAGE]
            assert walked["token_count"] == 2 and walked["bytes_per_record"] > 0
    for name in ("hub", "pyoai"):
        walked = results[name]["walks"]["ListIdentifiers/oai_dc"]
        assert walked["records"] == RECORDS and walked["pages"] == 3, name

    # first, middle and last page timed on each list; the last page is the short one
    for name, result in results.items():
        assert set(result["latency"]) == {k for k in result["walks"] if name != "static" or "Records" in k}
        for key, latency in result["latency"].items():
            assert latency["records_on_page"] == {"first": PAGE, "middle": PAGE, "last": 5}, (name, key)
            assert all(len(samples) == 2 for samples in latency["ms_samples"].values())
            assert latency["ms"]["first"] > 0 and latency["last_vs_first"] > 0
        assert result["server"]["peak_rss_mb"] > 0 and result["server"]["peak_sampled_mb"] > 0

    # respond() in process, and its profile with the provider's stages
    for prefix in ("oai_dc", "eduhub"):
        in_process = report["in_process"][prefix]
        assert in_process["ms_per_page"]["first"] > 0 and in_process["ms_per_page"]["last"] > 0
        alone = in_process["stages_unprofiled"]
        assert {"page", "count", "write"} <= set(alone)
        # a fresh build keeps a copy of every record in the log (when the code does): none read from the store
        kept = in_process["log_copies"]
        assert kept in (None, RECORDS)
        assert alone["kept_copies"] + alone["read_from_store"] == 5  # the last page
        assert alone["read_from_store"] == (5 if kept is None else 0)
        assert ("copies" in alone) == (kept is not None) and ("triples" in alone) == (kept is None)
        # each page served once: oai_dc walks pages 1 and 2 (profiled); eduhub starts at page 2, the last
        walk = in_process["walk"]
        assert walk["pages"] == 1 and walk["ms_per_page"] > 0, walk
        if prefix == "oai_dc":
            assert walk["start_page"] == 1 and walk["profile"]["pages"] == 1
        else:
            assert walk["start_page"] == 2 and walk["profile"] is None
        for page in ("first", "last"):
            profile = in_process["profile"][page]
            assert profile["pages"] == 1 and len(profile["top_by_own_time"]) == 15
            stages = {row["stage"].strip(): row for row in profile["stages"]}
            assert stages["_records: the page's hub records"]["calls"] == 1
            assert stages["_write: the format's writer"]["calls"] == (PAGE if page == "first" else 5)

    summary = report["summary"]
    assert summary["ok"] and all(summary["checks"].values())
    assert set(summary["ratios"]) == {f"hub_vs_{p}_{f}" for p in ("pyoai", "static") for f in ("oai_dc", "eduhub")}
    assert summary["ratios"]["hub_vs_pyoai_eduhub"] is None  # pyoai holds oai_dc only
    assert all(isinstance(met, bool) for met in summary["targets"].values())
    tables = oai.markdown(report)
    assert "| hub | oai_dc |" in tables and "| pyoai | ListRecords/oai_dc |" in tables

    # a second run reuses the hub in --data
    assert oai.main([*sizes, "--build-only", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["build"]["reused"] and again["build"]["records"] == RECORDS
