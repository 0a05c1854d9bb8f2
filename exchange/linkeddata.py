"""Linked data: every record, concept, scheme and source IRI dereferences; the dataset describes itself.

Plain functions over the hub; :mod:`exchange.api.linkeddata` only moves bytes. docs/linked-data.md
documents the endpoints, formats and status codes.

- **Negotiation** (:func:`negotiate`): ``?format=`` wins; otherwise ``Accept`` with q-values, where
  the most specific media range that matches a representation gives its quality (RFC 9110 §12.5.1),
  ties go to an exact match, then to the client's order, then to the resource's own order.
- **One graph per representation**: the RDF formats of a resource serialize one set of triples, and
  its JSON-LD states exactly those triples (the tests expand it offline and compare). A record's
  set is its graph, its assessments, its providers' names and the ``skos:Concept`` type of the
  concepts it links (the last two are what the record JSON carries beyond the record graph).
- **Counts come from the store** (SPARQL), cached per process for :data:`STATS_SECONDS`: the
  dataset description runs on every request and counting every statement is a full scan.
"""

from __future__ import annotations

import html
import json
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pyoxigraph as ox

from exchange import reports, vocabularies, writers
from exchange.hub import VOCABULARY_GRAPHS_SETTING, Hub
from exchange.model import record_from_triples, record_iri, source_iri
from exchange.model.rdf import _DATE_TYPES, _DURATION, AGENT_PROPERTIES, CONCEPT_PROPERTIES, HUB_PROPERTIES
from exchange.namespaces import HUB, RDF_TYPE, SCHEMA, SKOS, XSD
from exchange.provider.sets import source_set
from exchange.resources import data_dir
from exchange.tagging import assessments_graph

#: the IRI of the hub's JSON-LD context (schemas/hub-context.jsonld), as records name it
HUB_CONTEXT = "https://w3id.org/eduhub/context.jsonld"
#: the hub's own concept and scheme IRIs; ``GET /vocab/{path}`` serves ``VOCAB + path``
VOCAB = "https://w3id.org/eduhub/vocab/"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
IANA = "https://www.iana.org/assignments/media-types/"

#: seconds the dataset statistics (VoID, DCAT, source and concept counts) are reused
STATS_SECONDS = 10.0

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

# ---------------------------------------------------------------------- formats and negotiation

#: format name → media type (the ``format`` parameter takes the name)
MEDIA_TYPES = {
    "html": "text/html",
    "jsonld": "application/ld+json",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "lom": "application/xml",
    "oai_dc": "application/xml",
    "eduhub": "application/xml",
}
RDF_FORMATS = ("jsonld", "turtle", "ntriples", "rdfxml")
XML_FORMATS = ("lom", "oai_dc", "eduhub")
#: what a resource with an HTML page offers by Accept, in its order of preference
PAGE_FORMATS = ("html", *RDF_FORMATS)
#: what the dataset descriptions offer (Turtle first: no HTML page)
DESCRIPTION_FORMATS = ("turtle", "jsonld", "ntriples", "rdfxml")
#: other spellings of a format name in ``?format=``
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml"}
#: media types clients also send for a format
_ACCEPT_ALIASES = {
    "application/xhtml+xml": "html",
    "application/json": "jsonld",
    "application/x-turtle": "turtle",
}
_OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


class UnknownFormat(ValueError):
    """``?format=`` names no format the hub has (400)."""


class NotAcceptable(ValueError):
    """No representation of the resource is acceptable (406)."""


class NotFound(LookupError):
    """No such resource (404)."""


class Gone(LookupError):
    """The record was published and then deleted; its tombstone remains (410)."""


def format_name(value: str) -> str:
    """The format a ``?format=`` value names: a name, an alias or a media type."""
    key = value.strip().lower()
    key = FORMAT_ALIASES.get(key, key)
    if key in MEDIA_TYPES:
        return key
    by_media = {media: name for name, media in MEDIA_TYPES.items() if name not in XML_FORMATS}
    by_media.update(_ACCEPT_ALIASES)
    if key in by_media:
        return by_media[key]
    raise UnknownFormat(f"unknown format {value!r}; use one of {', '.join(MEDIA_TYPES)}")


