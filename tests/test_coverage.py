"""The crosswalk coverage report (`eduhub crosswalk-report`): nothing a real record says is dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exchange import coverage
from exchange.crosswalks import trace
from exchange.demo.replay import ReplayServer
from tests.realdata import NOT_RECORDS, REAL
from tests.test_cli import eduhub

LOM_FILES = sorted(p for p in (REAL / "lom").glob("*.xml") if p.name not in NOT_RECORDS)
LOM_PAGES = sorted((REAL / "oai-pmh").glob("*.xml"))


@pytest.mark.parametrize("path", [*LOM_FILES, *LOM_PAGES], ids=lambda p: p.name)
def test_no_silent_drop_in_real_lom_records(path: Path) -> None:
    report = coverage.build(coverage.items_from_file(path))
    assert report.records >= 1 and not report.failed
    data = report.to_json()
    unexplained = [p["path"] for p in data["paths"] if trace.UNREAD in p["reasons"]]
    assert unexplained == [], f"values dropped without a reason: {unexplained}"
    assert data["mapped"] > 0
    # every dropped value carries its reason
    assert all(sum(p["reasons"].values()) >= p["dropped"] for p in data["paths"])


def test_mapped_share_over_all_real_lom_records() -> None:
    """The number the closing note reports; asserted loosely so vocabulary work can only raise it."""
    items = [item for path in [*LOM_FILES, *LOM_PAGES] for item in coverage.items_from_file(path)]
    data = coverage.build(items).to_json()
    assert data["records"] == len(items) >= 50
    assert data["unexplained_drops"] == 0
    assert data["mapped_share"] > 0.5, data["mapped_share"]


def test_report_counts_mapped_kept_and_dropped_per_path() -> None:
    report = coverage.build(coverage.items_from_file(REAL / "lom" / "lomes_exelearning_rea_andalucia_asi_soy_yo.xml"))
    paths = report.to_json()["paths"]
    by_path = {p["path"]: p for p in paths}
    title = by_path["lom/general/title/string"]
    assert (title["mapped"], title["kept"], title["dropped"]) == (2, 0, 0)  # the title repeats its Spanish string
    metadata = by_path["lom/metametadata/metadataschema"]
    assert metadata["dropped"] == 1 and "metadata record" in next(iter(metadata["reasons"]))
    # a LOM-ES curriculum taxon with no mapping onto ISCED-F is kept (its concept), with the reason
    taxa = by_path["lom/classification/taxonpath/taxon/id"]
    assert taxa["kept"] >= 1 and taxa["mapped"] >= 1
    assert "no mapping onto the shared scheme" in " ".join(taxa["reasons"])


def test_an_unknown_element_is_reported_as_unread(tmp_path: Path) -> None:
    """SYNTHETIC: a LOM record with an element no crosswalk knows; the report names it and exits 1."""
    record = tmp_path / "extended.xml"
    record.write_text(
        '<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general><title><string language="en">T</string></title>'
        "<localExtension>kept nowhere</localExtension></general></lom>",
        encoding="utf-8",
    )
    result = eduhub("crosswalk-report", str(record), data=tmp_path / "hub", check=False)
    assert result.returncode == 1
    assert "lom/general/localextension" in result.stdout and trace.UNREAD in result.stdout


def test_cli_report_on_a_file_and_on_a_harvested_source(tmp_path: Path, replay: ReplayServer) -> None:
    data = tmp_path / "hub"
    page = REAL / "oai-pmh" / "meresco-edurep_listrecords_lom_set_surf_page1.xml"
    out = json.loads(eduhub("crosswalk-report", str(page), "--json", data=data).stdout)
    assert out["input"] == str(page) and out["records"] == 8 and out["crosswalks"] == {"nl-lom": 8}
    assert out["unexplained_drops"] == 0 and 0 < out["mapped_share"] <= 1
    assert {"path", "mapped", "kept", "dropped", "reasons", "examples"} <= set(out["paths"][0])

    eduhub("sources", "add", "edurep", replay.url("edurep"), data=data)
    [summary] = json.loads(eduhub("harvest", "edurep", "--json", data=data).stdout)
    text = eduhub("crosswalk-report", "--source", "edurep", data=data).stdout
    assert text.startswith("Crosswalk coverage: source edurep")
    stored = summary["added"]  # the report reads the payloads archived for the stored records
    assert stored > 0 and f"records: {stored} read, 0 failed; nl-lom {stored}" in text

    assert eduhub("crosswalk-report", str(tmp_path / "missing.xml"), data=data, check=False).returncode == 2
    unknown = eduhub("crosswalk-report", str(page), "--crosswalk", "marc", data=data, check=False)
    assert unknown.returncode == 2 and "unknown crosswalk 'marc'" in unknown.stderr
    missing_source = eduhub("crosswalk-report", "--source", "nowhere", data=data, check=False)
    assert missing_source.returncode == 1 and "nowhere" in missing_source.stderr


def test_json_ld_dump_report(tmp_path: Path) -> None:
    dump = Path(__file__).parent / "fixtures" / "lrmi" / "oersi_etl_duepublico_amb_records_concatenated.json"
    report = coverage.build(coverage.items_from_file(dump))
    assert report.records >= 2 and report.crosswalks == {"lrmi": report.records}
    assert report.unexplained() == 0
