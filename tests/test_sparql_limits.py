"""/sparql survives its visitors: a time budget enforced by stopping the worker process, caps on
rows and bytes, a queue, fresh snapshots, and SERVICE only to named hubs (issue 10).

Over real HTTP (the hub's app under uvicorn on 127.0.0.1) on records harvested from the
recorded TU Delft pages; the serializers are compared with pyoxigraph's own."""

from __future__ import annotations

import csv
import io
import threading
import time
from pathlib import Path

import httpx
import psutil
import pyoxigraph as ox
import pytest

from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.pipeline import harvest
from exchange.sparql import QueryRefused, ServicePolicy, check_query, service_targets
from exchange.sparql_pool import QueryLimits
from exchange.sparql_run import Job, ResultTooLarge, run
from tests.conftest import BASE, Listener, LiveServer
from tests.test_sparql import COUNT, RECORDS, error_of

#: a cross product of every triple with itself four times: never finishes on any store here
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
EVERYTHING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


@pytest.fixture
def filled(hub: Hub, replay: ReplayServer) -> Hub:
    hub.state.add_source("tudelft", replay.url("tudelft"))
    assert harvest(hub, "tudelft").added == RECORDS
    return hub


def serve(hub: Hub, **limits: object) -> LiveServer:
    return LiveServer(hub, query_limits=QueryLimits(**limits), services=ServicePolicy())  # type: ignore[arg-type]


def count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def worker_pids(parent: int) -> set[int]:
    return {p.pid for p in psutil.Process(parent).children() if "python" in p.name().lower()}


def test_runaway_query_is_stopped_while_a_simple_one_is_answered(filled: Hub) -> None:
    with serve(filled, timeout=3, workers=2) as server:
        url = f"{server.url}/sparql"
        assert count(httpx.get(url, params={"query": COUNT})) == RECORDS  # one worker up
        before = worker_pids(psutil.Process().pid)
        finished: list[str] = []
        outcome: dict[str, httpx.Response] = {}

        def runaway() -> None:
            outcome["runaway"] = httpx.get(url, params={"query": CROSS}, timeout=60)
            finished.append("runaway")

        thread = threading.Thread(target=runaway)
        thread.start()
        busy = _wait_for_busy_worker(before)
        simple = httpx.get(url, params={"query": COUNT}, timeout=60)  # sent while the runaway runs
        finished.append("simple")
        thread.join(60)
        assert count(simple) == RECORDS
        assert finished == ["simple", "runaway"]
        response = outcome["runaway"]
        assert response.status_code == 503
        error = error_of(response)
        assert error["code"] == "query-timeout" and "3 s" in error["message"]
        assert not psutil.pid_exists(busy) or psutil.Process(busy).status() == psutil.STATUS_ZOMBIE
        # the pool is whole again: a replacement worker answers
        assert count(httpx.get(url, params={"query": COUNT}, timeout=60)) == RECORDS
        assert server.server.config.app.state.sparql.pool.killed == 1


def _wait_for_busy_worker(known: set[int]) -> int:
    """The pid of the worker process burning CPU on the runaway query."""
    for _ in range(200):
        for pid in worker_pids(psutil.Process().pid):
            if psutil.Process(pid).cpu_percent(interval=0.05) > 50:
                return pid
        time.sleep(0.05)
    raise AssertionError(f"no worker got busy (workers {known})")


def test_query_over_the_memory_cap_ends_its_worker_not_the_hub(filled: Hub) -> None:
    sort = "SELECT ?c WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"  # sorts every pair of triples
    # 1.5 GiB: room for a worker to start (RocksDB threads reserve address space), none for the sort
    with serve(filled, timeout=60, workers=1, max_memory=1536 * 1024 * 1024) as server:
        url = f"{server.url}/sparql"
        response = httpx.get(url, params={"query": sort}, timeout=90)
        assert response.status_code == 503 and error_of(response)["code"] == "query-failed"
        assert "memory" in error_of(response)["message"]
        assert count(httpx.get(url, params={"query": COUNT}, timeout=60)) == RECORDS  # a fresh worker


