"""Hub to hub: a second hub harvests the first over OAI-PMH in the native format, both live on
loopback, and ends with the same record graphs (renamed to its own IRIs), the provenance chain
(original source → first hub → second hub) recorded, and deletions carried over."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.model import record_iri
from exchange.pipeline import harvest, source_record_url
from exchange.provider.log import Selection
from exchange.provider.protocol import Provider
from exchange.provider.publish import graph_of
from tests.conftest import OAI_FEEDS, LiveServer

SCHEMA = "http://schema.org/"
HUB = "https://w3id.org/eduhub/ns#"


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[tuple[Hub, LiveServer, Hub, LiveServer, ReplayServer]]:
    with (
        ReplayServer([OAI_FEEDS / "edurep", OAI_FEEDS / "tudelft"]) as replay,
        Hub.open(Settings(data_dir=tmp_path / "one", base="http://hub-one.test")) as one,
        Hub.open(Settings(data_dir=tmp_path / "two", base="http://hub-two.test")) as two,
        LiveServer(one, Provider(one, records_per_page=4)) as live_one,
        LiveServer(two) as live_two,
    ):
        for feed in ("edurep", "tudelft"):
            one.state.add_source(feed, replay.url(feed))
            assert harvest(one, feed).status == "ok"
        two.state.add_source("one", f"{live_one.url}/oai")  # no prefix: the hub picks its richest
        yield one, live_one, two, live_two, replay


def graph(hub: Hub, iri: str) -> set[ox.Triple]:
    return set(hub.store.triples([iri]).get(iri, []))


def renamed(triples: set[ox.Triple], old: str, new: str) -> set[ox.Triple]:
    def term(node: ox.NamedNode | ox.Literal | ox.BlankNode) -> ox.NamedNode | ox.Literal | ox.BlankNode:
        if isinstance(node, ox.NamedNode) and (node.value == old or node.value.startswith(old + "#")):
            return ox.NamedNode(new + node.value[len(old) :])
        return node

    return {ox.Triple(term(t.subject), t.predicate, term(t.object)) for t in triples}


def live_items(hub: Hub) -> list[str]:
    return [i.item for i in hub.publication.page(Selection(), None, 100_000) if not i.deleted]


def test_second_hub_gets_isomorphic_graphs_with_the_provenance_chain(hubs) -> None:
    one, live_one, two, _, _ = hubs
    summary = harvest(two, "one")
    assert summary.status == "ok", summary.error
    assert summary.metadata_prefix == "eduhub"
    items = live_items(one)
    assert summary.added == len(items) == 17 and summary.quarantined == 0
    provider = Provider(one)
    for item in items:
        first_iri = graph_of(one.settings.base, item)
        identifier = provider.identifier(item)
        second_iri = record_iri(two.settings.base, "one", identifier)
        first, second = graph(one, first_iri), graph(two, second_iri)
        # the second hub's own provenance page: the first hub's GetRecord URL
        page = ox.NamedNode(source_record_url(f"{live_one.url}/oai", "eduhub", identifier))
        added = {t for t in second if t.subject == page or t.object == page}
        assert ox.Triple(page, ox.NamedNode(f"{HUB}oaiIdentifier"), ox.Literal(identifier)) in added
        assert (
            ox.Triple(page, ox.NamedNode(f"{SCHEMA}provider"), ox.NamedNode("http://hub-two.test/sources/one")) in added
        )
        assert second - added == renamed(first, first_iri, second_iri)
        # the chain: the original source's page (provider: the first hub's source) is still there
        providers = {t.object.value for t in second if t.predicate.value == f"{SCHEMA}provider"}
        assert providers == {"http://hub-two.test/sources/one", f"http://hub-one.test/sources/{item.split('/')[0]}"}


def test_deletions_and_changes_propagate(hubs) -> None:
    one, _, two, live_two, _ = hubs
    assert harvest(two, "one").status == "ok"
    before = set(live_items(two))
    time.sleep(1.1)  # datestamps are in seconds
    deleted = harvest(one, "edurep").deleted  # incremental: the recorded delta deletes records
    assert deleted > 0
    summary = harvest(two, "one")
    assert summary.mode == "incremental"
    assert summary.deleted == deleted
    provider = Provider(one)

    def on_two(items: list[str]) -> set[str]:
        return {record_iri("", "one", provider.identifier(item))[len("/resources/") :] for item in items}

    gone = [i.item for i in one.publication.page(Selection(), None, 100_000) if i.deleted]
    assert len(gone) == deleted and on_two(gone) <= before
    assert set(live_items(two)) == on_two(live_items(one))
    assert not on_two(gone) & set(live_items(two))
    # and the second hub publishes the deletions in turn
    import httpx

    response = httpx.get(f"{live_two.url}/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert response.text.count('status="deleted"') == deleted
