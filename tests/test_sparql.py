"""/sparql over real HTTP (uvicorn on 127.0.0.1), per the SPARQL 1.1 Protocol."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import pytest

from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.pipeline import harvest
from exchange.sparql import QueryRefused, check_query, negotiate
from tests.conftest import LiveServer
from tests.test_harvest import feed_identifiers

COUNT = "SELECT (COUNT(?r) AS ?n) WHERE { ?r a <http://schema.org/LearningResource> }"
TITLES = "PREFIX schema: <http://schema.org/> SELECT ?r ?t WHERE { ?r a schema:LearningResource ; schema:name ?t }"
GRAPH = (
    "PREFIX schema: <http://schema.org/> "
    "CONSTRUCT { ?r schema:name ?t } WHERE { ?r a schema:LearningResource ; schema:name ?t }"
)


#: records in the two recorded TU Delft pages the endpoint is tested on
RECORDS = len(feed_identifiers("tudelft/page1.xml", "tudelft/page2_final.xml"))


@pytest.fixture
def served(hub: Hub, replay: ReplayServer) -> Iterator[str]:
    hub.state.add_source("tudelft", replay.url("tudelft"))
    assert harvest(hub, "tudelft").added == RECORDS
    with LiveServer(hub) as server:
        yield server.url


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message"}
    assert body["error"]["status"] == response.status_code
    return body["error"]


def test_get_post_form_and_direct_body_agree(served: str) -> None:
    answers = [
        httpx.get(f"{served}/sparql", params={"query": COUNT}),
        httpx.post(f"{served}/sparql", data={"query": COUNT}),
        httpx.post(f"{served}/sparql", content=COUNT, headers={"Content-Type": "application/sparql-query"}),
    ]
    for response in answers:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/sparql-results+json")
        assert response.json()["results"]["bindings"][0]["n"]["value"] == str(RECORDS)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/html;q=0.9, text/csv;q=0.5, application/sparql-results+xml;q=0.8", "application/sparql-results+xml"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_select_results_by_accept(served: str, accept: str, media: str) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": TITLES}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == ["r", "t"] and len(rows) == RECORDS + 1
    if media == "application/sparql-results+xml":
        root = ElementTree.fromstring(response.content)
        assert len(root.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == RECORDS


@pytest.mark.parametrize(
    ("name", "media", "rdf_format"),
    [
        ("turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("ntriples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("rdfxml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_construct_in_each_rdf_format(served: str, name: str, media: str, rdf_format: ox.RdfFormat) -> None:
    by_param = httpx.get(f"{served}/sparql", params={"query": GRAPH, "format": name})
    by_accept = httpx.get(f"{served}/sparql", params={"query": GRAPH}, headers={"Accept": media})
    for response in (by_param, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media
        triples = list(ox.parse(response.content, format=rdf_format))
        assert len(triples) == RECORDS


def test_format_parameter_for_select(served: str) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": COUNT, "format": "tsv"})
    assert response.text.splitlines() == ["?n", str(RECORDS)]  # TSV writes integers bare


def test_ask(served: str) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert response.json()["boolean"] is True


def test_default_graph_is_the_union_but_can_be_chosen(served: str) -> None:
    rows = httpx.get(f"{served}/sparql", params={"query": TITLES}).json()["results"]["bindings"]
    one = rows[0]["r"]["value"]
    response = httpx.get(f"{served}/sparql", params={"query": COUNT, "default-graph-uri": one})
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "1"
    named = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?r a <http://schema.org/LearningResource> } }"
    response = httpx.get(f"{served}/sparql", params={"query": named})
    assert response.json()["results"]["bindings"][0]["n"]["value"] == str(RECORDS)


def test_malformed_query_is_400_with_the_parsers_message(served: str) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": "SELECT ?x WHERE { ?x ?p }"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "malformed-query"
    assert "expected" in error["message"].lower() or "error" in error["message"].lower()


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"params": {"update": "DROP ALL"}},
        {"content": "DROP ALL", "headers": {"Content-Type": "application/sparql-update"}},
        {"data": {"update": "DROP ALL"}},
    ],
)
def test_updates_are_refused(served: str, request_kwargs: dict) -> None:
    method = httpx.get if "params" in request_kwargs else httpx.post
    response = method(f"{served}/sparql", **request_kwargs)
    assert response.status_code == 403
    assert error_of(response)["code"] == "update-not-allowed"
    assert httpx.get(f"{served}/sparql", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"] == str(
        RECORDS
    )


def test_update_sent_as_a_query_is_refused(served: str) -> None:
    query = "PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }"
    response = httpx.post(f"{served}/sparql", data={"query": query})
    assert response.status_code == 400
    assert error_of(response)["code"] == "update-not-allowed"


def test_service_is_refused_before_any_request(served: str) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = httpx.get(f"{served}/sparql", params={"query": query})
    assert response.status_code == 400
    assert error_of(response)["code"] == "service-not-allowed"


def test_service_description_without_query(served: str) -> None:
    response = httpx.get(f"{served}/sparql")
    assert response.status_code == 200
    triples = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    endpoints = [t.object.value for t in triples if t.predicate.value.endswith("#endpoint")]
    assert endpoints == [f"{served}/sparql"]


def test_unknown_format_and_bad_graph_are_400(served: str) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": COUNT, "format": "yaml"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad-parameter"
    response = httpx.get(f"{served}/sparql", params={"query": COUNT, "default-graph-uri": "not an iri"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad-parameter"


def test_unknown_path_uses_the_same_error_shape(served: str) -> None:
    response = httpx.get(f"{served}/nope")
    assert response.status_code == 404 and error_of(response)["code"] == "not-found"


def test_health_and_openapi(served: str) -> None:
    assert httpx.get(f"{served}/health").json() == {"status": "ok", "records": RECORDS}
    spec = httpx.get(f"{served}/openapi.json").json()
    assert {"get", "post"} <= set(spec["paths"]["/sparql"])
    assert json.dumps(spec["paths"]["/sparql"]["get"]).count("SERVICE") >= 1


# ---------------------------------------------------------------- query policy, no server


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x/> { }" }',
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
        "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:x ?o }",
        "SELECT ?service WHERE { ?service ?p ?o } # SERVICE in a comment",
        "SELECT ?delete WHERE { ?delete ?p ?o }",
        "PREFIX ex: <http://example.org/> SELECT ?insert WHERE { ?insert ex:p ?o }",
    ],
)
def test_policy_lets_harmless_queries_through(query: str) -> None:
    check_query(query)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT * { service <http://evil/> { ?s ?p ?o } }", "service-not-allowed"),
        ("SELECT * { SERVICE SILENT ?endpoint { ?s ?p ?o } }", "service-not-allowed"),
        ("PREFIX a: <x:> BASE <http://b/> DELETE WHERE { ?s ?p ?o }", "update-not-allowed"),
        ("CLEAR ALL", "update-not-allowed"),
        ("LOAD <http://example.org/data.ttl>", "update-not-allowed"),
    ],
)
def test_policy_refuses(query: str, code: str) -> None:
    with pytest.raises(QueryRefused) as caught:
        check_query(query)
    assert caught.value.code == code


def test_negotiation_defaults_and_parameter_precedence() -> None:
    assert negotiate(None, None).results_format == "application/sparql-results+json"
    assert negotiate(None, None).graph_format == "text/turtle"
    assert negotiate("text/csv", "xml").results_format == "application/sparql-results+xml"
    assert negotiate("application/json", None).results_format == "application/sparql-results+json"
    assert negotiate("text/plain", None).graph_format == "application/n-triples"


def test_shared_nodes_are_described_once_so_union_queries_do_not_repeat_rows(served: str) -> None:
    query = (
        "PREFIX schema: <http://schema.org/> SELECT ?r ?source WHERE { ?r a schema:LearningResource ; "
        "schema:mainEntityOfPage/schema:provider/schema:name ?source }"
    )
    rows = httpx.get(f"{served}/sparql", params={"query": query}).json()["results"]["bindings"]
    assert len(rows) == RECORDS  # no DISTINCT needed: one row per record
    assert {row["source"]["value"] for row in rows} == {"tudelft"}
    service = (
        "SELECT ?url WHERE { GRAPH <http://hub.test/sources> "
        "{ ?s a <http://schema.org/Service> ; <http://schema.org/url> ?url } }"
    )
    [row] = httpx.get(f"{served}/sparql", params={"query": service}).json()["results"]["bindings"]
    assert row["url"]["value"].endswith("/tudelft/oai")


def test_a_bug_answers_500_in_the_one_error_shape_without_details(hub: Hub) -> None:
    """Any exception no handler expects (a bug) still answers the API's JSON error shape, and its
    text (which may hold paths or data) stays in the server's log."""
    from fastapi.testclient import TestClient

    from exchange.api import create_app

    app = create_app(hub)

    def broken() -> None:
        raise RuntimeError("secret detail /var/lib/hub")

    app.add_api_route("/broken", broken)
    response = TestClient(app, raise_server_exceptions=False).get("/broken")
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal-error"
    assert "secret" not in response.text
