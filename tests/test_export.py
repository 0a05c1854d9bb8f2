"""Bulk dumps (exchange/export.py, /dumps): over a hub filled by harvesting recorded real feeds.

N-Quads reload into a store equal to the hub's (vocabulary graphs aside); JSON-LD lines are the
records' linked-data JSON-LD (what ``GET /resources/…`` serves) and expand, offline, to exactly
the record graphs with their assessments; LOM and oai_dc dumps validate record by record against
the XSDs; the CLI (a subprocess, on the store the server holds open) and /dumps over real HTTP
give the same bytes; the generator holds one page of records at a time. No wall-clock asserts.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from lxml import etree
from pyld import jsonld

from exchange import export
from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.export import DUMP_NS, HUB_CONTEXT, Dump
from exchange.hub import Hub
from exchange.model import source_iri
from exchange.namespaces import LOM, OAI_DC
from exchange.pipeline import harvest
from exchange.provider.log import Item, Selection
from exchange.provider.publish import graph_of
from exchange.resources import schema_path
from exchange.tagging import assessments_graph
from exchange.vocabularies import index as vocabulary_index
from tests.conftest import OAI_FEEDS, LiveServer
from tests.test_linkeddata import BASE as LINKED_DATA_BASE
from tests.test_linkeddata import expected_record
from tests.test_writers import lom_schema, oai_dc_schema

ROOT = Path(__file__).resolve().parents[1]
#: feed → (metadataPrefix, set), as tests/test_oai_provider.py harvests them
FEEDS = {"edurep": (None, None), "zenodo": ("oai_dc", None), "tudelft": (None, None), "librecat": ("oai_dc", "patent")}
PAGE = 7  # small pages, so every dump spans several
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass
class Served:
    hub: Hub
    live: LiveServer
    settings: Settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Four real feeds harvested (edurep twice: its delta page deletes records), then the hub
    reopened and served, as `eduhub serve` would hold it."""
    folders = sorted(p for p in OAI_FEEDS.iterdir() if p.name in FEEDS)
    settings = Settings(data_dir=tmp_path_factory.mktemp("export") / "hub", base="http://hub.test")
    with ReplayServer(folders) as replay, Hub.open(settings) as hub:
        for feed, (prefix, set_spec) in FEEDS.items():
            hub.state.add_source(feed, replay.url(feed), prefix, set_spec)
            summary = harvest(hub, feed)
            assert summary.status == "ok", summary.error
        assert harvest(hub, "edurep").deleted > 0
    with Hub.open(settings) as hub, LiveServer(hub) as live:
        yield Served(hub, live, settings)


def dump_bytes(hub: Hub, dump: Dump, page_size: int = PAGE) -> bytes:
    stats = export.Stats()
    data = b"".join(export.stream(hub, dump, page_size=page_size, stats=stats))
    assert stats.skipped == 0
    assert stats.bytes == len(data)
    return data


def live_items(hub: Hub, source: str | None = None) -> list[Item]:
    selection = Selection(set_spec=f"source:{source}" if source else None)
    return [item for item in hub.publication.page(selection, None, 100_000) if not item.deleted]


def store_quads(hub: Hub) -> set[ox.Quad]:
    """Every quad of the hub's store, read over the Store protocol (SPARQL)."""
    body = hub.store.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }").body
    rows = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    return {ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows}


def loaded(data: bytes) -> set[ox.Quad]:
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_QUADS)
    return set(store)


# ---------------------------------------------------------------------- N-Quads


def test_the_log_has_tombstones_and_the_dumps_leave_them_out(served: Served) -> None:
    hub = served.hub
    everything = hub.publication.page(Selection(), None, 100_000)
    deleted = [graph_of(hub.settings.base, item.item) for item in everything if item.deleted]
    assert deleted
    graphs = {q.graph_name.value for q in loaded(dump_bytes(hub, Dump("nquads")))}
    assert not graphs & set(deleted)
    ids = {json.loads(line)["id"] for line in dump_bytes(hub, Dump("jsonld")).splitlines()}
    assert not ids & set(deleted)
    assert len(ids) == len(everything) - len(deleted)


