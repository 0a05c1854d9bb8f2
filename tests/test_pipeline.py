"""Pipeline details that recorded feeds do not reach."""

from __future__ import annotations

from exchange.hub import Hub
from exchange.pipeline import RunSummary, Tagger, _commit, _Outcome, source_record_url
from exchange.state import RawRecord
from exchange.store import GraphWrite


def test_a_record_the_store_refuses_is_quarantined_and_the_page_still_stored(hub: Hub) -> None:
    source = hub.state.add_source("s", "http://127.0.0.1:9/oai")
    good, bad = "http://hub.test/resources/s/good", "http://hub.test/resources/s/bad"
    outcome = _Outcome(
        writes={
            good: GraphWrite(good, [f'<{good}> <http://schema.org/name> "fine" .']),
            # passes the line builder's IRI check, but the store's RFC 3987 parser refuses it
            bad: GraphWrite(bad, [f"<{bad}> <http://schema.org/url> <http://a/b#c#d> ."]),
        },
        identifiers={good: "good", bad: "bad"},
        raws={g: RawRecord("s", i, None, "oai_dc", f"<dc>{i}</dc>") for g, i in ((good, "good"), (bad, "bad"))},
    )
    summary = RunSummary(source="s")
    _commit(hub, source, outcome, summary, run_id=None, tags=Tagger(hub, "s", enabled=True))
    assert (summary.added, summary.quarantined) == (1, 1)
    assert hub.store.existing_graphs([good, bad]) == {good}
    [item] = hub.state.quarantined("s")
    assert (item.oai_identifier, item.stage) == ("bad", "store")
    assert item.raw == "<dc>bad</dc>"  # kept for inspection and the next run's retry
    assert "store refused" in item.reason
    assert hub.state.raw("s", "good").xml == "<dc>good</dc>"  # the stored record's payload is archived
    assert hub.state.raw("s", "bad") is None


def test_source_record_url_encodes_the_identifier() -> None:
    assert source_record_url("http://x.org/oai", "lom", "a:b/c d") == (
        "http://x.org/oai?verb=GetRecord&metadataPrefix=lom&identifier=a%3Ab%2Fc+d"
    )
    assert source_record_url("http://x.org/request?repo=1", "oai_dc", "1").startswith(
        "http://x.org/request?repo=1&verb=GetRecord"
    )
