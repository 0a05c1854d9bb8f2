"""The hub record: a schema.org LearningResource with LRMI properties, shaped like AMB.

A record is a plain ``dict`` (see schemas/hub-record.schema.json); crosswalks build it,
:func:`validate` checks it, :func:`to_ntriples` turns it into the triples of its
named graph, and :mod:`exchange.model.amb` projects it onto plain AMB JSON-LD.
"""

from exchange.model.from_rdf import NotARecordGraph, record_from_triples
from exchange.model.rdf import to_ntriples
from exchange.model.record import (
    NO_LANGUAGE,
    Record,
    RecordInvalid,
    add_text,
    concept,
    record_iri,
    source_iri,
    validate,
)

__all__ = [
    "NO_LANGUAGE",
    "NotARecordGraph",
    "Record",
    "RecordInvalid",
    "add_text",
    "concept",
    "record_from_triples",
    "record_iri",
    "source_iri",
    "to_ntriples",
    "validate",
]
