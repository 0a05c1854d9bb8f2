"""Cross-source duplicate clusters (exchange/clusters.py, docs/clusters.md).

Real records where the fixtures can show the case: the recorded Zenodo and Edurep feeds harvested
as two sources over real HTTP, and every real record file of tests/fixtures crosswalked as a
source of its own. Synthetic records (written with the store API) where no real record shows the
case; each such test says so.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from lxml import etree

from exchange import clusters, crosswalks
from exchange.crosswalks import RecordContext
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.linkeddata import record_triples, record_view
from exchange.model import record_iri, source_iri, to_ntriples, validate
from exchange.pipeline import harvest
from exchange.store import GraphWrite
from tests.conftest import BASE, OAI_FEEDS, LiveServer
from tests.test_golden import INPUTS, payloads
from tests.test_linkeddata import check_html, jsonld_triples, parse

HUB = "https://w3id.org/eduhub/ns#"
SCHEMA = "http://schema.org/"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
ZENODO_PAGES = ("zenodo/page1.xml", "zenodo/page2.xml", "zenodo/page3_no_token.xml")


# ---------------------------------------------------------------------- helpers


def derived(hub: Hub) -> set[str]:
    """Every quad of the clusters graph and the key index, as text: what refresh and rebuild write."""
    graphs = [clusters.clusters_graph(BASE), *hub.store.graphs(f"{BASE}/cluster-keys/")]
    return {f"{t} <{graph}>" for graph, triples in hub.store.triples(graphs).items() for t in triples}


def groups(hub: Hub) -> dict[str, set[str]]:
    """cluster IRI → member record IRIs, from the store."""
    rows = hub.store.select(
        f"SELECT ?c ?m WHERE {{ GRAPH <{clusters.clusters_graph(BASE)}> {{ ?m <{clusters.IN_CLUSTER}> ?c }} }}"
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["c"], set()).add(row["m"])
    return found


def put(hub: Hub, source: str, local: str, url: str | None = None, identifiers: tuple[str, ...] = ()) -> str:
    """A SYNTHETIC record (title, url, identifiers, provenance) written as the pipeline writes one."""
    iri = record_iri(BASE, source, local)
    record: dict = {
        "id": iri,
        "type": ["LearningResource"],
        "name": {"en": f"{source} {local}"},
        "mainEntityOfPage": [
            {
                "id": f"https://{source}.oai.test/oai?verb=GetRecord&identifier={quote(local)}",
                "provider": {"id": source_iri(BASE, source)},
                "oaiIdentifier": local,
                "metadataFormat": "oai_dc",
            }
        ],
    }
    if url:
        record["url"] = url
    if identifiers:
        record["identifier"] = list(identifiers)
    hub.store.write_page([GraphWrite(iri, to_ntriples(record))])
    return iri


def drop(hub: Hub, *records: str) -> None:
    hub.store.write_page([], list(records))


def zenodo_dois() -> dict[str, str]:
    """OAI identifier → DOI of each live record of the recorded Zenodo feed, read from the XML."""
    found = {}
    for name in ZENODO_PAGES:
        for record in etree.parse(str(OAI_FEEDS / name)).getroot().iter(f"{OAI}record"):
            if record.find(f"{OAI}header").get("status") == "deleted":  # page 2 has one, with metadata
                continue
            identifier = record.findtext(f"{OAI}header/{OAI}identifier").strip()
            dois = [e.text for e in record.iter(f"{DC}identifier") if "doi.org/" in (e.text or "")]
            found[identifier] = dois[0].split("doi.org/", 1)[1].lower()
    return found


# ---------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("written", "key"),
    [
        # as the real records write them (tests/fixtures/golden): Zenodo, MIT and Helsinki DSpace, NSDL
        ("https://doi.org/10.5281/zenodo.8435696", "doi:10.5281/zenodo.8435696"),
        ("https://hdl.handle.net/1721.1/140717", "hdl:1721.1/140717"),
        ("http://hdl.handle.net/10138/1074", "hdl:10138/1074"),
        ("hdl:2200/20080423151356635T", "hdl:2200/20080423151356635T"),
        ("10.1137/S0036144500378302", "doi:10.1137/s0036144500378302"),  # bare DOI, HS-OER-LOM example A
        # the other written forms of a DOI (DOIs are case-insensitive) and of a Handle
        ("DOI: 10.5281/ZENODO.8435696", "doi:10.5281/zenodo.8435696"),
        ("http://dx.doi.org/10.5281/Zenodo.8435696", "doi:10.5281/zenodo.8435696"),
        ("info:doi/10.5281/zenodo.8435696", "doi:10.5281/zenodo.8435696"),
        ("https://doi.org/10.1002/%28SICI%291097-4571", "doi:10.1002/(sici)1097-4571"),
        ("hdl:10.5281/zenodo.1", "doi:10.5281/zenodo.1"),  # a Handle with prefix 10. is a DOI
        ("info:hdl/1721.1/140717", "hdl:1721.1/140717"),
    ],
)
def test_persistent_identifiers_in_any_written_form(written: str, key: str) -> None:
    assert clusters.persistent_key(written) == key


@pytest.mark.parametrize(
    "written",
    [
        "10900.3/OER_ZZxWvFJV",  # HS-OER-LOM example A: a bare prefix/suffix could be any path
        "urn:uuid:5be6dfeb-b9ad-41a8-b4f5-94b9438e4257",  # Edurep: a record id, not the resource's
        "oai:zenodo.org:8435696",
        "ISBN 90-6132-281-2",
        "https://hdl.handle.net/123456789/42",  # DSpace's unregistered default prefix
        "https://hdl.handle.net/1721.1/140717?noredirect",  # a resolver page
        "https://zenodo.org/records/8435696",
    ],
)
def test_other_identifiers_are_not_persistent_keys(written: str) -> None:
    assert clusters.persistent_key(written) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.youtube.com/watch?v=Zl59P5ZNX3M", "HTTP://YouTube.com:80/watch?v=Zl59P5ZNX3M"),
        ("http://adte.ca/logilibre/bigbluebutton/", "https://adte.ca/logilibre/./x/../bigbluebutton"),
        (
            "https://xoteur.12change.eu/play.php?template_id=444#page9",
            "https://xoteur.12change.eu/play.php?template_id=444",
        ),
        ("https://de.wikipedia.org/wiki/%c3%84pfel", "https://de.wikipedia.org/wiki/Äpfel"),
        ("https://a.org/%7euser/x", "https://a.org/~user/x"),
    ],
)
def test_ways_of_writing_one_landing_url_meet(a: str, b: str) -> None:
    assert clusters.url_key(a) == clusters.url_key(b) is not None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://repo.edu/item?id=1", "https://repo.edu/item?id=2"),
        ("https://repo.edu/item?id=1&format=pdf", "https://repo.edu/item?id=1"),
        ("https://maken.wikiwijs.nl/94812/Macro#!page-2935729", "https://maken.wikiwijs.nl/94812/Macro#!page-1"),
        ("https://repo.edu:8080/item", "https://repo.edu/item"),
        ("https://repo.edu/Item", "https://repo.edu/item"),
        ("https://repo.edu/a%2Fb", "https://repo.edu/a/b"),
    ],
)
def test_different_landing_urls_stay_apart(a: str, b: str) -> None:
    assert clusters.url_key(a) != clusters.url_key(b)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/lessonplan",  # the DCMI LRMI examples: two resources, one placeholder URL
        "http://test.example.com/publication/1996652",  # anonymized records
        "https://www.oerbw.de/",  # a home page
        "https://www.oerbw.de",
        "javascript:alert(1)",
        "ftp://files.edu/a.pdf",
    ],
)
def test_placeholders_home_pages_and_other_schemes_are_no_url_keys(url: str) -> None:
    assert clusters.url_key(url) is None


# ---------------------------------------------------------------------- real records


def test_every_real_record_file_as_its_own_source(hub: Hub) -> None:
    """Each real record file crosswalked as a source of its own: the clusters are the known overlaps
    between the files (the same record fetched twice, a Zenodo record as oai_dc and as DataCite, the
    ScoLOMFR example and its wrong-vocabulary copy), and nothing else: the two DCMI LRMI examples share
    the placeholder URL http://example.org/lessonplan and stay apart."""
    for path in INPUTS:
        source = path.name.rsplit(".", 1)[0]
        puts = []
        for identifier, payload, prefix in payloads(path):
            crosswalk = crosswalks.for_payload(payload, prefix)
            context = RecordContext(
                base=BASE,
                source=source,
                oai_identifier=identifier,
                datestamp=None,
                metadata_prefix=prefix or crosswalk.name,
                source_record_url=f"https://{quote(source)}.oai.test/oai?id={quote(identifier)}",
            )
            try:
                record = validate(crosswalk.to_record(payload, context))
            except crosswalks.CrosswalkError:
                continue
            puts.append(GraphWrite(record["id"], to_ntriples(record)))
        hub.store.write_page(puts)
    stats = clusters.rebuild(hub)

    found = {}
    for iri in groups(hub):
        view = clusters.cluster_view(hub, iri)
        assert view is not None
        found[view.keys] = sorted(member.source for member in view.members)
    tudelft = "tudelft_listrecords_oai_dc_"
    pdf = "url:https://content.library.tudelft.nl/intradoc-cgi/nph-idc_cgi.exe/"
    assert found == {
        ("doi:10.5281/zenodo.10357859",): ["invenio-zenodo_getrecord_datacite", "invenio-zenodo_getrecord_oai_dc"],
        ("hdl:1765/315",): ["oaicat-dspace_eur_getrecord_oai_dc", "oaicat-dspace_eur_listrecords_oai_dc_from"],
        (
            "hdl:2200/20080423151356635T",
            "url:https://reciprocalnet.org/recipnet/showsample.jsp?sampleId=27344140",
        ): ["nsdl_getrecord_nsdl_dc", "nsdl_listrecords_nsdl_dc_singlepage"],
        ("url:https://youtube.com/watch?v=Zl59P5ZNX3M",): [
            "meresco-edurep_listrecords_lom_delta_deleted",
            "meresco-edurep_listrecords_lom_set_surf_page1",
        ],
        (
            "url:https://ac-clermont.fr/disciplines/fileadmin/user_upload/Histoire-Geographie/Troisieme/1GM/"
            "recit_Verdun/verdun_recit_fiche_presentation.pdf",
        ): ["invalid_scolomfr_v3.2_example_wrong_vocab", "scolomfr_v3.2_reference_manual_example_verdun"],
        (pdf + "ae_bruinsma_20030121.pdf?IdcService=GET_FILE&dID=8802&dDocName=007087",): [
            tudelft + "page1",
            tudelft + "page2_final",
        ],
        (pdf + "ae_heuvel_20030915.pdf?IdcService=GET_FILE&dID=8800&dDocName=007192",): [
            tudelft + "newlines_in_text",
            tudelft + "page1",
            tudelft + "page2_final",
        ],
        (pdf + "as_aert_20030520.pdf?IdcService=GET_FILE&dID=8799&dDocName=007193",): [
            tudelft + "page1",
            tudelft + "page2_final",
        ],
    }
    assert stats.clusters == 8 and stats.members == 17


