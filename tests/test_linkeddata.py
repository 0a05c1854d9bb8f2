"""Linked data over real HTTP: records, concepts, schemes and sources dereference with content
negotiation; VoID and DCAT describe the dataset with the store's own counts; the JSON-LD context
and schema files are served, and nothing else of the disk is.

The hub is filled by harvesting recorded real feeds from the replay server: MIT DSpace (the demo
feed, whose OAI identifiers hold ``:`` and ``/``), Edurep (harvested twice: the delta page deletes
records, so tombstones exist) and Zenodo. Every RDF representation is parsed back with pyoxigraph
and compared with what the store holds; JSON-LD is expanded with pyld through a document loader
that serves only the hub context from schemas/ and refuses every other URL.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from lxml import etree
from pyld import jsonld

from exchange import linkeddata as ld
from exchange import reports, writers
from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.demo.run import FEEDS as DEMO_FEEDS
from exchange.hub import Hub
from exchange.model import record_from_triples, record_iri, source_iri, to_ntriples
from exchange.pipeline import harvest
from exchange.resources import data_dir, schema_path
from tests.conftest import OAI_FEEDS, LiveServer

BASE = "http://hub.test"
SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
HUB = "https://w3id.org/eduhub/ns#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: a real MIT DSpace identifier: ':' stays readable in the IRI, '/' is %2F
MIT_ID = "oai:dspace.mit.edu:1721.1/140683"
MIT = record_iri(BASE, "mit", MIT_ID)
HOSTILE_TITLE = '<script>alert("owned")</script> & <b>bold</b>'
PARSERS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Live, str]]:
    """(hub, server, the record whose title and url were made hostile)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("ld") / "hub", base=BASE)
    feeds = [DEMO_FEEDS / "mit-ems", OAI_FEEDS / "edurep", OAI_FEEDS / "zenodo"]
    with ReplayServer(feeds) as replay, Hub.open(settings) as hub:
        for name, feed, prefix in (
            ("mit", "mit-ems", None),
            ("edurep", "edurep", None),
            ("zenodo", "zenodo", "oai_dc"),
        ):
            hub.state.add_source(name, replay.url(feed), prefix)
            assert harvest(hub, name).status == "ok"
        assert harvest(hub, "edurep").status == "ok"  # the delta: deletes records
        hostile = hub.store.graphs(record_iri(BASE, "zenodo", ""))[0]
        # SYNTHETIC: a real harvested record whose title and landing URL are rewritten to hostile values
        hub.store.update(
            f"""DELETE {{ GRAPH <{hostile}> {{ <{hostile}> <{SCHEMA}name> ?t . <{hostile}> <{SCHEMA}url> ?u }} }}
INSERT {{ GRAPH <{hostile}> {{ <{hostile}> <{SCHEMA}name> {json.dumps(HOSTILE_TITLE)}@en .
  <{hostile}> <{SCHEMA}url> <javascript:alert(1)> }} }}
WHERE {{ GRAPH <{hostile}> {{ <{hostile}> <{SCHEMA}name> ?t OPTIONAL {{ <{hostile}> <{SCHEMA}url> ?u }} }} }}"""
        )
        ld.CACHE.clear()
        with LiveServer(hub) as server, httpx.Client(timeout=30) as client:
            yield hub, Live(server.url, server.port, client), hostile


# ---------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Live:
    """The served hub and one HTTP client for all requests (a client per request costs 40 ms)."""

    url: str
    port: int
    client: httpx.Client


def local_context() -> dict[str, Any]:
    return json.loads(schema_path("hub-context.jsonld").read_text(encoding="utf-8"))


