"""Records as served: :class:`RecordView` (the record's graph, the hub record rebuilt from it,
its assessments) and its representations: triples, JSON-LD under the hub context, OAI-PMH XML.

One graph per representation: the RDF formats of a resource serialize one set of triples, and
its JSON-LD states exactly those triples (the tests expand it offline and compare). A record's
set is its graph, its assessments, its providers' names and the ``skos:Concept`` type of the
concepts it links (the last two are what the record JSON carries beyond the record graph).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox

from exchange import clusters, reports, writers
from exchange.hub import Hub
from exchange.linkeddata.negotiation import Gone, NotAcceptable, NotFound
from exchange.linkeddata.serialization import _construct, _iri, _triple, graph_jsonld, jsonld_value
from exchange.model import record_from_triples, record_iri, source_iri
from exchange.model.rdf import _DATE_TYPES, _DURATION, AGENT_PROPERTIES, CONCEPT_PROPERTIES, HUB_PROPERTIES
from exchange.namespaces import HUB, RDF_TYPE, SCHEMA, SKOS, XSD
from exchange.tagging import assessments_graph

#: the IRI of the hub's JSON-LD context (schemas/hub-context.jsonld), as records name it
HUB_CONTEXT = "https://w3id.org/eduhub/context.jsonld"


def _text(value: str, language: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=language) if language else ox.Literal(value)


def resource_iri(base: str, raw_rest: str) -> str | None:
    """The record IRI for the raw (still percent-encoded) path after ``/resources/``.

    Each of the two segments (source, local id) is decoded and encoded again as
    :func:`exchange.model.record_iri` does, so ``oai%3Ax%3A1%2F2`` and ``oai:x:1%2F2`` both
    name the record ``oai:x:1/2``, and ``%2F`` never splits the local id. None when the path
    has no local id."""
    source, slash, local = raw_rest.partition("/")
    if not source or not slash or not local:
        return None
    return record_iri(base, unquote(source), unquote(local))


@dataclass
class RecordView:
    """One record as served: its graph, what it is as a hub record, and its assessments."""

    iri: str
    source: str
    graph: list[ox.Triple]
    #: the hub record rebuilt from the graph; None if the graph is not one the reader knows
    record: dict[str, Any] | None
    assessment_triples: set[ox.Triple]
    #: the cross-source cluster the record is in (the same resource in other sources), if any
    cluster: clusters.ClusterView | None = None


def record_view(hub: Hub, iri: str) -> RecordView:
    """The record named ``iri``; :class:`Gone` for a tombstone, :class:`NotFound` otherwise."""
    base = hub.settings.base
    prefix = f"{base}/resources/"
    found = hub.store.triples([iri]).get(iri)
    if not found:
        item = hub.publication.get(iri[len(prefix) :]) if iri.startswith(prefix) else None
        if item is not None and item.deleted:
            raise Gone(f"the record {iri} was deleted on {item.datestamp}")
        raise NotFound(f"no record {iri}")
    source = reports.source_of(base, iri)
    providers = {source_iri(base, s.name): s.name for s in hub.state.sources()}
    try:
        record = record_from_triples(iri, found, providers)
    except ValueError:
        record = None
    graph = assessments_graph(base, source)
    assessments = _construct(
        hub,
        f"CONSTRUCT {{ <{iri}> <{HUB}assessment> ?a . ?a ?p ?o }} "
        f"WHERE {{ GRAPH <{graph}> {{ <{iri}> <{HUB}assessment> ?a . ?a ?p ?o }} }}",
    )
    return RecordView(iri, source, found, record, assessments, clusters.cluster_of(hub, iri))


def record_triples(view: RecordView) -> set[ox.Triple]:
    """The triples every RDF representation of the record states (see the module docstring)."""
    triples = set(view.graph) | view.assessment_triples
    if view.cluster is not None:
        triples |= view.cluster.for_record(view.iri)
    record = view.record
    if record is None:
        return triples
    for page in record.get("mainEntityOfPage", ()):
        provider = page.get("provider", {})
        if provider.get("id") and provider.get("name"):
            triples.add(_triple(provider["id"], SCHEMA + "name", _text(provider["name"])))
    for key in CONCEPT_PROPERTIES:
        for value in record.get(key, ()):
            if "id" in value:
                triples.add(_triple(value["id"], RDF_TYPE, _iri(SKOS + "Concept")))
    return triples


def _typed_date(value: str) -> dict[str, str] | str:
    for pattern, name in _DATE_TYPES:
        if pattern.match(value):
            return {"@value": value, "@type": XSD + name}
    return value


def record_jsonld(view: RecordView) -> dict[str, Any]:
    """The hub record under the hub context, with its assessments (``hub:assessment``).

    It is the record JSON of the golden files with what makes it state exactly the record's
    triples: dates and durations as typed values (the context cannot type them: a date may be a
    year, a date or a date-time), ``hub:qualityLabel`` under its own IRI, and the IRIs the graph
    gives the nodes of agents and concepts without one of their own (``{record}#creator-1``)."""
    record = view.record
    if record is None:
        return graph_jsonld(record_triples(view))
    out: dict[str, Any] = {"@context": HUB_CONTEXT}
    for key, value in record.items():
        if key in ("dateCreated", "datePublished", "dateModified"):
            value = _typed_date(value)
        elif key == "timeRequired" and _DURATION.match(value):
            value = {"@value": value, "@type": XSD + "duration"}
        elif key in AGENT_PROPERTIES or key in CONCEPT_PROPERTIES:
            value = [
                item if "id" in item else {"id": f"{view.iri}#{key}-{n}", **item} for n, item in enumerate(value, 1)
            ]
        elif key == "mainEntityOfPage":
            value = [
                {**page, "dateModified": _typed_date(page["dateModified"])} if "dateModified" in page else page
                for page in value
            ]
        out[("hub:" + key) if key in HUB_PROPERTIES else key] = value
    nodes = _assessment_nodes(view)
    if nodes:
        out["hub:assessment"] = nodes
    if view.cluster is not None:
        out["hub:inCluster"] = _cluster_node(view.cluster, view.iri)
    return out


def _cluster_node(cluster: clusters.ClusterView, record: str) -> dict[str, Any]:
    """The record's cluster with the other members (``@reverse``: they point at it), their pages and
    providers: exactly :meth:`~exchange.clusters.ClusterView.for_record`."""
    node: dict[str, Any] = {
        "id": cluster.iri,
        "type": "hub:Cluster",
        "hub:memberCount": cluster.member_count,
        "hub:clusterKey": list(cluster.keys),
    }
    others = []
    for member in cluster.members:
        if member.iri == record:
            continue
        pages = []
        for page, provider in member.pages:
            item: dict[str, Any] = {"id": page}
            if provider:
                item["provider"] = {"id": provider}
                if provider in cluster.provider_names:
                    item["provider"]["name"] = cluster.provider_names[provider]
            pages.append(item)
        others.append({"id": member.iri, "mainEntityOfPage": pages} if pages else {"id": member.iri})
    if others:
        node["@reverse"] = {"hub:inCluster": others}
    return node


def _assessment_nodes(view: RecordView) -> list[dict[str, Any]]:
    """The nodes the record links with ``hub:assessment``, by IRI, each with its triples by
    predicate and object (their N-Triples forms): the same document whatever order the store
    gives the triples in."""
    link = HUB + "assessment"
    nodes = sorted({t.object.value for t in view.assessment_triples if t.predicate.value == link})
    own: dict[str, list[ox.Triple]] = {node: [] for node in nodes}
    for triple in view.assessment_triples:
        if isinstance(triple.subject, ox.NamedNode) and triple.subject.value in own:
            own[triple.subject.value].append(triple)
    out = []
    for node in nodes:
        found: dict[str, Any] = {"id": node}
        for triple in sorted(own[node], key=_predicate_object):
            predicate = triple.predicate.value
            if predicate == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
                found.setdefault("type", []).append(_hub_compact(triple.object.value))
                continue
            value = jsonld_value(triple.object)
            if isinstance(value, dict) and "@id" in value:
                value = {"id": value["@id"]}
            found.setdefault(_hub_compact(predicate), []).append(value)
        out.append(found)
    return out


def _predicate_object(triple: ox.Triple) -> tuple[str, str]:
    return (triple.predicate.value, str(triple.object))


@functools.lru_cache(maxsize=256)
def _hub_compact(iri: str) -> str:
    """A key or type in a document under the hub context: ``hub:`` and ``skos:`` compacted
    (the context defines both), other IRIs in full (its ``@vocab`` is schema.org)."""
    for prefix, namespace in (("hub", HUB), ("skos", SKOS)):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def record_xml(view: RecordView, prefix: str) -> bytes:
    """The record as the payload of OAI-PMH metadata format ``prefix``."""
    from lxml import etree

    if view.record is None:
        raise NotAcceptable(f"the record {view.iri} cannot be written as {prefix}")
    try:
        element = writers.write(prefix, view.record)
    except (ValueError, KeyError) as error:
        raise NotAcceptable(f"the record {view.iri} cannot be written as {prefix}: {error}") from None
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")
