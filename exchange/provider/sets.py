"""The provider's sets: one per source, and one per shared concept and tag a record can carry.

Set specs (OAI-PMH 2.0 §3.5: ``:`` separates levels of the hierarchy):

- ``source:{name}``                                  records harvested from that source
- ``subject:{code}``, ``level:{name}``, ``type:{name}``  records whose ``about`` /
  ``educationalLevel`` / ``learningResourceType`` is that concept of the field's shared scheme
- ``tag:{scheme}:{tag}``                              records with that assessment result
  (docs/tagging.md), e.g. ``tag:quality-tier:B``, ``tag:accessibility:captions``

The top levels (``source``, ``subject``, …, ``tag:{scheme}``) are sets too: asking for one
gives the records of all its subsets. Which set a concept gives is computed from the shipped
vocabularies, so a scheme added to vocabularies/ needs no code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from exchange.namespaces import HUB, SCHEMA
from exchange.vocabularies import Index, local_name
from exchange.vocabularies import index as vocabulary_index

TAGS_BASE = "https://w3id.org/eduhub/vocab/tags/"
#: record field → top-level set
CONCEPT_FIELDS = {"about": "subject", "educationalLevel": "level", "learningResourceType": "type"}
TOP_LEVEL = {
    "source": ("Sources", "Records by the repository they were harvested from."),
    "subject": ("Subject areas", "Records by subject (ISCED-F 2013 fields of education)."),
    "level": ("Educational levels", "Records by educational level (ISCED 2011, KIM scheme)."),
    "type": ("Learning resource types", "Records by type (KIM Hochschulcampus Ressourcentypen)."),
    "tag": ("Assessments", "Records by quality, accessibility and sustainability tag (docs/tagging.md)."),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9\-_.!~*'()]")


@dataclass(frozen=True)
class SetInfo:
    spec: str
    name: str
    description: str = ""
    #: the concept or scheme the set stands for ('' for sources and top levels)
    concept: str = ""


def token(text: str) -> str:
    """``text`` with every character a setSpec may not hold (OAI-PMH.xsd setSpecType) made ``-``."""
    return _UNSAFE.sub("-", text) or "-"


def source_set(name: str) -> str:
    return f"source:{token(name)}"


@dataclass(frozen=True)
class Catalogue:
    """Concept IRI → set spec, and every set the hub can list."""

    by_concept: Mapping[str, str]
    concept_sets: tuple[SetInfo, ...]

    def specs(self, concepts: Sequence[str]) -> set[str]:
        return {spec for concept in concepts if (spec := self.by_concept.get(concept))}


def build_catalogue(vocabularies: Index) -> Catalogue:
    by_concept: dict[str, str] = {}
    infos: list[SetInfo] = []
    for field, top in CONCEPT_FIELDS.items():
        scheme = vocabularies.shared_scheme(field)
        if scheme is None:
            continue
        for concept in scheme.concepts:
            spec = f"{top}:{token(local_name(concept, scheme.iri))}"
            by_concept[concept] = spec
            infos.append(SetInfo(spec, _label(vocabularies, concept), concept=concept))
    for scheme in sorted(vocabularies.schemes.values(), key=lambda s: s.iri):
        if not scheme.iri.startswith(TAGS_BASE):
            continue
        scheme_token = token(scheme.iri[len(TAGS_BASE) :].strip("/"))
        infos.append(SetInfo(f"tag:{scheme_token}", scheme_token, concept=scheme.iri))
        for concept in scheme.concepts:
            spec = f"tag:{scheme_token}:{token(local_name(concept, scheme.iri))}"
            by_concept[concept] = spec
            infos.append(SetInfo(spec, _label(vocabularies, concept), concept=concept))
    return Catalogue(by_concept, tuple(infos))


@cache
def catalogue() -> Catalogue:
    return build_catalogue(vocabulary_index())


def all_sets(sources: Sequence[str], catalogue: Catalogue) -> list[SetInfo]:
    """Every set ListSets names, top levels first, then sources, then concepts in spec order."""
    tops = [SetInfo(spec, name, description) for spec, (name, description) in TOP_LEVEL.items()]
    source_sets = [SetInfo(source_set(name), f"Source: {name}") for name in sorted(sources)]
    return tops + source_sets + sorted(catalogue.concept_sets, key=lambda s: s.spec)


def membership_query(graphs: Sequence[str], assessments_graph: str | None) -> str:
    """One SELECT for the set-giving concepts of some record graphs: fields and, when tagged,
    assessment results."""
    values = " ".join(f"<{g}>" for g in graphs)
    fields = " ".join(f"<{SCHEMA}{field}>" for field in CONCEPT_FIELDS)
    query = f"SELECT ?g ?c WHERE {{ VALUES ?g {{ {values} }} {{ VALUES ?p {{ {fields} }} GRAPH ?g {{ ?g ?p ?c }} }}"
    if assessments_graph:
        query += f" UNION {{ GRAPH <{assessments_graph}> {{ ?g <{HUB}assessment> ?a . ?a <{HUB}result> ?c }} }}"
    return query + " }"


def description_query(infos: Sequence[SetInfo]) -> str:
    """English titles, labels and definitions of the sets' concepts and schemes, from the
    vocabulary graphs (ListSets names and setDescriptions)."""
    values = " ".join(f"<{info.concept}>" for info in infos if info.concept)
    return (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX dct: <http://purl.org/dc/terms/> "
        f"SELECT ?c ?p ?text WHERE {{ VALUES ?c {{ {values} }} VALUES ?p {{ dct:title skos:prefLabel "
        'skos:definition dct:description } ?c ?p ?text FILTER(LANGMATCHES(LANG(?text), "en")) }'
    )


def describe(infos: Sequence[SetInfo], rows: Sequence[Mapping[str, str]]) -> list[SetInfo]:
    """``infos`` with names and descriptions from the rows of :func:`description_query`."""
    texts: dict[tuple[str, str], str] = {}
    for row in rows:
        texts.setdefault((row["c"], row["p"].rsplit("/", 1)[-1].rsplit("#", 1)[-1]), row["text"])
    described = []
    for info in infos:
        if not info.concept:
            described.append(info)
            continue
        name = texts.get((info.concept, "title")) or texts.get((info.concept, "prefLabel")) or info.name
        text = texts.get((info.concept, "definition")) or texts.get((info.concept, "description")) or ""
        described.append(SetInfo(info.spec, name, text, info.concept))
    return described


def _label(vocabularies: Index, iri: str) -> str:
    labels = vocabularies.labels(iri)
    return labels.get("en") or next(iter(sorted(labels.values())), "") or iri
