"""Mapping at ingest: a source's controlled value → concepts of the shared schemes.

Every crosswalk hands its controlled values here, so mapping is one rule for all
formats and all of it is data (vocabularies/: schemes, LOM bindings, mapping sets):

1. Find the source's own concept: the value itself when it is a concept IRI (ScoLOMFR,
   HS-OER-LOM), else the concept with that notation or label in the scheme bound to the
   LOM element and ``<source>`` string (``LOMv1.0``, ``LOM-ESv1.0``, an Edurep vdex URL).
2. Follow its mappings onto the shared scheme of the hub field (exact, close and broad
   matches; see :func:`exchange.vocabularies.shared_concepts`).
3. The record gets the shared concepts first, then the source's own concept (kept so
   nothing is lost), or, when no concept is known, the literal with its vocabulary.

The coverage report counts the outcome: *mapped* when a shared concept was reached,
*kept* otherwise (with the reason).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from exchange import vocabularies
from exchange.crosswalks import trace
from exchange.model import Record, concept
from exchange.normalize import web_url


def controlled_value(
    field: str,
    value: str,
    *,
    source: str | None = None,
    lom_element: str | None = None,
    labels: dict[str, str] | None = None,
    nodes: Sequence[Hashable | None] = (),
) -> list[dict[str, Any]]:
    """The concepts a controlled value becomes in ``record[field]``; the source ``nodes`` that
    carried it (value, source, labels) get its verdict in the coverage report."""
    value = value.strip()
    if not value:
        return []
    source_iri: str | None = None
    iri = web_url(value)
    if iri:
        source_iri = vocabularies.canonical(iri)
    elif source and lom_element:
        scheme = vocabularies.for_lom(lom_element, source)
        if scheme is not None:
            source_iri = scheme.lookup(value)
    if source_iri is None:
        _mark(nodes, trace.KEPT, f"no concept for this value in vocabulary {source or 'unnamed'!r}")
        return [concept(notation=value, labels=labels or None, source_vocabulary=source or None)]
    shared = vocabularies.shared_concepts(source_iri, field)
    scheme = vocabularies.shared_scheme(field)
    scheme_iri = scheme.iri if scheme else None
    out = [
        # The source's own concept, when it is itself in the shared scheme, keeps what the source said of it.
        concept(target, labels=labels or None, scheme=scheme_iri, source_vocabulary=source or None)
        if target == source_iri
        else concept(target, scheme=scheme_iri)
        for target in shared
    ]
    if source_iri not in shared:
        own = vocabularies.scheme_of(source_iri)
        out.append(
            concept(
                source_iri,
                notation=None if iri else value,
                labels=labels or None,
                scheme=own.iri if own else None,
                source_vocabulary=source or None,
            )
        )
    if shared:
        _mark(nodes, trace.MAPPED)
    else:
        _mark(nodes, trace.KEPT, "concept has no mapping onto the shared scheme")
    return out


def _mark(nodes: Sequence[Hashable | None], status: str, note: str = "") -> None:
    for node in nodes:
        trace.mark(node, status, note)


def add_concepts(record: Record, field: str, values: list[dict[str, Any]]) -> None:
    """Append concepts to ``record[field]``, skipping ones already there (by id, else whole value)."""
    if not values:
        return
    present = record.setdefault(field, [])
    ids = {c["id"] for c in present if "id" in c}
    for value in values:
        if ("id" in value and value["id"] in ids) or value in present:
            continue
        present.append(value)
        if "id" in value:
            ids.add(value["id"])