def negotiate(
    accept: str | None, format_param: str | None, offered: Sequence[str], explicit: Sequence[str] = ()
) -> str:
    """The format to answer with: ``format_param`` if given (among ``offered`` or ``explicit``,
    the formats only ``?format=`` reaches), else the best of ``offered`` for ``accept``.

    Raises :class:`UnknownFormat` for a format name the hub does not know and
    :class:`NotAcceptable` when nothing offered is acceptable.
    """
    if format_param is not None:
        name = format_name(format_param)
        if name not in offered and name not in explicit:
            raise NotAcceptable(
                f"this resource has no {name} representation; it has {', '.join([*offered, *explicit])}"
            )
        return name
    ranges = _accept_ranges(accept)
    if not ranges:
        return offered[0]
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for rank, name in enumerate(offered):
        medias = [MEDIA_TYPES[name], *(m for m, n in _ACCEPT_ALIASES.items() if n == name)]
        quality = _quality(medias, ranges)
        if quality is None or quality[0] <= 0:
            continue
        score = (quality[0], quality[1], -quality[2], -rank)
        if best is None or score > best:
            best, chosen = score, name
    if chosen is None:
        wanted = ", ".join(f"{m}/{s}" for m, s, _, _ in ranges)
        media = ", ".join(MEDIA_TYPES[name] for name in offered)
        raise NotAcceptable(f"nothing here matches Accept: {wanted}; this resource comes as {media}")
    return chosen