def test_one_feed_harvested_as_two_sources_makes_one_cluster_per_record(
    hub: Hub, replay: ReplayServer, live: LiveServer
) -> None:
    """The recorded Zenodo feed harvested twice over HTTP, as two sources: each record and its twin
    form one cluster named by the record's DOI; Edurep, harvested alongside, shares nothing."""
    for name, feed, prefix in (
        ("zen-a", "zenodo", "oai_dc"),
        ("zen-b", "zenodo", "oai_dc"),
        ("edurep", "edurep", None),
    ):
        hub.state.add_source(name, replay.url(feed), prefix)
        assert harvest(hub, name).status == "ok"  # each harvest refreshes the clusters itself

    dois = zenodo_dois()
    found = groups(hub)
    assert len(found) == len(dois) == 8
    for identifier, doi in dois.items():
        pair = {record_iri(BASE, "zen-a", identifier), record_iri(BASE, "zen-b", identifier)}
        iri = clusters.cluster_iri(BASE, [f"doi:{doi}"])
        assert found[iri] == pair
    assert not any(m.startswith(record_iri(BASE, "edurep", "")) for members in found.values() for m in members)
    # the one SPARQL pattern from a record to its cluster, the other members and their sources
    record = record_iri(BASE, "zen-a", next(iter(dois)))
    response = httpx.get(
        f"{live.url}/sparql",
        params={"query": clusters.members_query(record)},
        headers={"Accept": "application/sparql-results+json"},
    )
    rows = [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]
    assert rows == [{"other": record.replace("/zen-a/", "/zen-b/"), "source": source_iri(BASE, "zen-b")}]