def test_nquads_dump_reloads_into_a_store_equal_to_the_hub_without_its_vocabularies(served: Served) -> None:
    hub = served.hub
    vocabularies = {file.graph for file in vocabulary_index().files}
    base = hub.settings.base
    records = {graph_of(base, item.item) for item in live_items(hub)}
    derived = {q.graph_name.value for q in store_quads(hub) if "/cluster" in q.graph_name.value}
    assert derived == {f"{base}/cluster-keys/{name}" for name in FEEDS}  # the feeds share no resource
    expected = {q for q in store_quads(hub) if q.graph_name.value not in vocabularies | derived}
    # What the hub holds besides the shipped vocabularies: records, the sources graph, assessments,
    # harvest runs.
    assert {q.graph_name.value for q in expected} == records | {hub.sources_graph, f"{base}/harvests"} | {
        assessments_graph(base, name) for name in FEEDS
    }
    dumped = loaded(dump_bytes(hub, Dump("nquads")))
    assert dumped == expected, (len(dumped - expected), len(expected - dumped))


def test_nquads_lines_are_grouped_by_record_and_sorted_within_it(served: Served) -> None:
    """A record's lines (its graph, then its assessments) come together, in log order."""
    hub = served.hub
    base = hub.settings.base
    lines = dump_bytes(hub, Dump("nquads")).decode("utf-8").splitlines()
    sources = [line for line in lines if line.endswith(f"<{hub.sources_graph}> .")]
    assert lines[: len(sources)] == sorted(sources)
    harvests = [line for line in lines if line.endswith(f"<{base}/harvests> .")]
    assert harvests and lines[-len(harvests) :] == sorted(harvests)  # the harvest runs come last
    blocks: list[tuple[str, str, list[str]]] = []  # (record, graph, lines), consecutive
    for line in lines[len(sources) : -len(harvests)]:
        graph = line.rsplit(" ", 2)[-2].strip("<>")
        record = line.split(" ", 1)[0].strip("<>").split("#", 1)[0] if "/assessments/" in graph else graph
        if not blocks or blocks[-1][:2] != (record, graph):
            blocks.append((record, graph, []))
        blocks[-1][2].append(line)
    assert all(block == sorted(block) for _, _, block in blocks)
    records = [graph_of(base, item.item) for item in live_items(hub)]
    expected = [(r, g) for r in records for g in (r, assessments_graph(base, r.split("/")[4]))]
    assert [block[:2] for block in blocks] == expected  # every live record here has assessments


def runs_of(hub: Hub, source: str) -> set[ox.NamedNode]:
    rows = hub.store.select(
        f"SELECT ?run WHERE {{ GRAPH <{hub.settings.base}/harvests> {{ "
        f"?run <http://www.w3.org/ns/prov#used> <{source_iri(hub.settings.base, source)}> }} }}"
    )
    assert rows  # every source here was harvested
    return {ox.NamedNode(row["run"]) for row in rows}


@pytest.mark.parametrize("source", list(FEEDS))
def test_a_source_dump_is_the_source_slice_of_the_store(served: Served, source: str) -> None:
    hub = served.hub
    base = hub.settings.base
    records = {graph_of(base, item.item) for item in live_items(hub, source)}
    assert records
    expected = {
        q
        for q in store_quads(hub)
        if q.graph_name.value in records
        or q.graph_name.value == assessments_graph(base, source)
        or (q.graph_name.value == hub.sources_graph and q.subject.value == source_iri(base, source))
        or (q.graph_name.value == f"{base}/harvests" and q.subject in runs_of(hub, source))
    }
    assert loaded(dump_bytes(hub, Dump("nquads", source))) == expected
    lines = dump_bytes(hub, Dump("jsonld", source)).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [graph_of(base, i.item) for i in live_items(hub, source)]
    assert set(lines) <= set(dump_bytes(hub, Dump("jsonld")).splitlines())  # a record's line is its own


def test_the_source_dumps_together_are_the_whole_hub_dump(served: Served) -> None:
    hub = served.hub
    parts = set().union(*(loaded(dump_bytes(hub, Dump("nquads", source))) for source in FEEDS))
    assert parts == loaded(dump_bytes(hub, Dump("nquads")))