def test_queue_full_answers_too_busy_with_retry_after(filled: Hub) -> None:
    with serve(filled, timeout=4, workers=1, queue=0) as server:
        url = f"{server.url}/sparql"
        thread = threading.Thread(target=httpx.get, args=(url,), kwargs={"params": {"query": CROSS}, "timeout": 60})
        thread.start()
        _wait_for_busy_worker(set())
        response = httpx.get(url, params={"query": COUNT}, timeout=60)
        thread.join(60)
        assert response.status_code == 503 and error_of(response)["code"] == "too-busy"
        assert response.headers["retry-after"] == "1"


def test_row_cap_refuses_a_whole_answer_and_limit_pages_under_it(filled: Hub) -> None:
    with serve(filled, max_rows=10) as server:
        url = f"{server.url}/sparql"
        response = httpx.get(url, params={"query": EVERYTHING})
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "result-too-large" and "10 rows" in error["message"]
        paged = httpx.get(url, params={"query": EVERYTHING + " LIMIT 10"})
        assert len(paged.json()["results"]["bindings"]) == 10
        graph = httpx.get(url, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
        assert error_of(graph)["code"] == "result-too-large" and "10 triples" in error_of(graph)["message"]


def test_byte_cap(filled: Hub) -> None:
    with serve(filled, max_bytes=2000) as server:
        response = httpx.get(f"{server.url}/sparql", params={"query": EVERYTHING, "format": "csv"})
        assert response.status_code == 400
        assert "2000 bytes" in error_of(response)["message"]
        assert count(httpx.get(f"{server.url}/sparql", params={"query": COUNT})) == RECORDS


def test_large_result_is_spooled_and_streamed_whole(filled: Hub) -> None:
    everything = filled.store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    with serve(filled) as server:
        response = httpx.get(f"{server.url}/sparql", params={"query": EVERYTHING, "format": "tsv"})
        assert response.status_code == 200
        assert len(response.content) > 1024 * 1024  # more than is kept in memory
        lines = response.text.splitlines()
        assert lines[0] == "?s\t?p\t?o" and len(lines) - 1 == int(everything[0]["n"])
        spool = filled.settings.data_dir / "sparql-workers" / "spool"
        assert list(spool.iterdir()) == []  # deleted once sent


def test_queries_see_writes_and_old_snapshots_go(filled: Hub) -> None:
    added = "SELECT (COUNT(*) AS ?n) WHERE { <http://hub.test/x> ?p ?o }"
    with serve(filled) as server:
        url = f"{server.url}/sparql"
        assert count(httpx.get(url, params={"query": added})) == 0
        for number in range(1, 4):
            triple = f'<http://hub.test/x> <http://hub.test/p{number}> "v"'
            filled.store.update(f"INSERT DATA {{ GRAPH <http://hub.test/g{number}> {{ {triple} }} }}")
            assert count(httpx.get(url, params={"query": added})) == number
        work = filled.settings.data_dir / "sparql-workers"
        assert len([f for f in work.iterdir() if f.name.startswith("snapshot-")]) <= 2  # one per worker at most


def test_in_memory_store_runs_in_process_under_the_same_caps(tmp_path: Path) -> None:
    from exchange.config import Settings

    with Hub(Settings(tmp_path, BASE), *_memory_parts(tmp_path)) as hub, serve(hub, max_rows=5) as server:
        hub.store.update("INSERT DATA { <http://e.org/a> <http://e.org/p> 1, 2, 3, 4, 5, 6 }")
        response = httpx.get(f"{server.url}/sparql", params={"query": EVERYTHING})
        assert error_of(response)["code"] == "result-too-large"
        assert count(httpx.get(f"{server.url}/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})) == 6
        pool = server.server.config.app.state.sparql.pool
        assert pool._workers and all(worker.process is None for worker in pool._workers)  # none spawned


def _memory_parts(folder: Path) -> tuple[object, object]:
    from exchange.state import HubState
    from exchange.store import open_store

    return open_store(":memory:"), HubState(folder / "hub.sqlite")


def test_service_description_states_the_limits(filled: Hub) -> None:
    with serve(filled, timeout=7, max_rows=1234) as server:
        response = httpx.get(f"{server.url}/sparql")
        assert response.headers["content-type"].startswith("text/turtle")
        graph = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
        comments = [t.object.value for t in graph if t.predicate.value.endswith("#comment")]
        assert comments and "7 s" in comments[0] and "1234 rows" in comments[0]


# ---------------------------------------------------------------------- serializers


SAMPLE = """
<http://e.org/a> <http://e.org/p> "plain" .
<http://e.org/a> <http://e.org/p> "tab\\there \\"quoted\\" <b> & 'x', y\\nline"@en-GB .
<http://e.org/a> <http://e.org/p> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://e.org/a> <http://e.org/p> "4.20"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://e.org/a> <http://e.org/p> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .
<http://e.org/a> <http://e.org/p> "007"^^<http://e.org/code> .
<http://e.org/a> <http://e.org/p> _:blank .
<http://e.org/b?x=1&y=2> <http://e.org/q> "\\u00e9t\\u00e9 \\U0001F600" .
"""
QUERIES = [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
    "SELECT ?s ?missing ?o WHERE { ?s ?p ?o OPTIONAL { ?o ?x ?missing } }",
    "SELECT * WHERE { ?s ?p ?o FILTER(false) }",
    "ASK { ?s ?p 42 }",
]


@pytest.fixture(scope="module")
def sample() -> ox.Store:
    store = ox.Store()
    store.load(SAMPLE.encode(), ox.RdfFormat.N_TRIPLES)
    return store


@pytest.mark.parametrize(
    "media",
    ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
)
@pytest.mark.parametrize("query", QUERIES)
def test_own_serializers_read_back_as_pyoxigraphs(sample: ox.Store, query: str, media: str) -> None:
    fmt = ox.QueryResultsFormat.from_media_type(media)
    answer = run(sample, Job(query, results_format=media))
    native = sample.query(query).serialize(format=fmt)
    if media == "text/csv":  # lossy: pyoxigraph does not read it back; compare the parsed cells
        assert sorted(csv.reader(io.StringIO(answer.body.decode(), newline=""))) == sorted(
            csv.reader(io.StringIO(native.decode(), newline=""))
        )
        return
    ours = ox.parse_query_results(answer.body, format=fmt)
    theirs = ox.parse_query_results(native, format=fmt)
    if isinstance(theirs, ox.QueryBoolean):
        assert bool(ours) == bool(theirs)
        return
    names = [v.value for v in theirs.variables]
    assert [v.value for v in ours.variables] == names
    assert _rows(ours, names) == _rows(theirs, names)
    assert answer.rows == len(_rows(sample.query(query), names))


def _rows(solutions: ox.QuerySolutions, names: list[str]) -> list[tuple[str, ...]]:
    return sorted(tuple(str(row[name]) if row[name] is not None else "" for name in names) for row in solutions)


@pytest.mark.parametrize(
    "media", ["application/n-triples", "text/turtle", "application/ld+json", "application/rdf+xml"]
)
def test_graph_results_read_back_whole(sample: ox.Store, media: str) -> None:
    answer = run(sample, Job("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=media))
    fmt = ox.RdfFormat.from_media_type(media)
    back = {str(q.triple) for q in ox.parse(answer.body, format=fmt)}
    expected = {str(q.triple) for q in sample.quads_for_pattern(None, None, None)}
    assert len(back) == len(expected) == answer.rows  # blank node labels may differ; counts and IRIs agree
    assert {s for s in back if "_:" not in s} == {s for s in expected if "_:" not in s}


def test_caps_count_rows_and_triples(sample: ox.Store) -> None:
    with pytest.raises(ResultTooLarge, match="more than 3 rows"):
        run(sample, Job(EVERYTHING, max_rows=3))
    with pytest.raises(ResultTooLarge, match="more than 3 triples"):
        run(sample, Job("CONSTRUCT WHERE { ?s ?p ?o }", graph_format="application/ld+json", max_rows=3))
    assert run(sample, Job(EVERYTHING + " LIMIT 3", max_rows=3)).rows == 3


# ---------------------------------------------------------------------- SERVICE


def test_service_to_an_endpoint_not_named_makes_no_connection(filled: Hub) -> None:
    with Listener() as listener, serve(filled) as server:
        target = f"{listener.url}/sparql"
        for query in (
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"PREFIX remote: <{target[:-6]}> SELECT * WHERE {{ SERVICE SILENT remote:sparql {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ BIND(<{target}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        ):
            response = httpx.get(f"{server.url}/sparql", params={"query": query})
            assert response.status_code == 400 and error_of(response)["code"] == "service-not-allowed"
        assert listener.connections() == []


def test_named_service_on_a_private_address_is_refused_unless_allowed(filled: Hub) -> None:
    with Listener() as listener:
        target = f"{listener.url}/sparql"
        with LiveServer(filled, services=ServicePolicy.of([target])) as server:
            response = httpx.get(
                f"{server.url}/sparql", params={"query": f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"}
            )
            assert response.status_code == 400
            assert "loopback" in error_of(response)["message"]
        assert listener.connections() == []


def test_federates_to_a_named_hub(filled: Hub, tmp_path: Path) -> None:
    from exchange.config import Settings

    other_settings = Settings(tmp_path / "other", "http://other.test")
    with Hub.open(other_settings) as other, LiveServer(other) as remote:
        triple = '<http://other.test/r> <http://schema.org/name> "from the other hub"'
        other.store.update(f"INSERT DATA {{ GRAPH <http://other.test/g> {{ {triple} }} }}")
        endpoint = f"{remote.url}/sparql"
        policy = ServicePolicy.of([endpoint], allow_private=True)
        query = f"SELECT ?name WHERE {{ SERVICE <{endpoint}> {{ ?r <http://schema.org/name> ?name }} }}"
        with LiveServer(filled, services=policy) as server:
            response = httpx.get(f"{server.url}/sparql", params={"query": query}, timeout=30)
            assert response.status_code == 200, response.text
            assert [row["name"]["value"] for row in response.json()["results"]["bindings"]] == ["from the other hub"]


@pytest.mark.parametrize(
    ("query", "targets"),
    [
        ("SELECT * { SERVICE <http://a.test/sparql> { ?s ?p ?o } }", ["http://a.test/sparql"]),
        ("PREFIX x: <http://a.test/> SELECT * { SERVICE x:sparql { ?s ?p ?o } }", ["http://a.test/sparql"]),
        ("PREFIX x:<http://a.test/> SELECT * {SERVICE SILENT x:sp\\-arql{?s ?p ?o}}", ["http://a.test/sp-arql"]),
        ("SELECT * { ?s ?p ?o .SERVICE ?x { ?s ?p ?o } }", [None]),
        ("SELECT * { SERVICE <relative> { ?s ?p ?o } }", [None]),
        ("SELECT * { SERVICE unknown:x { ?s ?p ?o } }", [None]),
        ('SELECT * { ?s ?p "SERVICE <http://a.test/>" } # SERVICE <http://b.test/>', []),
        ("SELECT * { ?s <http://a.test/SERVICE> ?o . ?s ex:SERVICE ?o }", []),
        ("SELECT * { ?s ?p ?o } SERVICE", [None]),
    ],
)
def test_service_targets(query: str, targets: list[str | None]) -> None:
    assert service_targets(query) == targets


def test_service_policy_matches_endpoints_by_normal_form() -> None:
    policy = ServicePolicy.of(["HTTPS://Hub.Example.org:443/sparql"])
    assert "https://hub.example.org/sparql" in policy.endpoints
    with pytest.raises(QueryRefused):
        check_query("SELECT * { SERVICE <https://hub.example.org/sparql/other> { ?s ?p ?o } }", policy)