def test_a_record_deleted_by_the_source_leaves_its_cluster(hub: Hub, replay: ReplayServer) -> None:
    """Edurep harvested as two sources links every record with a landing URL to its twin (real URL
    keys: YouTube, SURFsharekit, Codarts); the recorded delta deletes one record from the second
    source, and its cluster, left with one source, disappears."""
    for name in ("edurep-a", "edurep-b"):
        hub.state.add_source(name, replay.url("edurep"))
        assert harvest(hub, name).status == "ok"
    before = groups(hub)
    assert len(before) == 10 and all(len(members) == 2 for members in before.values())

    summary = harvest(hub, "edurep-b")  # incremental: the recorded delta
    assert summary.mode == "incremental" and summary.deleted == 1
    gone = {g for g in (m for members in before.values() for m in members) if not hub.store.has_graph(g)}
    assert len(gone) == 1
    after = groups(hub)  # the harvest refreshed the clusters
    assert after == {iri: members for iri, members in before.items() if not members & gone}
    assert clusters.refresh(hub, "edurep-b").mode == "unchanged"
    snapshot = derived(hub)
    clusters.rebuild(hub)
    assert derived(hub) == snapshot


# ---------------------------------------------------------------------- synthetic cases


def test_a_doi_written_differently_in_three_sources_links_them(hub: Hub) -> None:
    """SYNTHETIC: no fixture has one DOI from several repositories, so three records write the same
    DOI as a bare name in capitals, as an old dx.doi.org landing URL and as ``doi:``."""
    clusters.rebuild(hub)
    a = put(hub, "a", "1", identifiers=("10.1234/ABC.5",))
    b = put(hub, "b", "1", url="http://dx.doi.org/10.1234/abc.5")
    c = put(hub, "c", "1", url="https://www.c.edu/items/1/", identifiers=("doi:10.1234/Abc.5",))
    for source in ("a", "b", "c"):
        clusters.refresh(hub, source)
    assert list(groups(hub).values()) == [{a, b, c}]
    view = clusters.cluster_of(hub, a)
    assert view is not None and view.iri == clusters.cluster_iri(BASE, ["doi:10.1234/abc.5"])
    assert view.keys == ("doi:10.1234/abc.5",)  # the URL only c has links nothing
    assert view.member_count == 3 and view.sources == ["a", "b", "c"]