class Loader:
    """A pyld document loader that serves the hub context from schemas/ and refuses everything else."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        self.asked.append(url)
        if url != ld.HUB_CONTEXT:
            raise jsonld.JsonLdError(f"refusing to fetch {url}", "loading remote context failed")
        return {"contextUrl": None, "documentUrl": url, "document": local_context()}


def jsonld_triples(document: Any) -> set[ox.Triple]:
    loader = Loader()
    nquads = jsonld.to_rdf(document, {"documentLoader": loader, "format": "application/n-quads"})
    assert set(loader.asked) <= {ld.HUB_CONTEXT}
    return {quad.triple for quad in ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS)}


def parse(data: bytes, fmt: ox.RdfFormat) -> set[ox.Triple]:
    """Triples (pyoxigraph parses into quads of the default graph)."""
    return {quad.triple for quad in ox.parse(data, format=fmt)}


def fetch(live: Live, path: str, fmt: str | None = None, accept: str | None = None) -> httpx.Response:
    headers = {"Accept": accept} if accept is not None else {}
    params = {"format": fmt} if fmt else None
    return live.client.get(f"{live.url}{path}", params=params, headers=headers)


def graph_of(live: Live, path: str) -> dict[str, set[ox.Triple]]:
    """Every RDF representation of ``path``, parsed: format → triples."""
    graphs = {}
    for name, fmt in PARSERS.items():
        response = fetch(live, path, name)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == ld.MEDIA_TYPES[name]
        graphs[name] = parse(response.content, fmt)
    response = fetch(live, path, "jsonld")
    assert response.headers["content-type"] == "application/ld+json"
    graphs["jsonld"] = jsonld_triples(response.json())
    return graphs


def path_of(iri: str) -> str:
    assert iri.startswith(BASE)
    return iri[len(BASE) :]


def construct(hub: Hub, query: str) -> set[ox.Triple]:
    return parse(hub.store.query(query, graph_format="application/n-triples").body, ox.RdfFormat.N_TRIPLES)


def sparql(live: Live, query: str) -> list[dict[str, str]]:
    """SELECT rows through /sparql, as any client would ask."""
    response = live.client.get(
        f"{live.url}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    response.raise_for_status()
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def count(live: Live, query: str) -> int:
    return int(sparql(live, query)[0]["n"])


def expected_record(hub: Hub, iri: str) -> set[ox.Triple]:
    """What a record's RDF must state, from the store: its graph, its assessments (SPARQL over the
    assessments graph), its provider's name (the sources graph) and the type of linked concepts."""
    graph = set(hub.store.triples([iri])[iri])
    source = reports.source_of(BASE, iri)
    assessments = construct(
        hub,
        f"CONSTRUCT {{ <{iri}> <{HUB}assessment> ?a . ?a ?p ?o }} WHERE {{ GRAPH <{BASE}/assessments/{source}> "
        f"{{ <{iri}> <{HUB}assessment> ?a . ?a ?p ?o }} }}",
    )
    providers = construct(
        hub,
        f"CONSTRUCT {{ ?s <{SCHEMA}name> ?n }} WHERE {{ GRAPH <{iri}> {{ ?page <{SCHEMA}provider> ?s }} "
        f"GRAPH <{BASE}/sources> {{ ?s <{SCHEMA}name> ?n }} }}",
    )
    concept_links = {f"{SCHEMA}{k}" for k in ("learningResourceType", "educationalLevel", "about", "audience")}
    concept_links |= {
        f"{SCHEMA}{k}"
        for k in (
            "interactivityType",
            "educationalUse",
            "conditionsOfAccess",
            "accessMode",
            "accessibilityFeature",
            "accessibilityHazard",
            "accessibilityControl",
            "accessibilityAPI",
        )
    } | {HUB + "qualityLabel"}
    positional = {t.subject for t in graph}
    types = {
        ox.Triple(t.object, ox.NamedNode(RDF_TYPE), ox.NamedNode(SKOS + "Concept"))
        for t in graph
        if t.predicate.value in concept_links and t.object not in positional
    }
    return graph | assessments | providers | types


class Structure(HTMLParser):
    """Checks that HTML nests: every non-void element closed in order, ids unique, no script."""

    VOID: ClassVar[set[str]] = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if "id" in dict(attrs):
            self.ids.append(dict(attrs)["id"] or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(text: str) -> Structure:
    assert text.startswith("<!doctype html>")
    parser = Structure()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], parser.stack
    assert len(parser.ids) == len(set(parser.ids))
    tags = [tag for tag, _ in parser.tags]
    assert tags[0] == "html" and parser.tags[0][1].get("lang") == "en"
    assert tags.count("h1") == 1 and tags.count("title") == 1 and tags.count("main") == 1
    assert "script" not in tags
    return parser


# ---------------------------------------------------------------------- records


def test_a_record_iri_with_colons_and_an_encoded_slash_dereferences(served: tuple[Hub, Live, str]) -> None:
    hub, live, _ = served
    assert f"{BASE}/resources/mit/oai:dspace.mit.edu:1721.1%2F140683" == MIT
    assert hub.store.has_graph(MIT)
    for spelling in (
        "/resources/mit/oai:dspace.mit.edu:1721.1%2F140683",  # the IRI's own path
        "/resources/mit/oai%3Adspace.mit.edu%3A1721.1%2f140683",  # every reserved character encoded
    ):
        response = fetch(live, spelling, "ntriples")
        assert response.status_code == 200, spelling
        assert parse(response.content, ox.RdfFormat.N_TRIPLES) == expected_record(hub, MIT)


def test_every_rdf_format_of_every_record_states_the_record(served: tuple[Hub, Live, str]) -> None:
    """Turtle, N-Triples, RDF/XML and the expanded JSON-LD of each record are one graph: the store's."""
    hub, live, _ = served
    records = [g for g in hub.store.graphs(f"{BASE}/resources/")]
    assert len(records) > 60
    for iri in records:
        graphs = graph_of(live, path_of(iri))
        want = expected_record(hub, iri)
        for name, got in graphs.items():
            assert got == want, f"{iri} as {name}: missing {list(want - got)[:3]}, extra {list(got - want)[:3]}"