def _accept_ranges(accept: str | None) -> list[tuple[str, str, float, int]]:
    """(type, subtype, q, position) of each media range of an Accept header."""
    ranges = []
    for position, part in enumerate((accept or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        kind, _, subtype = media.partition("/")
        quality = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
                quality = min(max(quality, 0.0), 1.0) if math.isfinite(quality) else 0.0
        ranges.append((kind.strip(), subtype.strip(), quality, position))
    return ranges


def _quality(medias: Sequence[str], ranges: Sequence[tuple[str, str, float, int]]) -> tuple[float, int, int] | None:
    """(q, specificity, position) of the most specific range matching any of ``medias``."""
    found = None
    for media in medias:
        kind, _, subtype = media.partition("/")
        for r_kind, r_subtype, quality, position in ranges:
            if (r_kind, r_subtype) == (kind, subtype):
                specificity = 2
            elif r_kind == kind and r_subtype == "*":
                specificity = 1
            elif r_kind == "*" and r_subtype == "*":
                specificity = 0
            else:
                continue
            candidate = (specificity, quality, position)
            if found is None or candidate[0] > found[0] or (candidate[0] == found[0] and quality > found[1]):
                found = candidate
    return None if found is None else (found[1], found[0], found[2])


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


# ---------------------------------------------------------------------- small helpers


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _triple(subject: str, predicate: str, obj: Any) -> ox.Triple:
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj)


def _text(value: str, language: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=language) if language else ox.Literal(value)


def _typed(value: Any, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


def _construct(hub: Hub, query: str) -> set[ox.Triple]:
    """The triples of a CONSTRUCT query, as pyoxigraph terms (works on every store backend)."""
    result = hub.store.query(query, graph_format="application/n-triples")
    return {quad.triple for quad in ox.parse(result.body, format=ox.RdfFormat.N_TRIPLES)}


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


def base_path(base: str) -> str:
    """The path of the base IRI (``""`` for ``http://host``): hub pages link below it."""
    return urlsplit(base).path.rstrip("/")


def local_href(base: str, iri: str) -> str | None:
    """Where a page of this hub links for ``iri``: its own pages for hub IRIs and hub vocabulary
    IRIs, the IRI itself for other http(s) IRIs, nothing for the rest (``javascript:`` and co)."""
    if iri.startswith(base + "/"):
        return base_path(base) + iri[len(base) :]
    if iri.startswith(VOCAB):
        return base_path(base) + "/vocab/" + iri[len(VOCAB) :]
    if iri.startswith(("http://", "https://")):
        return iri
    return None


# ---------------------------------------------------------------------- dataset statistics


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


# ---------------------------------------------------------------------- records


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
    return RecordView(iri, source, found, record, assessments)


def record_triples(view: RecordView) -> set[ox.Triple]:
    """The triples every RDF representation of the record states (see the module docstring)."""
    triples = set(view.graph) | view.assessment_triples
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
    return out


def _assessment_nodes(view: RecordView) -> list[dict[str, Any]]:
    by_node: dict[str, dict[str, Any]] = {}
    links = [t.object.value for t in view.assessment_triples if t.predicate.value == HUB + "assessment"]
    for node in sorted(links):
        by_node[node] = {"id": node}
    for triple in sorted(view.assessment_triples, key=_triple_key):
        node = by_node.get(triple.subject.value) if isinstance(triple.subject, ox.NamedNode) else None
        if node is None:
            continue
        predicate = triple.predicate.value
        if predicate == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            node.setdefault("type", []).append(_hub_compact(triple.object.value))
            continue
        value = jsonld_value(triple.object)
        if isinstance(value, dict) and "@id" in value:
            value = {"id": value["@id"]}
        node.setdefault(_hub_compact(predicate), []).append(value)
    return list(by_node.values())


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


# ---------------------------------------------------------------------- HTML


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _lang_attr(language: str | None) -> str:
    """``lang`` of a harvested text: its tag, or ``""`` (unknown) for text without one."""
    if not language or language == "@none":
        return ' lang=""'
    return f' lang="{esc(language)}"'


def _link(base: str, iri: str, text: str | None = None, language: str | None = None) -> str:
    href = local_href(base, iri)
    lang = _lang_attr(language) if language is not None else ""
    shown = esc(text if text is not None else iri)
    if href is None:
        return f"<span{lang}>{shown}</span>"
    return f'<a href="{esc(href)}"{lang}>{shown}</a>'


def _label(iri: str, labels: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """(label, its language) for a concept: English first, then any, else the IRI's last part."""
    labels = labels if labels is not None else vocabularies.labels(iri)
    for language in ("en", "en-US", "en-GB"):
        if labels.get(language):
            return labels[language], language
    for language, text in sorted(labels.items()):
        return text, language
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return tail or iri, None


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.5}"
    "dt{font-weight:bold;margin-top:.5rem}dd{margin-left:1.5rem;white-space:pre-line}table{border-collapse:collapse}"
    "th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    ".iri{font-family:monospace;word-break:break-all}"
)


def page(
    title: str,
    body: str,
    *,
    formats: Sequence[str] = RDF_FORMATS,
    title_lang: str | None = None,
    home: str = "/",
) -> str:
    """A complete HTML document: English chrome, ``lang`` on harvested text, links to the other formats."""
    alternates = "".join(
        f'<link rel="alternate" type="{esc(MEDIA_TYPES[name])}" href="?format={esc(name)}">' for name in formats
    )
    links = "".join(f'<li><a href="?format={esc(name)}">{esc(_FORMAT_LABELS[name])}</a></li>' for name in formats)
    heading_lang = _lang_attr(title_lang) if title_lang is not None else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n{alternates}\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<header><nav aria-label="Hub"><a href="{esc(home)}">EduHub Exchange</a></nav></header>\n'
        f"<main>\n<h1{heading_lang}>{esc(title)}</h1>\n{body}\n"
        f'<nav aria-labelledby="formats-heading"><h2 id="formats-heading">Other formats</h2><ul>{links}</ul></nav>\n'
        "</main>\n</body>\n</html>\n"
    )


_FORMAT_LABELS = {
    "html": "HTML",
    "jsonld": "JSON-LD",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "rdfxml": "RDF/XML",
    "lom": "IEEE LOM (XML)",
    "oai_dc": "Dublin Core (oai_dc XML)",
    "eduhub": "EduHub native (XML)",
}

#: record fields in page order, with their labels
_RECORD_FIELDS = {
    "name": "Title",
    "description": "Description",
    "keywords": "Keywords",
    "url": "Landing page",
    "identifier": "Identifiers",
    "inLanguage": "Languages",
    "learningResourceType": "Learning resource type",
    "educationalLevel": "Educational level",
    "about": "Subject",
    "audience": "Audience",
    "educationalUse": "Educational use",
    "interactivityType": "Interactivity type",
    "typicalAgeRange": "Typical age range",
    "timeRequired": "Time required",
    "creator": "Creators",
    "contributor": "Contributors",
    "publisher": "Publishers",
    "dateCreated": "Created",
    "datePublished": "Published",
    "dateModified": "Modified",
    "version": "Version",
    "license": "Licence",
    "copyrightNotice": "Copyright notice",
    "conditionsOfAccess": "Conditions of access",
    "isAccessibleForFree": "Free of charge",
    "encodingFormat": "Formats",
    "contentSize": "Size (bytes)",
    "accessMode": "Access mode",
    "accessibilityFeature": "Accessibility features",
    "accessibilityHazard": "Accessibility hazards",
    "accessibilityControl": "Accessibility controls",
    "accessibilityAPI": "Accessibility APIs",
    "accessibilitySummary": "Accessibility summary",
    "qualityLabel": "Quality label",
    "type": "Type",
    "mainEntityOfPage": "Harvested from",
}