def test_unknown_source_is_refused_before_anything_is_read(served: Served) -> None:
    with pytest.raises(export.UnknownSource, match=r"no source named 'nobody'.*edurep"):
        export.stream(served.hub, Dump("nquads", "nobody"))


# ---------------------------------------------------------------------- JSON-LD lines

_HUB_CONTEXT_DOCUMENT = json.loads(schema_path("hub-context.jsonld").read_text(encoding="utf-8"))


def local_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The hub context from schemas/, and nothing from the network."""
    if url != HUB_CONTEXT:
        raise jsonld.JsonLdError(f"refusing to fetch {url}", "loading remote context failed")
    return {"contextUrl": None, "documentUrl": url, "document": _HUB_CONTEXT_DOCUMENT}


def json_ld_triples(record: dict[str, Any]) -> set[ox.Triple]:
    nquads = jsonld.to_rdf(record, {"format": "application/n-quads", "documentLoader": local_loader})
    return {quad.triple for quad in ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS)}


def test_jsonld_lines_expand_offline_to_exactly_the_record_graph_and_its_assessments(served: Served) -> None:
    """Each line is the record's linked-data JSON-LD: expanded with the local context only, it
    states what tests/test_linkeddata.py asks of every RDF format of a record (its graph, its
    assessments, its provider's name, the type of the concepts it links), nothing more or less."""
    hub = served.hub
    assert hub.settings.base == LINKED_DATA_BASE  # expected_record reads the graphs under it
    lines = dump_bytes(hub, Dump("jsonld")).decode("utf-8").splitlines()
    items = live_items(hub)
    assert len(lines) == len(items)
    for line, item in zip(lines, items, strict=True):
        document = json.loads(line)
        assert next(iter(document)) == "@context" and document["@context"] == HUB_CONTEXT
        iri = graph_of(hub.settings.base, item.item)
        assert document["id"] == iri
        assert document.get("hub:assessment"), iri  # every live record here has some
        want = expected_record(hub, iri)
        got = json_ld_triples(document)
        assert got == want, f"{iri}: missing {list(want - got)[:3]}, extra {list(got - want)[:3]}"


def test_a_jsonld_line_is_what_the_record_page_serves_as_json_ld(served: Served) -> None:
    """The dump and ``GET /resources/…`` with ``Accept: application/ld+json`` give one document."""
    hub = served.hub
    base = hub.settings.base
    lines = dump_bytes(hub, Dump("jsonld")).decode("utf-8").splitlines()
    assert len(lines) == len(live_items(hub))
    with httpx.Client(base_url=served.live.url, timeout=30) as client:
        for line in lines:
            document = json.loads(line)
            assert document["id"].startswith(f"{base}/resources/")
            response = client.get(document["id"][len(base) :], headers={"Accept": "application/ld+json"})
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/ld+json"
            assert document == response.json(), document["id"]


def test_a_record_the_reader_cannot_rebuild_is_skipped_and_counted(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Left out of the lines and counted; the records around it, on its page, keep their lines."""
    hub = served.hub
    whole = dump_bytes(hub, Dump("jsonld")).splitlines()
    items = live_items(hub)
    broken = graph_of(hub.settings.base, items[PAGE + 2].item)
    original = export.record_from_triples

    def reader(graph: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if graph == broken:
            raise ValueError("not a graph the reader knows")
        return original(graph, *args, **kwargs)

    monkeypatch.setattr(export, "record_from_triples", reader)
    stats = export.Stats()
    lines = b"".join(export.stream(hub, Dump("jsonld"), page_size=PAGE, stats=stats)).splitlines()
    assert (stats.records, stats.skipped) == (len(items) - 1, 1)
    assert lines == [line for line in whole if json.loads(line)["id"] != broken]


# ---------------------------------------------------------------------- XML


@pytest.mark.parametrize(("prefix", "namespace"), [("lom", LOM), ("oai_dc", OAI_DC)])
def test_xml_dumps_hold_one_valid_payload_per_record(served: Served, prefix: str, namespace: str) -> None:
    hub = served.hub
    root = etree.fromstring(dump_bytes(hub, Dump(prefix)), SAFE)
    assert root.tag == f"{{{DUMP_NS}}}records"
    assert root.get("format") == prefix
    items = live_items(hub)
    assert len(root) == len(items)
    xsd = lom_schema() if prefix == "lom" else oai_dc_schema()
    for element in root:
        assert etree.QName(element).namespace == namespace
        if not xsd.validate(element):
            errors = "\n".join(f"line {e.line}: {e.message}" for e in xsd.error_log)
            pytest.fail(f"not valid {prefix}:\n{errors}")
    if prefix == "lom":  # metaMetadata names the hub record: the records come in log order
        entries = [e.findtext(f"{{{LOM}}}metaMetadata/{{{LOM}}}identifier/{{{LOM}}}entry") for e in root]
        assert entries == [graph_of(hub.settings.base, item.item) for item in items]


def test_a_source_xml_dump_says_its_source(served: Served) -> None:
    root = etree.fromstring(dump_bytes(served.hub, Dump("oai_dc", "zenodo")), SAFE)
    assert root.get("source") == "zenodo"
    assert len(root) == len(live_items(served.hub, "zenodo"))


# ---------------------------------------------------------------------- gzip


@pytest.mark.parametrize("fmt", list(export.FORMATS))
def test_gzip_round_trip_is_deterministic(served: Served, fmt: str) -> None:
    plain = dump_bytes(served.hub, Dump(fmt))
    packed = dump_bytes(served.hub, Dump(fmt, gzip=True))
    assert gzip.decompress(packed) == plain
    assert packed[:2] == b"\x1f\x8b"
    assert packed[3] & 0x08 == 0  # FNAME flag: no file name in the header
    assert packed[4:8] == b"\0\0\0\0"  # MTIME 0
    assert dump_bytes(served.hub, Dump(fmt, gzip=True), page_size=3) == packed  # page size does not show


# ---------------------------------------------------------------------- CLI and HTTP

CASES = [
    Dump("nquads"),
    Dump("nquads", gzip=True),
    Dump("jsonld", "edurep"),
    Dump("lom", gzip=True),
    Dump("oai_dc", "librecat"),
]


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "exchange.cli", "--data", str(settings.data_dir), "export", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, timeout=300)


def cli_args(dump: Dump) -> list[str]:
    return [
        "--format",
        dump.format,
        *(["--source", dump.source] if dump.source else []),
        *(["--gzip"] if dump.gzip else []),
    ]


@pytest.mark.parametrize("dump", CASES, ids=[d.name for d in CASES])
def test_cli_and_http_give_the_same_bytes_while_the_hub_is_served(served: Served, dump: Dump) -> None:
    done = cli(served.settings, *cli_args(dump))
    assert done.returncode == 0, done.stderr.decode()
    summary = done.stderr.decode().strip().splitlines()[-1]
    assert f"export: {dump.name}: " in summary and " bytes " in summary and "records/s" in summary
    response = httpx.get(f"{served.live.url}/dumps/{dump.name}", timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"] == dump.media_type
    assert response.headers["content-disposition"] == f'attachment; filename="{dump.name}"'
    assert "content-encoding" not in response.headers
    assert response.content == done.stdout
    assert response.content == dump_bytes(served.hub, dump, page_size=export.PAGE_SIZE)


def test_cli_writes_a_file_and_reads_gzip_from_the_name(served: Served, tmp_path: Path) -> None:
    target = tmp_path / "hub.nq.gz"
    done = cli(served.settings, "--format", "nquads", "--output", str(target))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    assert target.read_bytes() == httpx.get(f"{served.live.url}/dumps/all.nq.gz").content
    assert [p.name for p in tmp_path.iterdir()] == ["hub.nq.gz"]  # no temporary file left
    progress = cli(served.settings, "--format", "jsonld", "--page-size", "2", "-o", "-")
    assert progress.returncode == 0
    *lines, summary = progress.stderr.decode().splitlines()
    pages = -(-len(served.hub.publication.page(Selection(), None, 100_000)) // 2)  # ceiling
    assert len(lines) == pages // 10  # progress every 10 pages
    assert all(re.fullmatch(r"eduhub export: [\d,]+ records, [\d.]+ [KM]?B, [\d.]+ s", line) for line in lines)
    assert re.fullmatch(
        r"eduhub export: all\.jsonl: \d+ records, \d+ bytes \(.+\), [\d.]+ s \([\d,]+ records/s\)", summary
    )


def test_cli_unknown_source_is_a_usage_error(served: Served) -> None:
    done = cli(served.settings, "--format", "jsonld", "--source", "nobody")
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"no source named 'nobody'" in done.stderr


def test_dumps_index_lists_every_dump_with_a_working_url(served: Served) -> None:
    response = httpx.get(f"{served.live.url}/dumps/")
    assert response.status_code == 200
    dumps = response.json()["dumps"]
    names = {d["name"] for d in dumps}
    for owner in ["all", *FEEDS]:
        for suffix in (".nq", ".jsonl", ".lom.xml", ".oai_dc.xml"):
            assert {owner + suffix, owner + suffix + ".gz"} <= names
    assert len(names) == len(dumps) == 8 * (1 + len(FEEDS))
    entry = next(d for d in dumps if d["name"] == "zenodo.jsonl")
    assert entry == {
        "name": "zenodo.jsonl",
        "format": "jsonld",
        "source": "zenodo",
        "gzip": False,
        "media_type": "application/x-ndjson",
        "url": f"{served.live.url}/dumps/zenodo.jsonl",
    }
    fetched = httpx.get(entry["url"])
    assert fetched.status_code == 200
    assert len(fetched.content.splitlines()) == len(live_items(served.hub, "zenodo"))


@pytest.mark.parametrize("name", ["nobody.nq", "all.txt", "all", ".nq", "edurep.nq.zip"])
def test_unknown_dumps_are_404_in_the_error_shape(served: Served, name: str) -> None:
    response = httpx.get(f"{served.live.url}/dumps/{name}")
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["status"] == 404 and body["error"]["code"] == "not-found"
    assert name in body["error"]["message"]


def test_dump_names_parse_back() -> None:
    for dump in export.catalogue(["edurep", "a.lom", "x.nq"]):
        assert Dump.from_name(dump.name) == dump
    assert Dump.from_name("a.lom.oai_dc.xml") == Dump("oai_dc", "a.lom")
    assert Dump.from_name("all.jsonl.gz") == Dump("jsonld", None, gzip=True)
    assert [d.source for d in export.catalogue(["all"])] == [None] * 8  # all.* is the whole hub


# ---------------------------------------------------------------------- streaming


def test_the_log_is_read_one_page_per_chunk(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first records go out before the second page of the log is read, and every later
    chunk costs one more page: the dump never reads ahead."""
    hub = served.hub
    reads: list[int] = []
    page = hub.publication.page

    def counted(*args: Any, **kwargs: Any) -> list[Item]:
        found = page(*args, **kwargs)
        reads.append(len(found))
        return found

    monkeypatch.setattr(hub.publication, "page", counted)
    chunks = export.stream(hub, Dump("nquads"), page_size=4)
    assert reads == []  # nothing happens before the first chunk is asked for
    assert b"/sources>" in next(chunks) and reads == []  # the sources graph first
    for seen, chunk in enumerate(chunks, start=1):
        if b"/harvests>" in chunk:  # the harvest runs come last, after the log's last page
            assert next(chunks, None) is None
            break
        assert len(reads) == seen, "read ahead of what was written"
        assert chunk
    assert sum(reads) == len(hub.publication.page(Selection(), None, 100_000))
    assert len(reads) > 10


class Tracked(dict):
    """A hub record the test can see die (a dict subclass takes weak references)."""


@pytest.mark.parametrize("fmt", ["jsonld", "lom"])
def test_at_most_one_page_of_records_is_alive(served: Served, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    alive: set[int] = set()
    most = 0
    original = export.record_from_triples

    def tracked(*args: Any, **kwargs: Any) -> Tracked:
        nonlocal most
        record = Tracked(original(*args, **kwargs))
        alive.add(id(record))
        weakref.finalize(record, alive.discard, id(record))
        most = max(most, len(alive))
        return record

    monkeypatch.setattr(export, "record_from_triples", tracked)
    stats = export.Stats()
    chunks = 0
    for _ in export.stream(served.hub, Dump(fmt), page_size=4, stats=stats):
        chunks += 1
        assert not alive, "records outlive the page they were written in"
    assert stats.records == len(live_items(served.hub)) > 4 * 10
    assert most == 4
    assert chunks >= stats.records / 4
