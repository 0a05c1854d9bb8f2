"""RDF terms and their serializations: the namespaces and :data:`PREFIXES`, small term builders,
the triples of a CONSTRUCT query, Turtle, N-Triples and RDF/XML (:func:`serialize`) and the
JSON-LD of a set of triples (:func:`graph_jsonld`), sorted so the output is stable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from exchange.hub import Hub
from exchange.namespaces import HUB, RDF_TYPE, SCHEMA, SKOS, XSD

DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": RDFS,
    "xsd": XSD,
    "schema": SCHEMA,
    "skos": SKOS,
    "dct": DCT,
    "dcat": DCAT,
    "void": VOID,
    "foaf": FOAF,
    "hub": HUB,
    "rule": "https://w3id.org/eduhub/rules/",
}
#: the formats :func:`serialize` writes, as pyoxigraph names them
_OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


# ---------------------------------------------------------------------- serializing triples


def serialize(triples: Iterable[ox.Triple], name: str) -> bytes:
    """Turtle (with :data:`PREFIXES`), N-Triples or RDF/XML, sorted so the output is stable."""
    ordered = sorted(set(triples), key=_triple_key)
    prefixes = used_prefixes(ordered) if name != "ntriples" else None
    return ox.serialize(ordered, format=_OX_FORMATS[name], prefixes=prefixes)


def used_prefixes(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The entries of :data:`PREFIXES` whose namespace some IRI of ``triples`` starts with."""
    iris = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return {p: ns for p, ns in PREFIXES.items() if any(iri.startswith(ns) for iri in iris)}


def _triple_key(triple: ox.Triple) -> tuple[str, str, str]:
    return (str(triple.subject), triple.predicate.value, str(triple.object))


def compact(iri: str) -> str:
    """``prefix:local`` with the longest namespace of :data:`PREFIXES`, else the IRI."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            local = iri[len(namespace) :]
            if local and not local.startswith("//"):
                best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def jsonld_value(term: Any) -> Any:
    """One RDF term as a JSON-LD value in a document whose context declares :data:`PREFIXES`."""
    if isinstance(term, ox.NamedNode):
        return {"@id": term.value}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language is not None:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD + "string":
        return term.value
    return {"@value": term.value, "@type": term.datatype.value}


def graph_jsonld(triples: Iterable[ox.Triple]) -> dict[str, Any]:
    """Triples as a JSON-LD document: one node object per subject, keys compacted with an inline
    context of prefixes only (nothing to fetch)."""
    triples = sorted(set(triples), key=_triple_key)
    nodes: dict[str, dict[str, Any]] = {}
    for triple in triples:
        subject = jsonld_value(triple.subject)["@id"]
        node = nodes.setdefault(subject, {"@id": subject})
        if triple.predicate.value == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact(triple.object.value))
        else:
            node.setdefault(compact(triple.predicate.value), []).append(jsonld_value(triple.object))
    return {"@context": used_prefixes(triples), "@graph": list(nodes.values())}


def jsonld_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


# ---------------------------------------------------------------------- building and reading triples


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _triple(subject: str, predicate: str, obj: Any) -> ox.Triple:
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj)


def _construct(hub: Hub, query: str) -> set[ox.Triple]:
    """The triples of a CONSTRUCT query, as pyoxigraph terms (works on every store backend)."""
    result = hub.store.query(query, graph_format="application/n-triples")
    return {quad.triple for quad in ox.parse(result.body, format=ox.RdfFormat.N_TRIPLES)}