def section(key: str, heading: str, content: str) -> str:
    """A section labelled by its own h2 (``id`` = ``{key}-heading``)."""
    return f'<section aria-labelledby="{key}-heading"><h2 id="{key}-heading">{esc(heading)}</h2>{content}</section>'


def _texts(value: Mapping[str, Any]) -> str:
    items = []
    for language, text in value.items():
        for one in text if isinstance(text, list) else [text]:
            items.append(f"<dd{_lang_attr(language)}>{esc(one)}</dd>")
    return "".join(items)


def _concept_html(base: str, value: Mapping[str, Any]) -> str:
    if "id" in value:
        text, language = _label(value["id"])
        return f'<dd>{_link(base, value["id"], text, language)} <span class="iri">({esc(value["id"])})</span></dd>'
    labels = value.get("prefLabel") or {}
    if labels:
        text, language = _label("", labels)
        shown = f"<span{_lang_attr(language)}>{esc(text)}</span>"
    else:
        shown = esc(value.get("notation", ""))
    extra = []
    if value.get("notation") and labels:
        extra.append(f"notation {esc(value['notation'])}")
    if value.get("sourceVocabulary"):
        extra.append(f"vocabulary {esc(value['sourceVocabulary'])}")
    if value.get("inScheme"):
        extra.append("scheme " + _link(base, value["inScheme"]))
    note = f" ({'; '.join(extra)})" if extra else ""
    return f"<dd>{shown}{note} <small>(not mapped to a shared concept)</small></dd>"


def _agent_html(base: str, agent: Mapping[str, Any]) -> str:
    name = esc(agent.get("name", ""))
    parts = [_link(base, agent["id"], agent.get("name", "")) if "id" in agent else name]
    parts.append(f"({esc(agent.get('type', ''))})")
    if agent.get("email"):
        parts.append(f"&lt;{esc(agent['email'])}&gt;")
    return f"<dd>{' '.join(parts)}</dd>"


def _page_html(base: str, page_: Mapping[str, Any]) -> str:
    provider = page_.get("provider", {})
    parts = []
    if provider.get("id"):
        parts.append("source " + _link(base, provider["id"], provider.get("name") or provider["id"]))
    parts.append(f'OAI identifier <span class="iri">{esc(page_.get("oaiIdentifier", ""))}</span>')
    parts.append(f"format {esc(page_.get('metadataFormat', ''))}")
    if page_.get("dateModified"):
        parts.append(f"changed {esc(page_['dateModified'])}")
    parts.append(_link(base, page_["id"], "the harvested record"))
    return f"<dd>{', '.join(parts)}</dd>"


def _field_html(base: str, key: str, value: Any) -> str:
    if key in ("name", "description", "copyrightNotice", "accessibilitySummary", "keywords"):
        return _texts(value)
    if key in CONCEPT_PROPERTIES:
        return "".join(_concept_html(base, v) for v in value)
    if key in AGENT_PROPERTIES:
        return "".join(_agent_html(base, v) for v in value)
    if key == "mainEntityOfPage":
        return "".join(_page_html(base, v) for v in value)
    if key == "license":
        text, language = _label(value["id"])
        return f"<dd>{_link(base, value['id'], text, language)}</dd>"
    if key == "url":
        return f"<dd>{_link(base, value)}</dd>"
    if key == "isAccessibleForFree":
        return f"<dd>{'yes' if value else 'no'}</dd>"
    if isinstance(value, list):
        return "".join(f"<dd>{esc(v)}</dd>" for v in value)
    if isinstance(value, dict):
        return f"<dd>{esc(json.dumps(value, ensure_ascii=False))}</dd>"
    return f"<dd>{esc(value)}</dd>"