def test_turtle_uses_readable_prefixes(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    text = fetch(live, path_of(MIT), accept="text/turtle").text
    assert "@prefix schema: <http://schema.org/> ." in text
    assert "@prefix hub: <https://w3id.org/eduhub/ns#> ." in text
    assert "schema:name" in text and "@prefix dcat:" not in text  # only prefixes the graph uses


def test_record_json_ld_is_the_record_under_the_hub_context_with_its_assessments(
    served: tuple[Hub, Live, str],
) -> None:
    hub, live, _ = served
    document = fetch(live, path_of(MIT), accept="application/ld+json").json()
    assert document["@context"] == "https://w3id.org/eduhub/context.jsonld"
    record = record_from_triples(MIT, hub.store.triples([MIT])[MIT], {source_iri(BASE, "mit"): "mit"})
    assert document["id"] == MIT and document["type"] == record["type"] == ["LearningResource"]
    assert document["name"] == record["name"]
    assert document["dateCreated"] == {"@value": "1979-07", "@type": "http://www.w3.org/2001/XMLSchema#gYearMonth"}
    # an agent without an IRI of its own gets the node IRI its graph gives it
    assert document["creator"] == [{"id": f"{MIT}#creator-1", **record["creator"][0]}]
    explained = reports.assessments(hub.store, BASE, MIT)["assessments"]
    assert {a["id"] for a in document["hub:assessment"]} == {
        t.object.value for t in expected_record(hub, MIT) if t.predicate.value == HUB + "assessment"
    }
    assert len(document["hub:assessment"]) == len(explained) > 0
    assert all(a["type"] == ["hub:Assessment"] for a in document["hub:assessment"])


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (None, "html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),  # a browser
        ("*/*", "html"),
        ("text/turtle", "turtle"),
        ("application/ld+json;q=0.5, text/turtle;q=0.9", "turtle"),
        ("text/html;q=0.1, application/rdf+xml", "rdfxml"),
        ("application/n-triples, text/turtle", "ntriples"),  # equal q: the client's order
        ("text/turtle;q=0.5, */*;q=0.6", "html"),
        ("text/html;q=0, */*;q=0.5", "jsonld"),  # html refused by name, the rest in the hub's order
        ("text/*;q=0.3, application/ld+json;q=0.2", "html"),
        ("application/json", "jsonld"),
        ("application/rdf+xml;q=0.8, application/ld+json;q=0.8;foo=bar", "rdfxml"),
    ],
)
def test_accept_with_q_values_picks_the_representation(
    served: tuple[Hub, Live, str], accept: str | None, fmt: str
) -> None:
    _, live, _ = served
    response = fetch(live, path_of(MIT), accept=accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == ld.MEDIA_TYPES[fmt]
    assert response.headers["vary"] == "Accept"
    assert 'rel="alternate"' in response.headers["link"]


def test_the_format_parameter_wins_over_accept(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    response = fetch(live, path_of(MIT), "turtle", accept="text/html")
    assert response.headers["content-type"].startswith("text/turtle")
    for alias, fmt in (("ttl", "turtle"), ("nt", "ntriples"), ("text/turtle", "turtle")):
        assert fetch(live, path_of(MIT), alias).headers["content-type"].split(";")[0] == ld.MEDIA_TYPES[fmt]


@pytest.mark.parametrize("prefix", ["lom", "oai_dc", "eduhub"])
def test_record_as_xml_metadata_formats(served: tuple[Hub, Live, str], prefix: str) -> None:
    hub, live, _ = served
    response = fetch(live, path_of(MIT), prefix, accept="text/html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    root = etree.fromstring(response.content)
    record = record_from_triples(MIT, hub.store.triples([MIT])[MIT], {source_iri(BASE, "mit"): "mit"})
    expected = writers.write(prefix, record)
    assert root.tag == expected.tag and etree.QName(root).namespace == writers.get(prefix).namespace
    assert etree.tostring(root, method="c14n") == etree.tostring(expected, method="c14n")


def error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()["error"]
    assert body["status"] == status and body["code"] == code and body["message"]


def test_record_errors(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    error(fetch(live, path_of(MIT), "pdf"), 400, "bad-parameter")
    error(fetch(live, path_of(MIT), accept="image/png, application/xml"), 406, "not-acceptable")
    error(fetch(live, path_of(MIT), accept="text/html;q=0, application/ld+json;q=0"), 406, "not-acceptable")
    assert fetch(live, path_of(MIT), accept="image/png").headers["vary"] == "Accept"
    error(fetch(live, "/resources/mit/oai:dspace.mit.edu:1721.1%2F999999999"), 404, "not-found")
    error(fetch(live, "/resources/nosuchsource/x"), 404, "not-found")
    error(fetch(live, "/resources/mit"), 404, "not-found")
    error(fetch(live, "/resources/mit/"), 404, "not-found")
    # an unknown record is a 404 whatever format was asked for
    error(fetch(live, "/resources/mit/nothing-here", accept="image/png"), 404, "not-found")


def test_a_deleted_record_is_gone(served: tuple[Hub, Live, str]) -> None:
    hub, live, _ = served
    rows = hub.publication.db.execute("SELECT item FROM oai_items WHERE deleted = 1").fetchall()
    assert rows, "the Edurep delta deletes records"
    for (item,) in rows:
        iri = f"{BASE}/resources/{item}"
        assert not hub.store.has_graph(iri) and hub.publication.get(item).deleted
        for fmt in (None, "turtle"):
            response = fetch(live, path_of(iri), fmt)
            error(response, 410, "gone")
            assert response.headers["vary"] == "Accept"


def test_head_answers_like_get_without_a_body(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    response = live.client.head(f"{live.url}{path_of(MIT)}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    assert response.content == b""


def test_record_page_is_html_that_explains_the_record(served: tuple[Hub, Live, str]) -> None:
    hub, live, _ = served
    edurep = hub.store.graphs(record_iri(BASE, "edurep", ""))
    for iri in [MIT, *edurep]:
        response = fetch(live, path_of(iri), accept="text/html")
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        page = check_html(response.text)
        record = record_from_triples(iri, hub.store.triples([iri])[iri])
        text = " ".join(page.text)
        for name in record["name"].values():
            assert name in text
        [h1] = [attrs for tag, attrs in page.tags if tag == "h1"]
        assert h1["lang"] in {"" if language == "@none" else language for language in record["name"]}
        for description in record.get("description", {}).values():
            assert description in text
        for agent in record.get("creator", []):
            assert agent["name"] in text
        # the assessments, explained: rule label, result label, evidence
        for assessment in reports.assessments(hub.store, BASE, iri)["assessments"]:
            assert assessment["tag"]["label"] in text and assessment["rule"]["label"] in text
            assert assessment.get("evidence", "") in text
            href = "/vocab/" + assessment["tag"]["id"].removeprefix(ld.VOCAB)
            assert ("a", {"href": href}) in page.tags
        for fmt in (*ld.PAGE_FORMATS, *ld.XML_FORMATS):
            assert ("a", {"href": f"?format={fmt}"}) in page.tags
        assert ("a", {"href": "/sources/" + reports.source_of(BASE, iri)}) in page.tags
    # concepts link to their hub page, labelled
    page = check_html(fetch(live, path_of(edurep[0])).text)
    assert any(tag == "a" and (attrs.get("href") or "").startswith("/vocab/") for tag, attrs in page.tags)


def test_harvested_text_is_shown_as_text(served: tuple[Hub, Live, str]) -> None:
    _, live, hostile = served
    response = fetch(live, path_of(hostile))
    assert response.status_code == 200
    page = check_html(response.text)
    assert "<script" not in response.text and "<b>" not in response.text
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in response.text
    assert HOSTILE_TITLE in page.text  # read back as text
    assert ("h1", {"lang": "en"}) in page.tags
    assert not any("javascript:" in (attrs.get("href") or "") for _, attrs in page.tags)
    assert "javascript:alert(1)" in " ".join(page.text)  # shown, not linked
    # the other formats carry the title unharmed
    assert HOSTILE_TITLE in fetch(live, path_of(hostile), "jsonld").json()["name"].values()


# ---------------------------------------------------------------------- vocabularies


def test_a_concept_dereferences_with_labels_hierarchy_mappings_and_use(served: tuple[Hub, Live, str]) -> None:
    hub, live, _ = served
    iri = "https://w3id.org/eduhub/vocab/isced-f/054"
    graphs = graph_of(live, "/vocab/isced-f/054")
    graph_values = " ".join(f"<{g}>" for g in ld.vocabulary_graphs(hub))
    own = construct(
        hub, f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ VALUES ?g {{ {graph_values} }} GRAPH ?g {{ <{iri}> ?p ?o }} }}"
    )
    into = construct(
        hub,
        f"CONSTRUCT {{ ?s ?p <{iri}> }} WHERE {{ VALUES ?g {{ {graph_values} }} GRAPH ?g {{ ?s ?p <{iri}> }} "
        f"FILTER(STRSTARTS(STR(?p), '{SKOS}')) }}",
    )
    for name, got in graphs.items():
        assert got == own | into, name
    labels = {t.object.language for t in own if t.predicate.value == SKOS + "prefLabel"}
    assert {"en", "de", "fr", "es", "nl", "sv", "fi"} <= labels
    assert ox.Triple(ox.NamedNode(iri), ox.NamedNode(SKOS + "broader"), ox.NamedNode(ld.VOCAB + "isced-f/05")) in own
    mapped_in = {t for t in into if t.predicate.value.endswith("Match")}
    assert mapped_in, "other schemes map onto ISCED-F 054"
    page = check_html(fetch(live, "/vocab/isced-f/054").text)
    text = " ".join(page.text)
    used = count(
        live,
        f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ {{ ?r ?p <{iri}> }} UNION "
        f"{{ ?r <{HUB}assessment>/<{HUB}result> <{iri}> }} ?r a <{SCHEMA}LearningResource> }}",
    )
    assert f"{used} record" in text
    assert ("h1", {"lang": "en"}) in page.tags and "Mathematics and statistics" in text
    assert ("dd", {"lang": "fi"}) in page.tags and "Matematiikka ja tilastotiede" in text
    assert ("a", {"href": "/vocab/isced-f/05"}) in page.tags  # broader
    for triple in mapped_in:  # mappings into the concept are listed
        assert triple.subject.value in text


def test_a_tag_concept_counts_the_records_assessed_with_it(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    iri = ld.VOCAB + "tags/accessibility-metadata/none"
    used = count(
        live,
        f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r <{HUB}assessment> ?a . ?a <{HUB}result> <{iri}> }}",
    )
    assert used > 0
    page = check_html(fetch(live, "/vocab/tags/accessibility-metadata/none").text)
    assert f"{used} records" in " ".join(page.text)


def test_a_scheme_dereferences_with_title_licence_creator_and_top_concepts(
    served: tuple[Hub, Live, str],
) -> None:
    _, live, _ = served
    scheme = ld.VOCAB + "isced-f/"
    graphs = graph_of(live, "/vocab/isced-f/")
    assert len({frozenset(g) for g in graphs.values()}) == 1
    graph = graphs["turtle"]
    about = {(t.predicate.value, t.object) for t in graph if t.subject.value == scheme}
    assert (RDF_TYPE, ox.NamedNode(SKOS + "ConceptScheme")) in about
    assert (DCT + "license", ox.NamedNode("https://creativecommons.org/publicdomain/zero/1.0/")) in about
    assert (DCT + "creator", ox.Literal("EduHub Exchange")) in about
    assert (
        DCT + "title",
        ox.Literal("ISCED Fields of Education and Training 2013 (ISCED-F 2013)", language="en"),
    ) in about
    top = {o.value for p, o in about if p == SKOS + "hasTopConcept"}
    assert len(top) == 11
    page = check_html(fetch(live, "/vocab/isced-f/").text)
    text = " ".join(page.text)
    assert "ISCED Fields of Education and Training 2013" in text and "EduHub Exchange" in text
    for concept in top:
        assert ("a", {"href": "/vocab/" + concept.removeprefix(ld.VOCAB), "lang": "en"}) in page.tags
    # without its trailing slash, the scheme's path redirects to it
    response = live.client.get(f"{live.url}/vocab/isced-f?format=turtle", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/vocab/isced-f/?format=turtle"


def test_the_vocab_root_lists_the_hubs_schemes(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    schemes = {
        row["s"]
        for row in sparql(
            live,
            f"SELECT DISTINCT ?s WHERE {{ ?s a <{SKOS}ConceptScheme> FILTER(STRSTARTS(STR(?s), '{ld.VOCAB}')) }}",
        )
    }
    assert ld.VOCAB + "tags/quality-tier/" in schemes and ld.VOCAB + "isced-f/" in schemes
    graphs = graph_of(live, "/vocab/")
    assert len({frozenset(g) for g in graphs.values()}) == 1
    assert {t.subject.value for t in graphs["turtle"]} == schemes
    page = check_html(fetch(live, "/vocab/").text)
    hrefs = {attrs.get("href") for tag, attrs in page.tags if tag == "a"}
    assert {"/vocab/" + s.removeprefix(ld.VOCAB) for s in schemes} <= hrefs


def test_vocab_errors(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    error(fetch(live, "/vocab/isced-f/999"), 404, "not-found")
    error(fetch(live, "/vocab/nothing/at/all", "turtle"), 404, "not-found")
    error(fetch(live, "/vocab/isced-f/054", "lom"), 406, "not-acceptable")
    error(fetch(live, "/vocab/isced-f/054", "yaml"), 400, "bad-parameter")
    error(fetch(live, "/vocab/isced-f/054", accept="application/xml"), 406, "not-acceptable")
    # a path that would end the IRI in a query is refused, not run
    error(fetch(live, "/vocab/isced-f/054%3E%20%3Fp%20%3Fo%20%7D"), 404, "not-found")
    error(fetch(live, "/resources/mit/x%3E%20%7D"), 404, "not-found")
    # only the hub's own IRIs: a shipped scheme of someone else's namespace is not served here
    error(fetch(live, "/vocab/" + quote("https://w3id.org/kim/hcrt/video", safe="")), 404, "not-found")


@pytest.mark.parametrize(
    "path",
    [
        "/vocab/M%F3%99%AC%82BT%C2%9Fj",  # found by tests/test_fuzz_api.py: decoded, a private-use code point and C1
        "/vocab/isced-f/%C2%85",  # NEL: no IRI character, though not in the old list of forbidden ones
        "/vocab/isced-f/%EF%BF%BE",  # U+FFFE
    ],
)
def test_vocab_paths_that_decode_to_no_iri_are_404_not_500(served: tuple[Hub, Live, str], path: str) -> None:
    """The store refused these IRIs with ValueError (a 500); now they are no concept."""
    _, live, _ = served
    error(fetch(live, path), 404, "not-found")


def test_record_assessments_over_http_take_the_path_as_the_record_iri_does(served: tuple[Hub, Live, str]) -> None:
    """``/api/resources/{…}/assessments`` reads the raw path like ``/resources/``: MIT's ``%2F`` stays
    in the local id (it was decoded and split it: a 404 for a real record), and a path decoding to
    no IRI is a 404 (found by tests/test_fuzz_api.py: a 500 from the store)."""
    hub, live, _ = served
    response = live.client.get(f"{live.url}/api{path_of(MIT)}/assessments")
    assert response.status_code == 200, response.text
    assert response.json() == reports.assessments(hub.store, BASE, MIT)
    assert response.json()["assessments"]
    error(live.client.get(f"{live.url}/api/resources/M%F3%99%AC%82BT%C2%9Fj/assessments"), 404, "not-found")
    error(live.client.get(f"{live.url}/api/resources/mit/%C2%9F/assessments"), 404, "not-found")
    error(live.client.get(f"{live.url}/api/resources/mit/assessments"), 404, "not-found")


# ---------------------------------------------------------------------- sources


def test_a_source_dereferences_with_its_record_count(served: tuple[Hub, Live, str]) -> None:
    hub, live, _ = served
    node = source_iri(BASE, "mit")
    graphs = graph_of(live, "/sources/mit")
    assert len({frozenset(g) for g in graphs.values()}) == 1
    graph = graphs["turtle"]
    in_store = {t for t in hub.store.triples([hub.sources_graph])[hub.sources_graph] if t.subject.value == node}
    assert in_store and in_store <= graph
    records = count(
        live,
        f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r a <{SCHEMA}LearningResource> "
        f"FILTER(STRSTARTS(STR(?r), '{BASE}/resources/mit/')) }}",
    )
    assert records == 58
    dataset = ox.NamedNode(f"{node}#records")
    assert (
        ox.Triple(
            dataset,
            ox.NamedNode(VOID + "entities"),
            ox.Literal(str(records), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        )
        in graph
    )
    page = check_html(fetch(live, "/sources/mit").text)
    text = " ".join(page.text)
    assert "Source mit" in text and str(records) in text
    # records name the source as provider: that IRI dereferences
    provider = next(t.object.value for t in hub.store.triples([MIT])[MIT] if t.predicate.value == SCHEMA + "provider")
    assert fetch(live, path_of(provider), "turtle").status_code == 200
    error(fetch(live, "/sources/nosuch"), 404, "not-found")


# ---------------------------------------------------------------------- context and schemas


def test_the_context_and_schema_files_are_served(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    context = schema_path("hub-context.jsonld").read_bytes()
    for path in ("/context.jsonld", "/ns/context.jsonld", "/schemas/hub-context.jsonld"):
        response = live.client.get(f"{live.url}{path}")
        assert response.status_code == 200 and response.content == context
        assert response.headers["content-type"] == "application/ld+json"
        assert response.headers["access-control-allow-origin"] == "*"
    xsd = live.client.get(f"{live.url}/schemas/eduhub-native.xsd")
    assert xsd.content == schema_path("eduhub-native.xsd").read_bytes()
    assert xsd.headers["content-type"] == "application/xml"
    assert writers.get("eduhub").schema.endswith("/schemas/eduhub-native.xsd")
    schema = live.client.get(f"{live.url}/schemas/hub-record.schema.json")
    assert schema.json() == json.loads(schema_path("hub-record.schema.json").read_text(encoding="utf-8"))
    assert sorted(ld.schema_files()) == sorted(p.name for p in data_dir("schemas").iterdir() if p.is_file())


@pytest.mark.parametrize(
    "path",
    [
        "/schemas/../pyproject.toml",
        "/schemas/..%2Fpyproject.toml",
        "/schemas/%2e%2e%2fpyproject.toml",
        "/schemas/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/schemas/..",
        "/schemas/%2e%2e",
        "/schemas/.",
        "/schemas/..%5cpyproject.toml",
        "/schemas/%2Fetc%2Fpasswd",
        "/schemas//etc/passwd",
        "/schemas/hub-context.jsonld%00",
        "/schemas/hub-context.jsonld/..",
    ],
)
def test_schema_paths_never_leave_the_schemas_folder(served: tuple[Hub, Live, str], path: str) -> None:
    """Sent byte for byte (http.client does not normalize ``..``), every one is refused."""
    _, live, _ = served
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 404, (path, response.status, body[:200])
    assert b"[project]" not in body and b"root:" not in body
    assert json.loads(body)["error"]["code"] == "not-found"


# ---------------------------------------------------------------------- VoID and DCAT


def integer(graph: set[ox.Triple], subject: str, predicate: str) -> int:
    [value] = [t.object.value for t in graph if t.subject.value == subject and t.predicate.value == predicate]
    return int(value)


def objects(graph: set[ox.Triple], subject: str, predicate: str) -> set[str]:
    return {t.object.value for t in graph if t.subject.value == subject and t.predicate.value == predicate}


def test_void_describes_the_dataset_with_the_stores_counts(served: tuple[Hub, Live, str]) -> None:
    hub, live, _ = served
    response = live.client.get(f"{live.url}/.well-known/void")
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"  # Turtle by default
    assert response.headers["vary"] == "Accept"
    assert (
        live.client.get(f"{live.url}/.well-known/void", headers={"Accept": "*/*;q=0.8"})
        .headers["content-type"]
        .startswith("text/turtle")
    )
    graphs = graph_of(live, "/.well-known/void")
    assert len({frozenset(g) for g in graphs.values()}) == 1
    graph = graphs["turtle"]
    dataset = f"{BASE}/.well-known/void#dataset"
    assert ox.NamedNode(VOID + "Dataset") in {t.object for t in graph if t.subject.value == dataset}
    assert objects(graph, dataset, DCT + "title") == {hub.settings.name}
    assert objects(graph, dataset, VOID + "sparqlEndpoint") == {f"{BASE}/sparql"}
    assert objects(graph, dataset, VOID + "uriSpace") == {f"{BASE}/resources/"}
    assert objects(graph, dataset, VOID + "dataDump") == {f"{BASE}/dumps/all.nq.gz"}
    assert {SCHEMA, SKOS, HUB} <= objects(graph, dataset, VOID + "vocabulary")
    statements = count(live, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    records = count(live, f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r a <{SCHEMA}LearningResource> }}")
    assert integer(graph, dataset, VOID + "triples") == statements > records
    assert integer(graph, dataset, VOID + "entities") == records
    subsets = objects(graph, dataset, VOID + "subset")
    assert subsets == {f"{source_iri(BASE, name)}#records" for name in ("mit", "edurep", "zenodo")}
    for name in ("mit", "edurep", "zenodo"):
        per_source = count(
            live,
            f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r a <{SCHEMA}LearningResource> "
            f"FILTER(STRSTARTS(STR(?r), '{BASE}/resources/{name}/')) }}",
        )
        assert integer(graph, f"{source_iri(BASE, name)}#records", VOID + "entities") == per_source > 0
    assert sum(integer(graph, s, VOID + "entities") for s in subsets) == records
    error(live.client.get(f"{live.url}/.well-known/void", headers={"Accept": "text/html"}), 406, "not-acceptable")


def test_the_dcat_catalog_lists_each_source_as_a_dataset(served: tuple[Hub, Live, str]) -> None:
    hub, live, _ = served
    assert live.client.get(f"{live.url}/catalog").headers["content-type"].startswith("text/turtle")
    graphs = graph_of(live, "/catalog")
    assert len({frozenset(g) for g in graphs.values()}) == 1
    graph = graphs["turtle"]
    catalog = f"{BASE}/catalog"
    assert ox.NamedNode(DCAT + "Catalog") in {t.object for t in graph if t.subject.value == catalog}
    datasets = objects(graph, catalog, DCAT + "dataset")
    for name in ("mit", "edurep", "zenodo"):
        dataset = f"{source_iri(BASE, name)}#records"
        assert dataset in datasets
        assert DCAT + "Dataset" in objects(graph, dataset, RDF_TYPE)
        [publisher] = objects(graph, dataset, DCT + "publisher")
        assert objects(graph, publisher, FOAF + "name") == {name}  # the registry knows no organisation yet
        rows = sparql(
            live,
            f"SELECT ?l (COUNT(?r) AS ?n) WHERE {{ ?r a <{SCHEMA}LearningResource> ; <{SCHEMA}license> ?l "
            f"FILTER(STRSTARTS(STR(?r), '{BASE}/resources/{name}/')) }} GROUP BY ?l ORDER BY DESC(?n) ?l LIMIT 1",
        )
        assert objects(graph, dataset, DCT + "license") == ({rows[0]["l"]} if rows else set())
        distributions = objects(graph, dataset, DCAT + "distribution")
        urls = {url for d in distributions for url in objects(graph, d, DCAT + "accessURL")}
        for fmt in writers.formats():
            assert f"{BASE}/oai?verb=ListRecords&metadataPrefix={fmt.prefix}&set=source:{name}" in urls
        downloads = {u for d in distributions for u in objects(graph, d, DCAT + "downloadURL")}
        assert downloads == {f"{BASE}/dumps/{name}.nq.gz"}
        dump = httpx.get(live.url + f"/dumps/{name}.nq.gz")  # the link is served (exchange/export.py)
        assert dump.status_code == 200 and dump.content[:2] == b"\x1f\x8b"
        per_source = count(
            live,
            f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r a <{SCHEMA}LearningResource> "
            f"FILTER(STRSTARTS(STR(?r), '{BASE}/resources/{name}/')) }}",
        )
        assert integer(graph, dataset, VOID + "entities") == per_source
    assert any(objects(graph, catalog, DCT + "title"))
    # the OAI-PMH distribution of a source really lists that source's records
    oai = live.client.get(
        f"{live.url}/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "source:mit"}
    )
    assert oai.status_code == 200 and b"oai:dspace.mit.edu:1721.1%2F140683" in oai.content
    assert hub.settings.admin_email in " ".join(objects(graph, f"{catalog}#publisher", FOAF + "mbox"))


def test_the_index_page_links_the_linked_data(served: tuple[Hub, Live, str]) -> None:
    _, live, _ = served
    text = live.client.get(f"{live.url}/").text
    for href in ("/vocab/", "/.well-known/void", "/catalog", "/context.jsonld"):
        assert f'href="{href}"' in text


def test_negotiation_unit_cases() -> None:
    """The rules of :func:`exchange.linkeddata.negotiate` that HTTP tests cannot isolate."""
    offered = ld.PAGE_FORMATS
    assert ld.negotiate("", None, offered) == "html"
    assert ld.negotiate("text/turtle;q=abc, application/ld+json;q=0.1", None, offered) == "jsonld"
    assert ld.negotiate("TEXT/TURTLE", None, offered) == "turtle"
    assert ld.negotiate("text/turtle;q=1.5", None, offered) == "turtle"
    assert ld.negotiate("garbage", None, offered) == "html"  # no media range at all: as if no Accept
    with pytest.raises(ld.NotAcceptable):
        ld.negotiate("image/*", None, offered)
    with pytest.raises(ld.UnknownFormat):
        ld.negotiate(None, "docx", offered)
    with pytest.raises(ld.NotAcceptable):
        ld.negotiate(None, "lom", offered)
    assert ld.negotiate(None, "lom", offered, ld.XML_FORMATS) == "lom"
    assert ld.resource_iri(BASE, "mit/oai:dspace.mit.edu:1721.1%2F140683") == MIT
    assert ld.resource_iri(BASE, "mit/oai%3Adspace.mit.edu%3A1721.1%2F140683") == MIT
    assert ld.resource_iri(BASE, "mit") is None and ld.resource_iri(BASE, "/x") is None


def test_local_links_stay_on_http() -> None:
    assert ld.local_href(BASE, "javascript:alert(1)") is None
    assert ld.local_href(BASE, "data:text/html,<b>") is None
    assert ld.local_href(BASE, f"{BASE}/sources/mit") == "/sources/mit"
    assert ld.local_href("https://x.org/hub", "https://x.org/hub/resources/a/b") == "/hub/resources/a/b"
    assert ld.local_href(BASE, ld.VOCAB + "isced-f/054") == "/vocab/isced-f/054"


def test_record_json_ld_of_every_golden_record_states_its_graph() -> None:
    """Offline, over the golden records of every crosswalk: the record JSON-LD the hub serves,
    expanded with the local context only, gives exactly the triples its RDF formats serve
    (typed dates and durations, contentSize, hub:qualityLabel, unmapped concepts, agents)."""
    golden = sorted(Path(__file__).parent.joinpath("fixtures", "golden").glob("*.json"))
    seen: set[str] = set()
    for path in golden:
        for result in json.loads(path.read_text(encoding="utf-8"))["records"].values():
            if "record" not in result:
                continue
            record = {k: v for k, v in result["record"].items() if k != "@context"}
            iri = record["id"]
            graph = parse("\n".join(to_ntriples(record)).encode("utf-8"), ox.RdfFormat.N_TRIPLES)
            view = ld.RecordView(iri, "golden", list(graph), record_from_triples(iri, graph), set())
            document = ld.record_jsonld(view)
            assert document["@context"] == ld.HUB_CONTEXT
            assert jsonld_triples(document) == ld.record_triples(view), f"{path.name}: {iri}"
            seen |= set(record)
    assert {"qualityLabel", "timeRequired", "contentSize", "datePublished", "creator", "learningResourceType"} <= seen
