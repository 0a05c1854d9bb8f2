"""Harvesting recorded real OAI-PMH responses over real HTTP, then querying /sparql over HTTP."""

from __future__ import annotations

import pytest
from lxml import etree

from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.model import record_iri
from exchange.pipeline import harvest
from tests.conftest import OAI_FEEDS, LiveServer, sparql_count

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def feed_identifiers(*files: str, deleted: bool = False) -> set[str]:
    """Identifiers in recorded pages, read independently of the harvester."""
    found = set()
    for name in files:
        root = etree.parse(str(OAI_FEEDS / name)).getroot()
        for header in root.iter(f"{OAI}header"):
            if (header.get("status") == "deleted") == deleted:
                found.add(header.findtext(f"{OAI}identifier").strip())
    return found


def add(hub: Hub, replay: ReplayServer, feed: str, **options: str) -> None:
    hub.state.add_source(feed, replay.url(feed), options.get("prefix"), options.get("set_spec"))


def stored_identifiers(hub: Hub, source: str) -> set[str]:
    rows = hub.store.select(
        "SELECT ?id WHERE { ?r a <http://schema.org/LearningResource> ; <http://schema.org/mainEntityOfPage> ?p . "
        "?p <https://w3id.org/eduhub/ns#oaiIdentifier> ?id ; <http://schema.org/provider> ?s . "
        f"FILTER(STRENDS(STR(?s), '/sources/{source}')) }}"
    )
    return {row["id"] for row in rows}


def test_multi_page_lom_with_tokens_and_deleted_record(hub: Hub, replay: ReplayServer, live: LiveServer) -> None:
    add(hub, replay, "edurep")
    summary = harvest(hub, "edurep")
    live_ids = feed_identifiers("edurep/page1.xml", "edurep/page2_final.xml")
    assert summary.status == "ok", summary.error
    assert summary.metadata_prefix == "lom"  # richest readable format, chosen over oai_dc
    assert summary.pages == 2
    assert summary.added == len(live_ids) == 11
    assert summary.deleted == 0  # the deleted header names a record the hub never had
    assert summary.quarantined == 0
    assert stored_identifiers(hub, "edurep") == live_ids
    assert sparql_count(live.url) == 11
    # the payload of each stored record is archived as the source sent it
    raw = hub.state.raw("edurep", "surfsharekit:oai:surfsharekit.nl:b500d389-2fda-4696-ae51-9cd0603a48af")
    assert raw.metadata_prefix == "lom" and raw.datestamp == "2019-12-11T13:18:38Z"
    assert raw.xml.startswith("<czp:lom") and "COOC (Community of Open Online Course)" in raw.xml
    assert etree.fromstring(raw.xml.encode()).tag == "{http://www.imsglobal.org/xsd/imsmd_v1p2}lom"
    # the second request resumed with the recorded token, sent back verbatim
    verbs = [params for feed, params in replay.requests if feed == "edurep" and params.get("verb") == "ListRecords"]
    assert verbs[1] == {
        "verb": "ListRecords",
        "resumptionToken": "c1576069959151499|u|f1970-01-01T00:00:00Z|mlom|ssurf",
    }


def test_incremental_run_asks_only_for_changes_and_applies_deletions(
    hub: Hub, replay: ReplayServer, live: LiveServer
) -> None:
    add(hub, replay, "edurep")
    first = harvest(hub, "edurep")
    assert first.mode == "full" and first.status == "ok"
    replay.requests.clear()

    second = harvest(hub, "edurep")
    requests = [p for f, p in replay.requests if p.get("verb") == "ListRecords"]
    # one request, with `from` = the first run's responseDate (source granularity is seconds)
    assert requests == [{"verb": "ListRecords", "metadataPrefix": "lom", "from": "2020-02-06T18:10:23Z"}]
    assert second.mode == "incremental" and second.from_date == "2020-02-06T18:10:23Z"

    deleted_ids = feed_identifiers("edurep/delta.xml", deleted=True)
    updated_ids = feed_identifiers("edurep/delta.xml")
    before = feed_identifiers("edurep/page1.xml", "edurep/page2_final.xml")
    expected = (before - deleted_ids) | updated_ids
    assert second.deleted == len(before & deleted_ids) > 0
    assert all(hub.state.raw("edurep", gone) is None for gone in before & deleted_ids)
    assert second.added == len(updated_ids - before)
    assert second.updated == len(updated_ids & before)
    assert stored_identifiers(hub, "edurep") == expected
    assert sparql_count(live.url) == len(expected)


def test_full_flag_forces_a_full_harvest(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "edurep")
    harvest(hub, "edurep")
    replay.requests.clear()
    again = harvest(hub, "edurep", full=True)
    first_request = next(p for f, p in replay.requests if p.get("verb") == "ListRecords")
    assert "from" not in first_request
    assert again.mode == "full" and again.updated == 11 and again.added == 0


def test_whitespace_only_token_ends_the_list(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "tudelft")
    summary = harvest(hub, "tudelft")
    assert summary.status == "ok", summary.error
    assert summary.pages == 2
    assert stored_identifiers(hub, "tudelft") == feed_identifiers("tudelft/page1.xml", "tudelft/page2_final.xml")
    # Identify was recorded from the real server: its granularity is kept for incremental runs
    assert hub.state.source("tudelft").granularity == "YYYY-MM-DDThh:mm:ssZ"


def test_empty_token_with_attributes_on_the_only_page(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "librecat", set_spec="patent", prefix="oai_dc")  # the feed records oai_dc only
    summary = harvest(hub, "librecat")
    assert summary.status == "ok", summary.error
    assert summary.pages == 1
    assert summary.added == len(feed_identifiers("librecat/listrecords.xml")) == 94