def test_records_of_one_source_alone_are_no_cluster_but_join_one_across_sources(hub: Hub) -> None:
    """SYNTHETIC: a source that repeats itself (two records, one URL) is not a cluster; once another
    source has the URL, all three records are one."""
    clusters.rebuild(hub)
    one = put(hub, "a", "1", url="https://oer.edu/r/1")
    two = put(hub, "a", "2", url="http://oer.edu/r/1/")
    clusters.refresh(hub, "a")
    assert groups(hub) == {}
    three = put(hub, "b", "9", url="https://www.oer.edu/r/1#intro")
    stats = clusters.refresh(hub, "b")
    assert list(groups(hub).values()) == [{one, two, three}] and stats.created == 1


def test_different_resources_never_merge(hub: Hub) -> None:
    """SYNTHETIC: landing URLs that differ only in their query, a single-page route, a port, or a
    placeholder host shared by unrelated records, in two sources."""
    clusters.rebuild(hub)
    pairs = [
        ("https://repo.edu/view.php?id=1", "https://repo.edu/view.php?id=2"),
        ("https://maken.wikiwijs.nl/94812/Macro#!page-1", "https://maken.wikiwijs.nl/94812/Macro#!page-2"),
        ("https://repo.edu:8443/item/7", "https://repo.edu/item/7"),
        ("http://example.org/lessonplan", "http://example.org/lessonplan"),
        ("https://hdl.handle.net/123456789/5", "https://hdl.handle.net/123456789/5"),
    ]
    for number, (a, b) in enumerate(pairs):
        put(hub, "a", str(number), url=a)
        put(hub, "b", str(number), url=b)
    clusters.refresh(hub, "a")
    clusters.refresh(hub, "b")
    assert groups(hub) == {}


