"""Linked data: every record, concept, scheme and source IRI dereferences; the dataset describes itself.

Plain functions over the hub; :mod:`exchange.api.linkeddata` only moves bytes. docs/linked-data.md
documents the endpoints, formats and status codes. The RDF formats of a resource serialize one set
of triples, and its JSON-LD states exactly those triples.

Modules, lowest first (each imports only modules listed above it):

- :mod:`~exchange.linkeddata.negotiation`: format names and media types, ``?format=`` and
  ``Accept`` (:func:`negotiate`), and the errors the routes answer with: :class:`UnknownFormat`
  (400), :class:`NotFound` (404), :class:`NotAcceptable` (406), :class:`Gone` (410).
- :mod:`~exchange.linkeddata.serialization`: namespaces and prefixes, RDF term helpers, the triples
  of a CONSTRUCT query, Turtle, N-Triples and RDF/XML (:func:`serialize`), and the JSON-LD of any
  set of triples (:func:`graph_jsonld`, :func:`jsonld_bytes`).
- :mod:`~exchange.linkeddata.records`: a record as served (:func:`resource_iri`,
  :func:`record_view`, :class:`RecordView`) and its triples, JSON-LD under the hub context
  (:data:`HUB_CONTEXT`) and OAI-PMH XML.
- :mod:`~exchange.linkeddata.dataset`: the dataset statistics (:func:`stats`) and the per-process
  cache that keeps them for ``STATS_SECONDS`` (:data:`CACHE`); the triples of a source and the
  dataset of its records, of VoID and of the DCAT catalog.
- :mod:`~exchange.linkeddata.vocab`: the concepts and schemes of the hub's vocabularies under
  :data:`VOCAB` (:func:`vocab_iri`, :func:`concept_view`, :class:`ConceptView`), the list of
  schemes, and the records that use a concept.
- :mod:`~exchange.linkeddata.html`: the HTML pages: layout, escaping, links (:func:`local_href`),
  and the record, concept, scheme, scheme list and source pages.
- :mod:`~exchange.linkeddata.schemas`: the files of the shipped schemas/ folder and the JSON-LD
  context document.

This package re-exports what :mod:`exchange.api.linkeddata`, :mod:`exchange.export` (whose
``jsonld`` dump lines are :func:`record_jsonld` documents) and the tests use; import anything
else from its module.
"""

from exchange.linkeddata.dataset import CACHE, Stats, catalog_triples, source_triples, stats, void_triples
from exchange.linkeddata.html import concept_html, local_href, record_html, scheme_list_html, source_html
from exchange.linkeddata.negotiation import (
    DESCRIPTION_FORMATS,
    MEDIA_TYPES,
    PAGE_FORMATS,
    XML_FORMATS,
    Gone,
    NotAcceptable,
    NotFound,
    UnknownFormat,
    format_name,
    negotiate,
)
from exchange.linkeddata.records import (
    HUB_CONTEXT,
    RecordView,
    record_jsonld,
    record_triples,
    record_view,
    record_xml,
    resource_iri,
)
from exchange.linkeddata.schemas import context_document, schema_file, schema_files
from exchange.linkeddata.serialization import graph_jsonld, jsonld_bytes, serialize
from exchange.linkeddata.vocab import VOCAB, ConceptView, concept_view, scheme_list, vocab_iri, vocabulary_graphs

__all__ = [
    "CACHE",
    "DESCRIPTION_FORMATS",
    "HUB_CONTEXT",
    "MEDIA_TYPES",
    "PAGE_FORMATS",
    "VOCAB",
    "XML_FORMATS",
    "ConceptView",
    "Gone",
    "NotAcceptable",
    "NotFound",
    "RecordView",
    "Stats",
    "UnknownFormat",
    "catalog_triples",
    "concept_html",
    "concept_view",
    "context_document",
    "format_name",
    "graph_jsonld",
    "jsonld_bytes",
    "local_href",
    "negotiate",
    "record_html",
    "record_jsonld",
    "record_triples",
    "record_view",
    "record_xml",
    "resource_iri",
    "schema_file",
    "schema_files",
    "scheme_list",
    "scheme_list_html",
    "serialize",
    "source_html",
    "source_triples",
    "stats",
    "vocab_iri",
    "vocabulary_graphs",
    "void_triples",
]