def test_missing_token_element_ends_a_three_page_list(hub: Hub, replay: ReplayServer, live: LiveServer) -> None:
    add(hub, replay, "zenodo", prefix="oai_dc")  # the feed records oai_dc only
    summary = harvest(hub, "zenodo")
    ids = feed_identifiers("zenodo/page1.xml", "zenodo/page2.xml", "zenodo/page3_no_token.xml")
    assert summary.status == "ok", summary.error
    assert summary.pages == 3
    assert stored_identifiers(hub, "zenodo") == ids
    # page 2 carries a deleted header for a record the hub never had: 9 records, 8 live
    assert (summary.records, summary.added, summary.deleted) == (9, 8, 0)
    assert sparql_count(live.url) == len(ids) == 8


def test_no_records_match_is_an_empty_list(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "mit-norecords")
    summary = harvest(hub, "mit-norecords")
    assert summary.status == "ok"
    assert (summary.pages, summary.added) == (0, 0)


def test_oai_error_with_http_422_is_read_as_the_oai_error(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "zenodo-422")
    summary = harvest(hub, "zenodo-422")
    assert summary.status == "ok", summary.error  # noRecordsMatch, served as HTTP 422 by Zenodo
    assert summary.added == 0

    hub.state.add_source("zenodo-bad", replay.url("zenodo-422"), "XXX")
    failed = harvest(hub, "zenodo-bad")
    assert failed.status == "failed"
    assert "badArgument" in failed.error and "XXX" in failed.error
    assert hub.state.source("zenodo-bad").last_status.startswith("failed")


def test_malformed_record_is_quarantined_and_the_rest_of_its_page_stored(
    hub: Hub, replay: ReplayServer, live: LiveServer
) -> None:
    add(hub, replay, "malformed-record")
    summary = harvest(hub, "malformed-record")
    assert summary.status == "ok", summary.error
    assert (summary.added, summary.quarantined) == (2, 1)
    [item] = hub.state.quarantined("malformed-record")
    assert item.oai_identifier == "surfsharekit:oai:surfsharekit.nl:b500d389-2fda-4696-ae51-9cd0603a48af"
    assert item.stage == "parse"
    assert "bogus" in item.reason  # lxml's message names the undefined entity
    assert "&bogus;" in item.raw  # the raw record is kept for inspection
    assert sparql_count(live.url) == 2


def test_deleted_header_without_identifier_does_not_stop_the_harvest(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "sickle-missing-identifier")
    summary = harvest(hub, "sickle-missing-identifier")
    assert summary.status == "ok"
    assert (summary.added, summary.quarantined) == (1, 1)
    [item] = hub.state.quarantined("sickle-missing-identifier")
    assert "no <identifier>" in item.reason


def test_quarantine_entry_is_released_when_the_record_arrives_intact(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "malformed-record")
    harvest(hub, "malformed-record")
    assert len(hub.state.quarantined("malformed-record")) == 1
    # the same source now serves the intact page
    hub.state.update_source("malformed-record", base_url=replay.url("edurep"))
    harvest(hub, "malformed-record", full=True)
    assert hub.state.quarantined("malformed-record") == []


def test_sources_keep_separate_graphs_and_full_harvest_removes_vanished_records(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "tudelft")
    harvest(hub, "tudelft")
    ids = feed_identifiers("tudelft/page1.xml", "tudelft/page2_final.xml")
    graphs = hub.store.graphs(record_iri(hub.settings.base, "tudelft", ""))
    assert graphs == sorted(record_iri(hub.settings.base, "tudelft", i) for i in ids)
    # Point the source at a feed without these records: a full harvest removes them.
    hub.state.update_source("tudelft", base_url=replay.url("mit-norecords"))
    summary = harvest(hub, "tudelft", full=True)
    assert summary.deleted == len(ids)
    assert hub.store.graphs(record_iri(hub.settings.base, "tudelft", "")) == []


def test_unreachable_source_fails_with_a_clear_message(hub: Hub) -> None:
    from tests.conftest import free_port

    hub.state.add_source("dead", f"http://127.0.0.1:{free_port()}/oai")
    from harvesters.http import RetryPolicy
    from harvesters.oaipmh import OaiClient

    client = OaiClient(hub.state.source("dead").base_url, policy=RetryPolicy(attempts=1))
    summary = harvest(hub, "dead", client=client)
    assert summary.status == "failed"
    assert "cannot reach" in summary.error


def test_full_harvest_keeps_the_last_good_version_of_a_record_now_broken(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "edurep")
    harvest(hub, "edurep")
    broken = "surfsharekit:oai:surfsharekit.nl:b500d389-2fda-4696-ae51-9cd0603a48af"
    # the source now serves only its page 2, where that record arrives malformed
    hub.state.update_source("edurep", base_url=replay.url("malformed-record"))
    summary = harvest(hub, "edurep", full=True)
    assert summary.quarantined == 1
    still_listed = feed_identifiers("edurep/page2_final.xml")
    assert stored_identifiers(hub, "edurep") == still_listed  # page-1 records left; the broken one stays
    assert broken in still_listed
    assert summary.deleted == len(feed_identifiers("edurep/page1.xml"))


def test_interrupted_harvest_keeps_committed_pages_and_does_not_advance(hub: Hub, replay: ReplayServer) -> None:
    add(hub, replay, "edurep")

    def stop_after_first_page(summary, page):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        harvest(hub, "edurep", progress=stop_after_first_page)
    assert len(stored_identifiers(hub, "edurep")) == len(feed_identifiers("edurep/page1.xml"))
    assert hub.state.source("edurep").next_from is None  # the next run is full again
    assert hub.state.runs("edurep")[0]["status"] == "interrupted"