def test_a_key_too_many_records_share_links_nothing(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC: a portal search URL on every record of three sources links none of them; their DOIs
    still do. When records stop using it, it links again."""
    monkeypatch.setattr(clusters, "MAX_KEY_RECORDS", 4)
    clusters.rebuild(hub)
    portal = "https://portal.edu/search?q=oer"
    records = [put(hub, s, str(n), url=portal, identifiers=(f"10.5555/{n}",)) for s in "abc" for n in range(2)]
    for source in "abc":
        stats = clusters.refresh(hub, source)
    assert stats.common_keys == 1
    assert sorted(map(sorted, groups(hub).values())) == sorted(sorted(records[n::2]) for n in range(2))
    put(hub, "c", "0", url="https://c.edu/0", identifiers=("10.5555/c0",))
    put(hub, "c", "1", url="https://c.edu/1", identifiers=("10.5555/c1",))
    stats = clusters.refresh(hub, "c")
    assert stats.common_keys == 0
    assert list(groups(hub).values()) == [set(records[:4])]  # a's and b's four: the portal URL links again
    snapshot = derived(hub)
    clusters.rebuild(hub)
    assert derived(hub) == snapshot


def test_a_cluster_split_by_a_key_turning_common_keeps_what_still_links(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a1, b1 and c1 are one cluster (a1 and b1 by a shared URL, a1 and c1 by a DOI).
    Source d then points three records at that URL, which becomes common: the cluster is redone
    from all its old members, and a1 with c1 (the DOI) remain one, without b1."""
    monkeypatch.setattr(clusters, "MAX_KEY_RECORDS", 4)
    clusters.rebuild(hub)
    portal = "https://portal.edu/item"
    a1 = put(hub, "a", "1", url=portal, identifiers=("10.5555/d",))
    put(hub, "b", "1", url=portal)
    c1 = put(hub, "c", "1", identifiers=("doi:10.5555/D",))
    for source in "abc":
        clusters.refresh(hub, source)
    assert len(next(iter(groups(hub).values()))) == 3
    for n in range(3):
        put(hub, "d", str(n), url=portal)
    stats = clusters.refresh(hub, "d")
    assert stats.common_keys == 1 and stats.changed == 1
    assert list(groups(hub).values()) == [{a1, c1}]


def test_removing_a_source_dissolves_its_clusters(hub: Hub) -> None:
    """SYNTHETIC: what ``eduhub sources remove`` does to the store (its record graphs dropped), then
    refresh: clusters of two sources disappear, a cluster of three loses a member."""
    clusters.rebuild(hub)
    put(hub, "a", "1", url="https://oer.edu/1")
    put(hub, "b", "1", url="https://oer.edu/1")
    a2, c2 = put(hub, "a", "2", url="https://oer.edu/2"), put(hub, "c", "2", url="https://oer.edu/2")
    put(hub, "b", "2", url="https://oer.edu/2")
    for source in "abc":
        clusters.refresh(hub, source)
    assert len(groups(hub)) == 2
    drop(hub, *hub.store.graphs(record_iri(BASE, "b", "")))
    stats = clusters.refresh(hub, "b")
    assert list(groups(hub).values()) == [{a2, c2}]
    assert stats.removed == 1 and stats.changed == 1
    assert not hub.store.has_graph(clusters.keys_graph(BASE, "b"))
    view = clusters.cluster_of(hub, a2)
    assert view is not None and view.member_count == 2


def test_refresh_without_a_key_index_rebuilds(hub: Hub) -> None:
    """SYNTHETIC: records stored before clusters existed (no index yet): the first refresh rebuilds,
    so the other source's records are found too."""
    a, b = put(hub, "a", "1", url="https://oer.edu/1"), put(hub, "b", "1", url="https://oer.edu/1")
    stats = clusters.refresh(hub, "b")
    assert stats.mode == "rebuild" and stats.notes
    assert list(groups(hub).values()) == [{a, b}]
    assert clusters.refresh(hub, "b").mode == "unchanged"


def test_refresh_after_each_change_equals_a_full_rebuild(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC, property: 60 random steps over 4 sources (records added, changed, deleted, a source
    emptied) with keys from a small pool written in varied forms, so records join, bridge, split and
    leave clusters, and a key crosses the common-key limit both ways. After each refresh of the
    changed source, the clusters graph and the key index equal what a rebuild writes."""
    monkeypatch.setattr(clusters, "MAX_KEY_RECORDS", 4)
    rng = random.Random(8)
    forms = [
        lambda j: (f"https://oer{j % 3}.edu/r/{j}", ()),
        lambda j: (f"http://www.oer{j % 3}.edu/r/{j}/", ()),
        lambda j: (None, (f"10.5555/R.{j}",)),
        lambda j: (f"https://doi.org/10.5555/r.{j}", ()),
        lambda j: (f"https://oer{j % 3}.edu/r/{j}#part", (f"doi:10.5555/r.{(j + 1) % 9}",)),
        lambda j: (f"https://hdl.handle.net/20.500.1/{j}", ()),
        lambda j: (None, (f"hdl:20.500.1/{j}",)),
        lambda j: ("https://portal.edu/search", ()),
    ]
    clusters.rebuild(hub)
    recomputed, largest, removed, common = [], 0, 0, 0
    for step in range(60):
        source = rng.choice("abcd")
        if step % 17 == 16:
            drop(hub, *hub.store.graphs(record_iri(BASE, source, "")))
        for _ in range(rng.randint(1, 4)):
            local = str(rng.randrange(6))
            if rng.random() < 0.2:
                drop(hub, record_iri(BASE, source, local))
            else:
                url, identifiers = rng.choice(forms)(rng.randrange(9))
                put(hub, source, local, url=url, identifiers=identifiers)
        stats = clusters.refresh(hub, source)
        recomputed.append(stats.records_recomputed)
        largest = max([largest, *(len(members) for members in groups(hub).values())])
        removed += stats.removed
        common += stats.common_keys
        snapshot = derived(hub)
        check = clusters.rebuild(hub)
        assert derived(hub) == snapshot, f"step {step}: refresh of {source} differs from rebuild"
        assert (check.created, check.removed, check.changed) == (0, 0, 0)
    assert largest >= 3 and removed and common  # the steps did join, dissolve and cross the limit
    # refreshes recompute part of the hub, not all of it
    total = len(clusters.read_record_keys(hub, f"{BASE}/resources/"))
    assert min(recomputed) < total


# ---------------------------------------------------------------------- linked data


@pytest.fixture
def twins(hub: Hub, replay: ReplayServer) -> tuple[str, str]:
    """The recorded Zenodo feed as two sources, clustered: (a record of zen-a, its twin in zen-b)."""
    for name in ("zen-a", "zen-b"):
        hub.state.add_source(name, replay.url("zenodo"), "oai_dc")
        assert harvest(hub, name).status == "ok"
    identifier = sorted(zenodo_dois())[0]
    return record_iri(BASE, "zen-a", identifier), record_iri(BASE, "zen-b", identifier)


def test_the_record_page_lists_the_same_resource_in_the_other_source(
    hub: Hub, twins: tuple[str, str], live: LiveServer
) -> None:
    record, twin = twins
    response = httpx.get(live.url + record[len(BASE) :], headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = check_html(response.text)
    assert "The same resource in other sources" in " ".join(page.text)
    cluster = clusters.cluster_of(hub, record)
    assert cluster is not None
    links = {attrs.get("href") for tag, attrs in page.tags if tag == "a"}
    assert twin[len(BASE) :] in links and "/sources/zen-b" in links
    assert cluster.iri[len(BASE) :] in links
    # the twin's page lists this one
    twin_page = check_html(httpx.get(live.url + twin[len(BASE) :]).text)
    assert record[len(BASE) :] in {attrs.get("href") for tag, attrs in twin_page.tags if tag == "a"}


def test_the_record_rdf_states_its_cluster_and_json_ld_states_exactly_the_same(
    hub: Hub, twins: tuple[str, str], live: LiveServer
) -> None:
    record, twin = twins
    path = record[len(BASE) :]
    turtle = parse(httpx.get(live.url + path, params={"format": "turtle"}).content, ox.RdfFormat.TURTLE)
    document = httpx.get(live.url + path, params={"format": "jsonld"}).json()
    assert jsonld_triples(document) == turtle == record_triples(record_view(hub, record))
    cluster = clusters.cluster_of(hub, record)
    assert cluster is not None
    node = ox.NamedNode(cluster.iri)
    assert ox.Triple(ox.NamedNode(record), ox.NamedNode(HUB + "inCluster"), node) in turtle
    assert ox.Triple(ox.NamedNode(twin), ox.NamedNode(HUB + "inCluster"), node) in turtle
    provider = ox.NamedNode(source_iri(BASE, "zen-b"))
    assert ox.Triple(provider, ox.NamedNode(SCHEMA + "name"), ox.Literal("zen-b")) in turtle
    assert document["hub:inCluster"]["@reverse"]["hub:inCluster"][0]["id"] == twin


def test_the_cluster_iri_dereferences(hub: Hub, twins: tuple[str, str], live: LiveServer) -> None:
    record, twin = twins
    cluster = clusters.cluster_of(hub, record)
    assert cluster is not None
    path = cluster.iri[len(BASE) :]
    page = httpx.get(live.url + path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["vary"] == "Accept"
    structure = check_html(page.text)
    links = {attrs.get("href") for tag, attrs in structure.tags if tag == "a"}
    assert {record[len(BASE) :], twin[len(BASE) :], "/sources/zen-a", "/sources/zen-b"} <= links
    text = " ".join(structure.text)
    assert all(key in text for key in cluster.keys)

    turtle = parse(httpx.get(live.url + path, headers={"Accept": "text/turtle"}).content, ox.RdfFormat.TURTLE)
    document = httpx.get(live.url + path, headers={"Accept": "application/ld+json"}).json()
    assert jsonld_triples(document) == turtle == set(cluster.triples)
    two = ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    assert ox.Triple(ox.NamedNode(cluster.iri), ox.NamedNode(clusters.MEMBER_COUNT), two) in turtle
    assert {t.subject.value for t in turtle if t.predicate.value == HUB + "inCluster"} == {record, twin}

    assert httpx.get(live.url + "/clusters/0123456789abcdef").status_code == 404
    assert httpx.get(live.url + "/clusters/..%2Fsparql").status_code == 404
    # a dissolved cluster is gone from the web too
    drop(hub, twin)
    clusters.refresh(hub, "zen-b")
    assert httpx.get(live.url + path).status_code == 404
    assert "The same resource in other sources" not in httpx.get(live.url + record[len(BASE) :]).text


def test_the_docs_example_query_runs(hub: Hub) -> None:
    """docs/clusters.md's query, read from the file, finds the members of a cluster and their sources."""
    clusters.rebuild(hub)
    a, b = put(hub, "a", "1", url="https://oer.edu/1"), put(hub, "b", "1", url="https://oer.edu/1")
    clusters.refresh(hub, "a")
    clusters.refresh(hub, "b")
    text = (Path(__file__).parents[1] / "docs" / "clusters.md").read_text(encoding="utf-8")
    query = text.split("```sparql\n", 1)[1].split("```", 1)[0]
    rows = hub.store.select(query)
    assert {(row["record"], row["source"]) for row in rows} == {(a, source_iri(BASE, "a")), (b, source_iri(BASE, "b"))}


def test_the_cli_harvest_links_and_sources_remove_dissolves(tmp_path, replay: ReplayServer, capsys) -> None:  # type: ignore[no-untyped-def]
    """The wiring: `eduhub harvest` refreshes the clusters, `eduhub sources remove` dissolves the
    removed source's, and `eduhub clusters --rebuild` finds the same."""
    from exchange.cli import main

    data = ["--data", str(tmp_path / "hub"), "--base", BASE]
    for name in ("zen-a", "zen-b"):
        assert main(["sources", "add", name, replay.url("zenodo"), "--metadata-prefix", "oai_dc", *data]) == 0
    assert main(["harvest", "zen-a", "zen-b", *data]) == 0
    capsys.readouterr()
    assert main(["clusters", "--json", *data]) == 0
    assert json.loads(capsys.readouterr().out) == {"clusters": 8, "records": 16}
    assert main(["sources", "remove", "zen-b", *data]) == 0
    capsys.readouterr()
    assert main(["clusters", "--rebuild", "--json", *data]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["clusters"], result["records"], result["rebuild"]["created"]) == (0, 0, 0)
