"""The dataset describes itself: each source's records as a dataset, VoID (``/.well-known/void``)
and the DCAT catalog (``/catalog``), with counts from the store.

Counts come from the store (SPARQL), cached per process for :data:`STATS_SECONDS`: the dataset
description runs on every request and counting every statement is a full scan. The same
:data:`CACHE` holds the record counts of concepts (:func:`exchange.linkeddata.vocab.records_using`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import pyoxigraph as ox

from exchange import writers
from exchange.hub import Hub
from exchange.linkeddata.negotiation import NotFound
from exchange.linkeddata.serialization import DCAT, DCT, FOAF, RDFS, VOID, _iri, _triple
from exchange.model import record_iri, source_iri
from exchange.namespaces import HUB, RDF_TYPE, SCHEMA, SKOS, XSD
from exchange.provider.sets import source_set

FORMATS_NS = "http://www.w3.org/ns/formats/"
IANA = "https://www.iana.org/assignments/media-types/"

#: seconds the dataset statistics (VoID, DCAT, source and concept counts) are reused
STATS_SECONDS = 10.0


# ---------------------------------------------------------------------- statistics and their cache


def _typed(value: Any, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


def _count(hub: Hub, query: str) -> int:
    rows = hub.store.select(query)
    return int(rows[0]["n"]) if rows and "n" in rows[0] else 0


class _Cache:
    """Values reused for :data:`STATS_SECONDS` within one process, computed once per expiry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[Any, ...], tuple[float, Any]] = {}

    def get(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and time.monotonic() - hit[0] < STATS_SECONDS:
                return hit[1]
            value = compute()
            self._values[key] = (time.monotonic(), value)
            if len(self._values) > 4096:
                self._values.clear()
            return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


CACHE = _Cache()


@dataclass(frozen=True)
class Stats:
    """What the dataset descriptions count, from the store (SPARQL)."""

    statements: int
    records: int
    #: source name → records in its graphs
    by_source: dict[str, int]
    #: source name → (most common licence IRI, records with it)
    licences: dict[str, tuple[str, int]]
    example: str | None


def _by_source_query(base: str, pattern: str, select: str, group: str) -> str:
    prefix = f"{base}/resources/"
    return f"""SELECT ?source {select} WHERE {{
  GRAPH ?g {{ {pattern} }}
  FILTER(STRSTARTS(STR(?g), "{prefix}"))
  BIND(STRBEFORE(SUBSTR(STR(?g), {len(prefix) + 1}), "/") AS ?source)
}} GROUP BY ?source {group}"""


def stats(hub: Hub) -> Stats:
    """Counts for VoID, DCAT and the source pages; cached for :data:`STATS_SECONDS`."""
    return CACHE.get(("stats", *_hub_key(hub)), lambda: _stats(hub))


def _hub_key(hub: Hub) -> tuple[str, str, int]:
    """Which hub a cached value belongs to (a process may open several: the tests do)."""
    return (str(hub.settings.data_dir), hub.settings.base, id(hub.store))


def _stats(hub: Hub) -> Stats:
    base = hub.settings.base
    statements = _count(hub, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    records = _count(hub, f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r a <{SCHEMA}LearningResource> }}")
    rows = hub.store.select(_by_source_query(base, f"?g a <{SCHEMA}LearningResource>", "(COUNT(*) AS ?n)", ""))
    by_source = {unquote(row["source"]): int(row["n"]) for row in rows if row.get("source")}
    rows = hub.store.select(
        _by_source_query(base, f"?g <{SCHEMA}license> ?licence", "?licence (COUNT(*) AS ?n)", "?licence")
    )
    licences: dict[str, tuple[str, int]] = {}
    for row in sorted(rows, key=lambda r: (-int(r["n"]), r["licence"])):
        licences.setdefault(unquote(row.get("source", "")), (row["licence"], int(row["n"])))
    example = hub.store.select(f"SELECT ?r WHERE {{ ?r a <{SCHEMA}LearningResource> }} LIMIT 1")
    return Stats(statements, records, by_source, licences, example[0]["r"] if example else None)


# ---------------------------------------------------------------------- sources, VoID and DCAT


def void_iri(base: str) -> str:
    return f"{base}/.well-known/void"


def dataset_iri(base: str) -> str:
    """The whole hub as a dataset (VoID ``void:Dataset``, DCAT ``dcat:Dataset``)."""
    return f"{void_iri(base)}#dataset"


def source_dataset_iri(base: str, name: str) -> str:
    """The records of one source as a dataset: a VoID subset and a DCAT dataset."""
    return f"{source_iri(base, name)}#records"


def dump_url(base: str, source: str | None = None) -> str:
    """The gzipped N-Quads dump (exchange/export.py): the whole hub's, or one source's."""
    return f"{base}/dumps/{quote(source, safe='') if source else 'all'}.nq.gz"


_DATASET_ABOUT = (
    "Descriptions of learning resources harvested over OAI-PMH, normalized to schema.org/LRMI, with their "
    "quality, accessibility and sustainability assessments and the SKOS vocabularies they use."
)
_CATALOG_ABOUT = "The datasets of an EduHub Exchange hub: the records of each harvested source, and the hub as a whole."


def _adder(triples: set[ox.Triple]) -> Callable[[str, str, Any], None]:
    def add(subject: str, predicate: str, obj: Any) -> None:
        triples.add(_triple(subject, predicate, obj))

    return add


def _lit(value: str) -> ox.Literal:
    return ox.Literal(value)


def _en(value: str) -> ox.Literal:
    return ox.Literal(value, language="en")


def source_triples(hub: Hub, name: str, counts: Stats | None = None) -> set[ox.Triple]:
    """The source node (from the sources graph) and the dataset of its records, with its
    distributions: what ``GET /sources/{name}`` serves and the catalog lists."""
    base = hub.settings.base
    node = source_iri(base, name)
    source = next((s for s in hub.state.sources() if s.name == name), None)
    described = {
        t for t in hub.store.triples([hub.sources_graph]).get(hub.sources_graph, []) if t.subject.value == node
    }
    if source is None and not described:
        raise NotFound(f"no source {name!r}")
    counts = counts or stats(hub)
    triples = set(described)
    dataset = source_dataset_iri(base, name)
    publisher = f"{node}#publisher"
    add = _adder(triples)
    add(dataset, RDF_TYPE, _iri(DCAT + "Dataset"))
    add(dataset, RDF_TYPE, _iri(VOID + "Dataset"))
    add(dataset, DCT + "title", _en(f"{name}: learning resources harvested by {hub.settings.name}"))
    about = (
        f"The records the hub harvested from the OAI-PMH source {name}, normalized to schema.org/LRMI; "
        f"one named graph per record under {record_iri(base, name, '')}."
    )
    add(dataset, DCT + "description", _en(about))
    # The registry knows no organisation behind a source yet: the publisher is named after the source.
    add(dataset, DCT + "publisher", _iri(publisher))
    add(publisher, RDF_TYPE, _iri(FOAF + "Agent"))
    add(publisher, FOAF + "name", _lit(name))
    add(dataset, DCT + "source", _iri(node))
    add(dataset, DCAT + "landingPage", _iri(node))
    add(dataset, VOID + "entities", _typed(counts.by_source.get(name, 0), "integer"))
    add(dataset, VOID + "uriSpace", _lit(record_iri(base, name, "")))
    licence = counts.licences.get(name)
    if licence:
        add(dataset, DCT + "license", _iri(licence[0]))
    if source is not None and source.last_run_at:
        add(dataset, DCT + "modified", _typed(source.last_run_at, "dateTime"))
    for fmt in writers.formats():
        dist = f"{node}#oai-{fmt.prefix}"
        url = f"{base}/oai?verb=ListRecords&metadataPrefix={quote(fmt.prefix)}&set={quote(source_set(name), safe=':')}"
        add(dataset, DCAT + "distribution", _iri(dist))
        add(dist, RDF_TYPE, _iri(DCAT + "Distribution"))
        add(dist, DCT + "title", _en(f"OAI-PMH ListRecords, metadataPrefix {fmt.prefix}"))
        add(dist, DCAT + "accessURL", _iri(url))
        add(dist, DCAT + "accessService", _iri(f"{base}/oai"))
        add(dist, DCAT + "mediaType", _iri(IANA + "text/xml"))
        add(dist, DCT + "conformsTo", _iri(fmt.schema))
    dump = f"{node}#dump"
    add(dataset, DCAT + "distribution", _iri(dump))
    add(dump, RDF_TYPE, _iri(DCAT + "Distribution"))
    add(dump, DCT + "title", _en("Dump of this source's records (N-Quads, gzip)"))
    about = f"The record graphs under {record_iri(base, name, '')}, their assessments and the source's description."
    add(dump, DCT + "description", _en(about))
    add(dump, DCAT + "downloadURL", _iri(dump_url(base, name)))
    add(dump, DCAT + "accessURL", _iri(dump_url(base, name)))
    add(dump, DCAT + "mediaType", _iri(IANA + "application/n-quads"))
    add(dump, DCAT + "compressFormat", _iri(IANA + "application/gzip"))
    return triples


def void_triples(hub: Hub) -> set[ox.Triple]:
    """The VoID description of the hub: the dataset, its counts, endpoint, dump and subsets."""
    base = hub.settings.base
    counts = stats(hub)
    document, dataset = void_iri(base), dataset_iri(base)
    triples: set[ox.Triple] = set()
    add = _adder(triples)
    add(document, RDF_TYPE, _iri(VOID + "DatasetDescription"))
    add(document, DCT + "title", _en(f"A VoID description of {hub.settings.name}"))
    add(document, FOAF + "primaryTopic", _iri(dataset))
    add(dataset, RDF_TYPE, _iri(VOID + "Dataset"))
    add(dataset, DCT + "title", _lit(hub.settings.name))
    add(dataset, DCT + "description", _en(_DATASET_ABOUT))
    add(dataset, FOAF + "homepage", _iri(f"{base}/"))
    add(dataset, VOID + "sparqlEndpoint", _iri(f"{base}/sparql"))
    add(dataset, VOID + "uriSpace", _lit(f"{base}/resources/"))
    add(dataset, VOID + "triples", _typed(counts.statements, "integer"))
    add(dataset, VOID + "entities", _typed(counts.records, "integer"))
    add(dataset, VOID + "dataDump", _iri(dump_url(base)))
    for vocabulary in (SCHEMA, SKOS, HUB, DCT):
        add(dataset, VOID + "vocabulary", _iri(vocabulary))
    for feature in ("Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N-Quads"):
        add(dataset, VOID + "feature", _iri(FORMATS_NS + feature))
    if counts.example:
        add(dataset, VOID + "exampleResource", _iri(counts.example))
    latest = hub.publication.latest()
    if latest:
        add(dataset, DCT + "modified", _typed(latest, "dateTime"))
    for source in hub.state.sources():
        subset = source_dataset_iri(base, source.name)
        add(dataset, VOID + "subset", _iri(subset))
        add(subset, RDF_TYPE, _iri(VOID + "Dataset"))
        add(subset, DCT + "title", _en(f"{source.name}: learning resources harvested by {hub.settings.name}"))
        add(subset, VOID + "entities", _typed(counts.by_source.get(source.name, 0), "integer"))
        add(subset, VOID + "uriSpace", _lit(record_iri(base, source.name, "")))
        add(subset, DCT + "source", _iri(source_iri(base, source.name)))
    return triples


def catalog_triples(hub: Hub) -> set[ox.Triple]:
    """The DCAT catalog: one dataset per source (with OAI-PMH and dump distributions), the
    whole hub as a dataset, and the SPARQL and OAI-PMH services."""
    base = hub.settings.base
    counts = stats(hub)
    catalog, dataset = f"{base}/catalog", dataset_iri(base)
    publisher = f"{catalog}#publisher"
    sparql_service, oai_service = f"{base}/sparql", f"{base}/oai"
    triples: set[ox.Triple] = set()
    add = _adder(triples)
    add(catalog, RDF_TYPE, _iri(DCAT + "Catalog"))
    add(catalog, DCT + "title", _lit(hub.settings.name))
    add(catalog, DCT + "description", _en(_CATALOG_ABOUT))
    add(catalog, FOAF + "homepage", _iri(f"{base}/"))
    add(catalog, DCT + "publisher", _iri(publisher))
    add(publisher, RDF_TYPE, _iri(FOAF + "Agent"))
    add(publisher, FOAF + "name", _lit(hub.settings.name))
    add(publisher, FOAF + "mbox", _iri(f"mailto:{hub.settings.admin_email}"))
    add(catalog, DCAT + "dataset", _iri(dataset))
    add(dataset, RDF_TYPE, _iri(DCAT + "Dataset"))
    add(dataset, DCT + "title", _lit(hub.settings.name))
    add(dataset, DCT + "publisher", _iri(publisher))
    add(dataset, RDFS + "seeAlso", _iri(void_iri(base)))
    dump = f"{catalog}#dump"
    add(dataset, DCAT + "distribution", _iri(dump))
    add(dump, RDF_TYPE, _iri(DCAT + "Distribution"))
    add(dump, DCT + "title", _en("Dump of the whole hub (N-Quads, gzip)"))
    add(dump, DCAT + "downloadURL", _iri(dump_url(base)))
    add(dump, DCAT + "accessURL", _iri(dump_url(base)))
    add(dump, DCAT + "mediaType", _iri(IANA + "application/n-quads"))
    add(dump, DCAT + "compressFormat", _iri(IANA + "application/gzip"))
    for service, title, standard in (
        (sparql_service, "SPARQL 1.1 endpoint", "https://www.w3.org/TR/sparql11-protocol/"),
        (oai_service, "OAI-PMH 2.0 provider", "http://www.openarchives.org/OAI/2.0/openarchivesprotocol.htm"),
    ):
        add(catalog, DCAT + "service", _iri(service))
        add(service, RDF_TYPE, _iri(DCAT + "DataService"))
        add(service, DCT + "title", _en(title))
        add(service, DCAT + "endpointURL", _iri(service))
        add(service, DCT + "conformsTo", _iri(standard))
    add(sparql_service, DCAT + "servesDataset", _iri(dataset))
    for source in hub.state.sources():
        subset = source_dataset_iri(base, source.name)
        add(catalog, DCAT + "dataset", _iri(subset))
        add(dataset, DCT + "hasPart", _iri(subset))
        add(oai_service, DCAT + "servesDataset", _iri(subset))
        triples |= {
            t for t in source_triples(hub, source.name, counts) if t.subject.value != source_iri(base, source.name)
        }
    return triples