def record_html(hub: Hub, view: RecordView) -> str:
    base = hub.settings.base
    record = view.record
    if record is None:
        return page(view.iri, _triples_table(base, sorted(record_triples(view), key=_triple_key)), formats=PAGE_FORMATS)
    names = record.get("name") or {}
    title, title_lang = _label("", names) if names else (view.iri, None)
    rows = []
    for key in [*_RECORD_FIELDS, *sorted(k for k in record if k not in _RECORD_FIELDS and k != "id")]:
        if key not in record:
            continue
        rows.append(f"<dt>{esc(_RECORD_FIELDS.get(key, key))}</dt>{_field_html(base, key, record[key])}")
    source = _link(base, source_iri(base, view.source), view.source)
    body = [
        f'<p>Record <span class="iri">{esc(view.iri)}</span> of source {source}.</p>',
        section("fields", "Fields", f"<dl>{''.join(rows)}</dl>"),
        _assessments_html(hub, view),
    ]
    return page(
        title, "\n".join(body), formats=(*PAGE_FORMATS, *XML_FORMATS), title_lang=title_lang, home=base_path(base) + "/"
    )


def _assessments_html(hub: Hub, view: RecordView) -> str:
    base = hub.settings.base
    items = reports.assessments(hub.store, base, view.iri)["assessments"]
    if not items:
        return section("assessments", "Assessments", "<p>None yet.</p>")
    rows = []
    for item in items:
        rule = item["rule"]
        rule_html = esc(rule.get("label") or rule["id"])
        if rule.get("definition"):
            rule_html += f"<br><small>{esc(rule['definition'])}</small>"
        score = "" if item.get("score") is None else esc(item["score"])
        rows.append(
            "<tr>"
            f"<td>{_link(base, item['tag']['id'], item['tag']['label'])}</td>"
            f"<td>{rule_html}</td><td>{score}</td><td>{esc(item.get('evidence', ''))}</td>"
            f"<td>{esc(item['created'])}</td></tr>"
        )
    return section(
        "assessments",
        "Assessments",
        "<p>What the hub's rules found in this record (docs/tagging.md).</p>"
        "<table><caption>Assessments: the tag given, the rule that gave it, score, evidence and time</caption>"
        '<thead><tr><th scope="col">Result</th><th scope="col">Rule</th><th scope="col">Score</th>'
        '<th scope="col">Evidence</th><th scope="col">Assessed</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>",
    )


