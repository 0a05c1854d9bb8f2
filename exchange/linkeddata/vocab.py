"""The hub's vocabularies as linked data: a concept or scheme under :data:`VOCAB` as the store
holds it (:class:`ConceptView`: its own triples and the links into it), the list of the hub's
schemes, and how many records use a concept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox

from exchange import vocabularies
from exchange.hub import VOCABULARY_GRAPHS_SETTING, Hub
from exchange.linkeddata.dataset import CACHE, _count, _hub_key
from exchange.linkeddata.negotiation import NotFound
from exchange.linkeddata.serialization import DCT, _construct
from exchange.namespaces import HUB, RDF_TYPE, SCHEMA, SKOS

#: the hub's own concept and scheme IRIs; ``GET /vocab/{path}`` serves ``VOCAB + path``
VOCAB = "https://w3id.org/eduhub/vocab/"

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
    if not iri.startswith(VOCAB) or not _is_iri(iri):
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


def _is_iri(text: str) -> bool:
    """Whether ``text`` is an IRI (RFC 3987, as the store checks it): a candidate decoded from the
    path may hold what no IRI does (``<``, spaces, C1 controls, private-use code points), and must
    neither reach the store, which refuses it, nor end the ``<…>`` of a query."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


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
