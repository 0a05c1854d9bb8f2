"""The concept schemes shipped in vocabularies/, indexed for the crosswalks."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from exchange.namespaces import RDF_TYPE, SKOS
from exchange.resources import data_dir

_CONCEPT_SCHEME = ox.NamedNode(SKOS + "ConceptScheme")


@dataclass(frozen=True)
class Scheme:
    iri: str
    path: Path
    #: concept IRIs by local name (the part after the scheme IRI)
    concepts: dict[str, str]

    def lookup(self, value: str) -> str | None:
        """The concept for a LOM-style token (``narrative text`` → ``…/narrative_text``)."""
        return self.concepts.get(value.strip().lower().replace(" ", "_"))


def _read_scheme(path: Path) -> Scheme:
    triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    schemes = [t.subject.value for t in triples if t.predicate.value == RDF_TYPE and t.object == _CONCEPT_SCHEME]
    if len(schemes) != 1:
        raise ValueError(f"{path.name}: expected one skos:ConceptScheme, found {len(schemes)}")
    scheme = schemes[0]
    concepts = {
        t.subject.value[len(scheme) :]: t.subject.value
        for t in triples
        if t.predicate.value == RDF_TYPE and t.object.value == SKOS + "Concept" and t.subject.value.startswith(scheme)
    }
    return Scheme(iri=scheme, path=path, concepts=concepts)


@cache
def schemes() -> dict[str, Scheme]:
    """Every shipped scheme by IRI."""
    found = [_read_scheme(path) for path in sorted(data_dir("vocabularies").glob("*.ttl"))]
    return {scheme.iri: scheme for scheme in found}


def scheme(iri: str) -> Scheme:
    try:
        return schemes()[iri]
    except KeyError:
        raise LookupError(f"vocabulary {iri!r} is not shipped in vocabularies/") from None