def _term_html(base: str, term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return _link(base, term.value)
    if isinstance(term, ox.Literal):
        suffix = ""
        if term.datatype.value not in (XSD + "string", PREFIXES["rdf"] + "langString"):
            suffix = f" <small>({esc(compact(term.datatype.value))})</small>"
        lang = _lang_attr(term.language) if term.language else ""
        return f"<span{lang}>{esc(term.value)}</span>{suffix}"
    return esc(str(term))


def _triples_table(base: str, triples: Sequence[ox.Triple], caption: str = "Every statement") -> str:
    rows = "".join(
        f"<tr><td>{_term_html(base, t.subject)}</td><td>{esc(compact(t.predicate.value))}</td>"
        f"<td>{_term_html(base, t.object)}</td></tr>"
        for t in triples
    )
    return (
        f"<table><caption>{esc(caption)}</caption>"
        '<thead><tr><th scope="col">Subject</th><th scope="col">Property</th><th scope="col">Value</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


# ---------------------------------------------------------------------- vocabularies

_MATCH_PREDICATES = tuple(
    SKOS + name for name in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
)
#: links into a concept or scheme that its description includes (from vocabulary graphs only)
_INCOMING = (
    *_MATCH_PREDICATES,
    SKOS + "broader",
    SKOS + "narrower",
    SKOS + "related",
    SKOS + "hasTopConcept",
    SKOS + "topConceptOf",
    SKOS + "inScheme",
)


#: characters no IRI holds (and that would end ``<…>`` in a query)
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def vocabulary_graphs(hub: Hub) -> list[str]:
    """The graphs the hub loaded vocabulary files into (the state remembers them)."""
    loaded = json.loads(hub.state.setting(VOCABULARY_GRAPHS_SETTING) or "{}")
    return sorted(loaded) or sorted(file.graph for file in vocabularies.vocabulary_files())


def _values(variable: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{variable} {{ {' '.join(f'<{iri}>' for iri in iris)} }}"


@dataclass
class ConceptView:
    """A concept or scheme of the hub's vocabularies, as the store holds it."""

    iri: str
    own: set[ox.Triple]
    incoming: set[ox.Triple]
    records: int

    @property
    def triples(self) -> set[ox.Triple]:
        return self.own | self.incoming

    def objects(self, predicate: str) -> list[Any]:
        return sorted((t.object for t in self.own if t.predicate.value == predicate), key=str)

    def subjects(self, predicate: str) -> list[str]:
        return sorted(
            t.subject.value
            for t in self.incoming
            if t.predicate.value == predicate and isinstance(t.subject, ox.NamedNode)
        )

    @property
    def is_scheme(self) -> bool:
        return ox.NamedNode(SKOS + "ConceptScheme") in self.objects(RDF_TYPE)


def vocab_iri(raw_rest: str) -> list[str]:
    """Candidate IRIs for the path after ``/vocab/``: as sent, then percent-decoded."""
    candidates = [VOCAB + raw_rest]
    decoded = VOCAB + unquote(raw_rest)
    if decoded not in candidates:
        candidates.append(decoded)
    return candidates


def concept_view(hub: Hub, iri: str) -> ConceptView:
    """The concept or scheme ``iri``: its own triples in any vocabulary graph, the links into it
    from vocabulary graphs (narrower, mappings, members), and how many records use it."""
    if not iri.startswith(VOCAB) or _NOT_IN_IRI.search(iri):
        raise NotFound(f"no concept or scheme {iri}")
    graphs = _values("g", vocabulary_graphs(hub))
    own = _construct(hub, f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ {graphs} GRAPH ?g {{ <{iri}> ?p ?o }} }}")
    if not own:
        raise NotFound(f"no concept or scheme {iri}")
    incoming = _construct(
        hub,
        f"CONSTRUCT {{ ?s ?p <{iri}> }} WHERE {{ {graphs} {_values('p', _INCOMING)} GRAPH ?g {{ ?s ?p <{iri}> }} }}",
    )
    return ConceptView(iri, own, incoming, records_using(hub, iri))


def records_using(hub: Hub, iri: str) -> int:
    """Records that link the concept (any property) or carry an assessment with it as result."""
    query = f"""SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{
  {{ ?r ?p <{iri}> }} UNION {{ ?r <{HUB}assessment> ?a . ?a <{HUB}result> <{iri}> }}
  ?r a <{SCHEMA}LearningResource> }}"""
    return CACHE.get(("uses", *_hub_key(hub), iri), lambda: _count(hub, query))


def records_using_query(iri: str) -> str:
    """The SPARQL query a page links to: the records using a concept."""
    return (
        f"SELECT DISTINCT ?record WHERE {{ {{ ?record ?p <{iri}> }} UNION "
        f"{{ ?record <{HUB}assessment>/<{HUB}result> <{iri}> }} ?record a <{SCHEMA}LearningResource> }} LIMIT 100"
    )


def scheme_list(hub: Hub) -> set[ox.Triple]:
    """The hub's own schemes (under :data:`VOCAB`): their type and titles."""
    graphs = _values("g", vocabulary_graphs(hub))
    return _construct(
        hub,
        f"""CONSTRUCT {{ ?s a <{SKOS}ConceptScheme> . ?s <{DCT}title> ?t }} WHERE {{ {graphs}
  GRAPH ?g {{ ?s a <{SKOS}ConceptScheme> OPTIONAL {{ ?s <{DCT}title> ?t }} }}
  FILTER(STRSTARTS(STR(?s), "{VOCAB}")) }}""",
    )


def _literals_html(terms: Iterable[Any]) -> str:
    out = []
    for term in terms:
        if isinstance(term, ox.Literal):
            out.append(f"<dd{_lang_attr(term.language)}>{esc(term.value)}</dd>")
        elif isinstance(term, ox.NamedNode):
            out.append(f"<dd>{esc(term.value)}</dd>")
    return "".join(out)


def _concepts_html(base: str, iris: Iterable[str]) -> str:
    out = []
    for iri in iris:
        text, language = _label(iri)
        out.append(f"<dd>{_link(base, iri, text, language)}</dd>")
    return "".join(out)


def _iris(terms: Iterable[Any]) -> list[str]:
    return [t.value for t in terms if isinstance(t, ox.NamedNode)]


def concept_html(hub: Hub, view: ConceptView) -> str:
    base = hub.settings.base
    home = base_path(base) + "/"
    if view.is_scheme:
        return _scheme_html(hub, view, home)
    labels = {t.language or "": t.value for t in view.objects(SKOS + "prefLabel") if isinstance(t, ox.Literal)}
    title, title_lang = _label(view.iri, {k: v for k, v in labels.items() if k} or labels)
    rows = [f'<dt>IRI</dt><dd class="iri">{esc(view.iri)}</dd>']
    sections = [
        ("Preferred labels", _literals_html(view.objects(SKOS + "prefLabel"))),
        ("Alternative labels", _literals_html(view.objects(SKOS + "altLabel"))),
        ("Notation", _literals_html(view.objects(SKOS + "notation"))),
        ("Definition", _literals_html(view.objects(SKOS + "definition"))),
        ("Scope note", _literals_html(view.objects(SKOS + "scopeNote"))),
        (
            "In scheme",
            _concepts_html(base, _iris(view.objects(SKOS + "inScheme") + view.objects(SKOS + "topConceptOf"))),
        ),
        (
            "Broader",
            _concepts_html(base, sorted({*_iris(view.objects(SKOS + "broader")), *view.subjects(SKOS + "narrower")})),
        ),
        (
            "Narrower",
            _concepts_html(base, sorted({*_iris(view.objects(SKOS + "narrower")), *view.subjects(SKOS + "broader")})),
        ),
        (
            "Related",
            _concepts_html(base, sorted({*_iris(view.objects(SKOS + "related")), *view.subjects(SKOS + "related")})),
        ),
    ]
    for predicate in _MATCH_PREDICATES:
        name = predicate[len(SKOS) :]
        sections.append((f"Mapped: {name} (from here)", _concepts_html(base, _iris(view.objects(predicate)))))
        sections.append((f"Mapped: {name} (to here)", _concepts_html(base, view.subjects(predicate))))
    rows += [f"<dt>{esc(label)}</dt>{items}" for label, items in sections if items]
    query = quote(records_using_query(view.iri))
    rows.append(
        f'<dt>Records using it</dt><dd><a href="{esc(base_path(base))}/sparql?query={esc(query)}">'
        f"{view.records} record{'s' if view.records != 1 else ''}</a></dd>"
    )
    body = f"<dl>{''.join(rows)}</dl>\n" + _triples_table(base, sorted(view.triples, key=_triple_key))
    return page(title, body, formats=PAGE_FORMATS, title_lang=title_lang, home=home)


def _scheme_html(hub: Hub, view: ConceptView, home: str) -> str:
    base = hub.settings.base
    titles = [t for t in view.objects(DCT + "title") if isinstance(t, ox.Literal)]
    title, title_lang = _label(view.iri, {t.language or "": t.value for t in titles})
    members = sorted({*view.subjects(SKOS + "inScheme"), *view.subjects(SKOS + "topConceptOf")})
    top = sorted({*_iris(view.objects(SKOS + "hasTopConcept")), *view.subjects(SKOS + "topConceptOf")})
    rows = [f'<dt>IRI</dt><dd class="iri">{esc(view.iri)}</dd>']
    for label, predicate in (
        ("Title", DCT + "title"),
        ("Description", DCT + "description"),
        ("Creator", DCT + "creator"),
        ("Publisher", DCT + "publisher"),
    ):
        items = _literals_html(view.objects(predicate))
        if items:
            rows.append(f"<dt>{label}</dt>{items}")
    for label, predicate in (("Licence", DCT + "license"), ("Source", DCT + "source")):
        links = "".join(f"<dd>{_link(base, iri)}</dd>" for iri in _iris(view.objects(predicate)))
        if links:
            rows.append(f"<dt>{label}</dt>{links}")
    rows.append(f"<dt>Concepts</dt><dd>{len(members)}</dd>")
    if top:
        rows.append(f"<dt>Top concepts</dt>{_concepts_html(base, top)}")
    listing = "".join(f"<li>{_link(base, iri, *_label(iri))}</li>" for iri in members)
    body = (
        f"<dl>{''.join(rows)}</dl>\n"
        + section("concepts", "All concepts", f"<ul>{listing}</ul>")
        + "\n"
        + _triples_table(base, sorted(view.own, key=_triple_key), "The scheme's own statements")
    )
    return page(title, body, formats=PAGE_FORMATS, title_lang=title_lang, home=home)


def scheme_list_html(hub: Hub, triples: set[ox.Triple]) -> str:
    base = hub.settings.base
    titles: dict[str, dict[str, str]] = defaultdict(dict)
    schemes = sorted({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)})
    for t in triples:
        if t.predicate.value == DCT + "title" and isinstance(t.object, ox.Literal):
            titles[t.subject.value][t.object.language or ""] = t.object.value
    items = []
    for iri in schemes:
        text, language = _label(iri, titles.get(iri, {}))
        items.append(f'<li>{_link(base, iri, text, language)} <span class="iri">{esc(iri)}</span></li>')
    body = f"<p>The concept schemes of this hub ({len(schemes)}).</p><ul>{''.join(items)}</ul>"
    return page("Vocabularies", body, formats=PAGE_FORMATS, home=base_path(base) + "/")


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


def source_html(hub: Hub, name: str, triples: set[ox.Triple], counts: Stats) -> str:
    base = hub.settings.base
    source = next((s for s in hub.state.sources() if s.name == name), None)
    rows = [f'<dt>IRI</dt><dd class="iri">{esc(source_iri(base, name))}</dd>']
    records = counts.by_source.get(name, 0)
    rows.append(f"<dt>Records</dt><dd>{records}</dd>")
    if source is not None:
        rows.append(f"<dt>OAI-PMH base URL</dt><dd>{_link(base, source.base_url)}</dd>")
        if source.set_spec:
            rows.append(f"<dt>Set harvested</dt><dd>{esc(source.set_spec)}</dd>")
        rows.append(
            f"<dt>Last harvest</dt><dd>{esc(source.last_run_at or 'never')} ({esc(source.last_status or '-')})</dd>"
        )
    licence = counts.licences.get(name)
    if licence:
        text, language = _label(licence[0])
        rows.append(
            f"<dt>Most common licence</dt><dd>{_link(base, licence[0], text, language)} ({licence[1]} records)</dd>"
        )
    report = f"{base_path(base)}/api/sources/{quote(name, safe='')}/report"
    rows.append(f'<dt>Report</dt><dd><a href="{esc(report)}">quality, accessibility and sustainability (JSON)</a></dd>')
    oai = sorted(
        t.object.value for t in triples if t.predicate.value == DCAT + "accessURL" and "/oai?" in t.object.value
    )
    links = "".join(f"<li>{_link(base, url)}</li>" for url in oai)
    links += f"<li>{_link(base, dump_url(base), 'Dump of the whole hub (N-Quads, gzip)')}</li>"
    body = f"<dl>{''.join(rows)}</dl>\n" + section("distributions", "Get the records", f"<ul>{links}</ul>")
    return page(f"Source {name}", body, formats=PAGE_FORMATS, home=base_path(base) + "/")


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
    latest = hub.publication.db.execute("SELECT MAX(datestamp) FROM oai_items").fetchone()[0]
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


# ---------------------------------------------------------------------- schema files

_SCHEMA_MEDIA = {
    ".jsonld": "application/ld+json",
    ".json": "application/schema+json",
    ".xsd": "application/xml",
}


def schema_file(name: str) -> tuple[Path, str] | None:
    """A file of the shipped schemas/ folder by its exact name, with its media type; None for
    anything else (other folders, ``..``, hidden files): the name is looked up, never joined."""
    folder = data_dir("schemas")
    files = {p.name: p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}
    path = files.get(name)
    if path is None:
        return None
    media = next((m for suffix, m in _SCHEMA_MEDIA.items() if name.endswith(suffix)), "application/octet-stream")
    return path, media


def schema_files() -> list[str]:
    folder = data_dir("schemas")
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def context_document() -> bytes:
    return data_dir("schemas").joinpath("hub-context.jsonld").read_bytes()
