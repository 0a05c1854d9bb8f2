"""The triples of one record graph → the hub record: the inverse of :func:`exchange.model.rdf.to_ntriples`.

For every record ``to_ntriples`` can write, ``to_ntriples(record_from_triples(s, T))`` gives the
same triples ``T`` (as RDF terms: pyoxigraph lower-cases language tags, this module gives them
back their BCP 47 case, so ``fr-CA`` stays ``fr-CA``). The OAI-PMH provider uses it to rebuild
records from the store; the native crosswalk (:mod:`exchange.crosswalks.native`) to read another
hub's records.

What RDF does not say comes back in a fixed order:

* language maps: untagged text under ``@none``; keywords, ``inLanguage``, ``identifier``,
  ``encodingFormat`` and the extra ``type`` values sorted (``LearningResource`` first);
* agents and concepts: a node named ``{record}#{key}-{n}`` (a nested agent, an unmapped concept)
  goes back to position ``n``, so writing the record again gives it the same IRI; nodes with their
  own IRI fill the other positions in IRI order. A gap no such node can fill (the source listed
  the same IRI twice) is filled by repeating one, which adds no triple (up to :data:`MAX_REPEATS`
  repeats: a graph that needs more is refused). An agent IRI with several names (the same id
  given to two agents) becomes one agent per name;
* concepts with an IRI come back as ``{"type": "Concept", "id": …}``: their labels, notation and
  scheme live in the vocabulary graph, not in the record graph (to_ntriples writes the link only);
* provenance pages in IRI order; the provider's name, which the record graph does not hold (it
  lives once in the sources graph), comes from ``provider_names`` or else is the last path
  segment of the provider IRI, url-unquoted (the source name in ``{base}/sources/{name}``).

Unknown triples are an error, never dropped: a triple ``to_ntriples`` cannot have written (an
unknown predicate, a blank node, a literal of another datatype or language, a second value of a
single-valued field, a node no link of the record reaches) raises :class:`NotARecordGraph`, a
``ValueError`` whose message names the triple. The native format is lossless, so a hub that
reads it either gets the whole graph back or refuses it. Values are taken as the graph gives
them; :func:`exchange.model.validate` checks the result against the record schema.

Speed: one pass groups the triples by subject and predicate (dict lookups, no regular
expressions); dates and durations are checked against their datatype (they are few).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from pyoxigraph import Literal, NamedNode

from exchange.model.rdf import (
    _DATE_TYPES,
    _DURATION,
    AGENT_PROPERTIES,
    CONCEPT_PROPERTIES,
    DATE_PROPERTIES,
    HUB_PROPERTIES,
    TEXT_PROPERTIES,
)
from exchange.model.record import NO_LANGUAGE, Record
from exchange.namespaces import HUB, RDF_TYPE, SCHEMA, SKOS, XSD
from exchange.normalize import subtag_case


class NotARecordGraph(ValueError):
    """The triples are not a graph :func:`exchange.model.rdf.to_ntriples` writes; the message names the triple."""


_STRING = NamedNode(XSD + "string")
_BOOLEAN = NamedNode(XSD + "boolean")
_INTEGER = NamedNode(XSD + "integer")
_DURATION_TYPE = NamedNode(XSD + "duration")
_DATE_DATATYPES = {XSD + name: name for _, name in _DATE_TYPES}

_NAME = SCHEMA + "name"
_EMAIL = SCHEMA + "email"
_PROVIDER = SCHEMA + "provider"
_DATE_MODIFIED = SCHEMA + "dateModified"
_OAI_IDENTIFIER = HUB + "oaiIdentifier"
_METADATA_FORMAT = HUB + "metadataFormat"
_PREF_LABEL = SKOS + "prefLabel"
_NOTATION = SKOS + "notation"
_IN_SCHEME = SKOS + "inScheme"
_SOURCE_VOCABULARY = HUB + "sourceVocabulary"
_AGENT_TYPES = {SCHEMA + "Person": "Person", SCHEMA + "Organization": "Organization"}
_CONCEPT_TYPE = SKOS + "Concept"
_PAGE_TYPE = SCHEMA + "WebContent"

#: what each role of a node may say about it besides rdf:type (a node can have several roles)
_AGENT_PREDICATES = frozenset({_NAME, _EMAIL})
_CONCEPT_PREDICATES = frozenset({_PREF_LABEL, _NOTATION, _IN_SCHEME, _SOURCE_VOCABULARY})
_PAGE_PREDICATES = frozenset({_PROVIDER, _DATE_MODIFIED, _OAI_IDENTIFIER, _METADATA_FORMAT})

#: how many repeated values a list may need before a nested node's position (see :func:`_place`)
MAX_REPEATS = 1000

Objects = list[Any]  # pyoxigraph terms: NamedNode, Literal, BlankNode, Triple
Graph = dict[str, dict[str, Objects]]


def _nt(subject: str, predicate: str, obj: Any) -> str:
    return f"<{subject}> <{predicate}> {obj} ."


# ---------------------------------------------------------------------- literals


@lru_cache(maxsize=4096)
def language_case(tag: str) -> str:
    """A language tag in BCP 47 case (RFC 5646 §2.1.1: ``zh-Hant-TW``); RDF parsers give it in lower case."""
    return subtag_case(tag.lower().split("-"))


def _plain(subject: str, predicate: str, obj: Any) -> str:
    """The text of a literal without language or datatype (what ``literal(text)`` writes)."""
    if type(obj) is Literal and obj.language is None and obj.datatype == _STRING:
        return obj.value
    raise NotARecordGraph(f"expected a plain literal: {_nt(subject, predicate, obj)}")


def _text(subject: str, predicate: str, obj: Any) -> tuple[str, str]:
    """(language or ``@none``, text) of a language-tagged or plain literal."""
    if type(obj) is Literal:
        language = obj.language
        if language is None:
            if obj.datatype == _STRING:
                return NO_LANGUAGE, obj.value
        elif obj.direction is None:
            return language_case(language), obj.value
    raise NotARecordGraph(f"expected a plain or language-tagged literal: {_nt(subject, predicate, obj)}")


def _iri(subject: str, predicate: str, obj: Any) -> str:
    if type(obj) is NamedNode:
        return obj.value
    raise NotARecordGraph(f"expected an IRI: {_nt(subject, predicate, obj)}")


def _date(subject: str, predicate: str, obj: Any) -> str:
    """A date literal whose datatype is the one ``date_literal`` picks for its value."""
    if type(obj) is Literal and obj.language is None:
        name = _DATE_DATATYPES.get(obj.datatype.value)
        if name is not None:
            value = obj.value
            for pattern, expected in _DATE_TYPES:
                if pattern.match(value):
                    if expected == name:
                        return value
                    break
    raise NotARecordGraph(f"expected an xsd date literal matching its datatype: {_nt(subject, predicate, obj)}")


def _single(subject: str, predicate: str, objects: Objects) -> Any:
    if len(objects) != 1:
        raise NotARecordGraph(
            f"<{predicate}> holds one value in a hub record, the graph gives {len(objects)}: "
            + " ".join(_nt(subject, predicate, o) for o in objects[:3])
        )
    return objects[0]


# ---------------------------------------------------------------------- properties of the record


def _set_type(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    types: list[str] = []
    for obj in objects:
        value = _iri(s, p, obj)
        local = value[len(SCHEMA) :]
        if not (value.startswith(SCHEMA) and local[:1].isupper() and local.isascii() and local.isalnum()):
            raise NotARecordGraph(f"expected a schema.org class: {_nt(s, p, obj)}")
        types.append(local)
    types.sort(key=lambda t: (t != "LearningResource", t))
    record["type"] = types


def _set_text(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    texts: dict[str, str] = {}
    for obj in objects:
        language, text = _text(s, p, obj)
        if language in texts:
            raise NotARecordGraph(f"a second {key} in language {language}: {_nt(s, p, obj)}")
        texts[language] = text
    record[key] = dict(sorted(texts.items()))


def _set_keywords(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    words: dict[str, list[str]] = {}
    for obj in objects:
        language, text = _text(s, p, obj)
        words.setdefault(language, []).append(text)
    record[key] = {language: sorted(words[language]) for language in sorted(words)}


def _set_plain_list(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    record[key] = sorted(_plain(s, p, obj) for obj in objects)


def _set_plain(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    record[key] = _plain(s, p, _single(s, p, objects))


def _set_iri(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    record[key] = _iri(s, p, _single(s, p, objects))


def _set_license(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    record[key] = {"id": _iri(s, p, _single(s, p, objects))}


def _set_date(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    record[key] = _date(s, p, _single(s, p, objects))


def _set_boolean(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    obj = _single(s, p, objects)
    if type(obj) is Literal and obj.datatype == _BOOLEAN and obj.value in ("true", "false"):
        record[key] = obj.value == "true"
        return
    raise NotARecordGraph(f'expected "true" or "false" as xsd:boolean: {_nt(s, p, obj)}')


def _set_integer(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    obj = _single(s, p, objects)
    if type(obj) is Literal and obj.datatype == _INTEGER:
        value = obj.value
        if value.isascii() and value.isdigit() and str(int(value)) == value:
            record[key] = int(value)
            return
    raise NotARecordGraph(f"expected a non-negative xsd:integer in canonical form: {_nt(s, p, obj)}")


def _set_duration(record: Record, s: str, p: str, objects: Objects, key: str) -> None:
    """``timeRequired``: xsd:duration when the value is an ISO 8601 duration, a plain literal otherwise."""
    obj = _single(s, p, objects)
    if type(obj) is Literal and obj.language is None:
        value = obj.value
        is_duration = _DURATION.match(value) is not None
        datatype = obj.datatype
        if (is_duration and datatype == _DURATION_TYPE) or (not is_duration and datatype == _STRING):
            record[key] = value
            return
    raise NotARecordGraph(f"expected an xsd:duration, or a plain literal that is not one: {_nt(s, p, obj)}")


# ---------------------------------------------------------------------- nested nodes


class _Reader:
    """State of one call: the graph by subject, the claims of every node's roles, provider names."""

    def __init__(self, subject: str, graph: Graph, provider_names: Mapping[str, str] | None) -> None:
        self.subject = subject
        self.graph = graph
        self.provider_names = provider_names or {}
        #: node → predicates its roles read (rdf:type as (RDF_TYPE, class IRI))
        self.claims: dict[str, set[Any]] = {}

    def node(self, node: str, role: str) -> dict[str, Objects]:
        if node == self.subject:
            raise NotARecordGraph(f"the record {role} is the record itself: <{node}>")
        props = self.graph.get(node)
        if props is None:
            raise NotARecordGraph(f"the record links a {role} <{node}> the graph says nothing about")
        return props

    def claim_types(self, node: str, props: dict[str, Objects], classes: Container[str]) -> list[str]:
        """The node's rdf:type values among ``classes`` (claimed for this role)."""
        claims = self.claims.setdefault(node, set())
        found = []
        for obj in props.get(RDF_TYPE, ()):
            if type(obj) is NamedNode and obj.value in classes:
                claims.add((RDF_TYPE, obj.value))
                found.append(obj.value)
        return found

    def agents(self, key: str, nodes: list[str]) -> list[dict[str, Any]]:
        prefix = f"{self.subject}#{key}-"
        positional: dict[int, dict[str, Any]] = {}
        others: list[dict[str, Any]] = []
        for node in sorted(nodes):
            props = self.node(node, f"{key} agent")
            types = sorted(_AGENT_TYPES[t] for t in self.claim_types(node, props, _AGENT_TYPES))
            names = sorted(_plain(node, _NAME, o) for o in props.get(_NAME, ()))
            emails = sorted(_plain(node, _EMAIL, o) for o in props.get(_EMAIL, ()))
            if not types or not names:
                raise NotARecordGraph(f"{key} <{node}> needs a schema:Person or schema:Organization type and a name")
            self.claims[node].update(_AGENT_PREDICATES)
            agents = []
            for i in range(max(len(types), len(names), len(emails))):
                agent = {"type": types[min(i, len(types) - 1)], "name": names[min(i, len(names) - 1)]}
                if i < len(emails):
                    agent["email"] = emails[i]
                agents.append(agent)
            position = _position(node, prefix)
            if position is not None and position not in positional:
                positional[position] = agents.pop(0)
            others.extend({"id": node, **agent} for agent in agents)
        # A filler repeats an agent with an IRI (the positional one under its IRI if there is no other).
        return _place(positional, others, lambda: dict(others[0]) if others else _as_identified(positional, prefix))

    def concepts(self, key: str, nodes: list[str]) -> list[dict[str, Any]]:
        prefix = f"{self.subject}#{key}-"
        positional: dict[int, dict[str, Any]] = {}
        others: list[dict[str, Any]] = []
        for node in sorted(nodes):
            position = _position(node, prefix)
            props = self.graph.get(node)
            if position is not None and props is not None and _is_concept(props):
                positional[position] = self.unmapped_concept(node, props)
            else:
                # A concept with an IRI: to_ntriples writes the link only.
                others.append({"type": "Concept", "id": node})
        nodes_sorted = sorted(nodes)
        return _place(positional, others, lambda: {"type": "Concept", "id": nodes_sorted[0]})

    def unmapped_concept(self, node: str, props: dict[str, Objects]) -> dict[str, Any]:
        if node == self.subject:
            raise NotARecordGraph(f"the record is its own concept: <{node}>")
        self.claim_types(node, props, (_CONCEPT_TYPE,))
        self.claims[node].update(_CONCEPT_PREDICATES)
        value: dict[str, Any] = {"type": "Concept"}
        if _NOTATION in props:
            value["notation"] = _plain(node, _NOTATION, _single(node, _NOTATION, props[_NOTATION]))
        if _PREF_LABEL in props:
            _set_text(value, node, _PREF_LABEL, props[_PREF_LABEL], "prefLabel")
        if _IN_SCHEME in props:
            value["inScheme"] = _iri(node, _IN_SCHEME, _single(node, _IN_SCHEME, props[_IN_SCHEME]))
        if _SOURCE_VOCABULARY in props:
            objects = props[_SOURCE_VOCABULARY]
            value["sourceVocabulary"] = _plain(node, _SOURCE_VOCABULARY, _single(node, _SOURCE_VOCABULARY, objects))
        if "notation" not in value and "prefLabel" not in value:
            raise NotARecordGraph(f"concept <{node}> has no IRI of its own and neither notation nor prefLabel")
        return value

    def pages(self, nodes: list[str]) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        for node in sorted(nodes):
            props = self.node(node, "provenance page")
            if not self.claim_types(node, props, (_PAGE_TYPE,)):
                raise NotARecordGraph(f"provenance page <{node}> is not a schema:WebContent")
            self.claims[node].update(_PAGE_PREDICATES)
            providers = sorted(_iri(node, _PROVIDER, o) for o in props.get(_PROVIDER, ()))
            identifiers = sorted(_plain(node, _OAI_IDENTIFIER, o) for o in props.get(_OAI_IDENTIFIER, ()))
            formats = sorted(_plain(node, _METADATA_FORMAT, o) for o in props.get(_METADATA_FORMAT, ()))
            dates = sorted(_date(node, _DATE_MODIFIED, o) for o in props.get(_DATE_MODIFIED, ()))
            if not providers or not identifiers or not formats:
                raise NotARecordGraph(
                    f"provenance page <{node}> needs schema:provider, hub:oaiIdentifier and hub:metadataFormat"
                )
            for i in range(max(len(providers), len(identifiers), len(formats), len(dates))):
                provider = providers[min(i, len(providers) - 1)]
                page: dict[str, Any] = {
                    "id": node,
                    "type": "WebContent",
                    "provider": {"id": provider, "name": self.provider_name(provider)},
                    "oaiIdentifier": identifiers[min(i, len(identifiers) - 1)],
                    "metadataFormat": formats[min(i, len(formats) - 1)],
                }
                if i < len(dates):
                    page["dateModified"] = dates[i]
                pages.append(page)
        return pages

    def provider_name(self, provider: str) -> str:
        name = self.provider_names.get(provider)
        if name:
            return name
        return unquote(provider.rstrip("/").rsplit("/", 1)[-1].partition("?")[0].partition("#")[0]) or provider

    def check_claimed(self) -> None:
        """Every triple of every node is something a role read: else it is unknown, and named."""
        for node, props in self.graph.items():
            claims = self.claims.get(node)
            if claims is None:
                predicate, objects = next(iter(props.items()))
                raise NotARecordGraph(
                    "triple about a node the record links by IRI only, or not at all: "
                    + _nt(node, predicate, objects[0])
                )
            for predicate, objects in props.items():
                if predicate == RDF_TYPE:
                    for obj in objects:
                        if type(obj) is not NamedNode or (RDF_TYPE, obj.value) not in claims:
                            raise NotARecordGraph(f"unknown type of a node: {_nt(node, predicate, obj)}")
                elif predicate not in claims:
                    raise NotARecordGraph(f"unknown triple: {_nt(node, predicate, objects[0])}")


def _is_concept(props: dict[str, Objects]) -> bool:
    return any(type(o) is NamedNode and o.value == _CONCEPT_TYPE for o in props.get(RDF_TYPE, ()))


def _position(node: str, prefix: str) -> int | None:
    """``n`` if ``node`` is ``{record}#{key}-{n}`` (the IRI to_ntriples gives the n-th nested node)."""
    if node.startswith(prefix):
        rest = node[len(prefix) :]
        if rest.isascii() and rest.isdigit() and rest[0] != "0":
            return int(rest)
    return None


def _as_identified(positional: dict[int, dict[str, Any]], prefix: str) -> dict[str, Any]:
    position = min(positional)
    return {"id": f"{prefix}{position}", **positional[position]}


def _place(
    positional: dict[int, dict[str, Any]], others: list[dict[str, Any]], filler: Callable[[], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Nested nodes at their positions (1-based), the others in the free slots in order, fillers in the rest."""
    if not positional:
        return others
    values = len(positional) + len(others)
    size = max(max(positional), values)
    if size - values > MAX_REPEATS:
        # A record repeats an IRI that often only in a graph made to make the reader allocate.
        raise NotARecordGraph(f"a nested node at position {max(positional)} of a list of {values} values")
    rest = iter(others)
    return [positional[i] if i in positional else next(rest, None) or filler() for i in range(1, size + 1)]


# ---------------------------------------------------------------------- the record


Setter = Callable[[Record, str, str, Objects, str], None]

#: predicate of the record subject → (record key, setter), in the order the record lists its keys
_FIELDS: dict[str, tuple[str, Setter]] = {
    RDF_TYPE: ("type", _set_type),
    **{SCHEMA + key: (key, _set_text) for key in TEXT_PROPERTIES},
    SCHEMA + "keywords": ("keywords", _set_keywords),
    SCHEMA + "inLanguage": ("inLanguage", _set_plain_list),
    SCHEMA + "url": ("url", _set_iri),
    SCHEMA + "identifier": ("identifier", _set_plain_list),
    **{SCHEMA + key: (key, _set_date) for key in DATE_PROPERTIES},
    SCHEMA + "license": ("license", _set_license),
    SCHEMA + "isAccessibleForFree": ("isAccessibleForFree", _set_boolean),
    SCHEMA + "typicalAgeRange": ("typicalAgeRange", _set_plain),
    SCHEMA + "version": ("version", _set_plain),
    SCHEMA + "contentSize": ("contentSize", _set_integer),
    SCHEMA + "timeRequired": ("timeRequired", _set_duration),
    SCHEMA + "encodingFormat": ("encodingFormat", _set_plain_list),
}
_AGENT_LINKS = {SCHEMA + key: key for key in AGENT_PROPERTIES}
_CONCEPT_LINKS = {(HUB if key in HUB_PROPERTIES else SCHEMA) + key: key for key in CONCEPT_PROPERTIES}
_PAGE_LINK = SCHEMA + "mainEntityOfPage"


def record_from_triples(
    subject: str, triples: Iterable[Any], provider_names: Mapping[str, str] | None = None
) -> Record:
    """The hub record whose graph (named ``subject``) is ``triples``: pyoxigraph Triples or Quads.

    ``provider_names`` maps provider IRIs to names (the record graph links the provider only);
    a provider not in it is named by the last path segment of its IRI. Raises
    :class:`NotARecordGraph` (a ValueError naming the triple) on any triple
    :func:`~exchange.model.rdf.to_ntriples` would not write.
    """
    graph: Graph = {}
    for triple in triples:
        node = triple.subject
        if type(node) is not NamedNode:
            raise NotARecordGraph(f"a hub record graph has no blank nodes: {triple}")
        props = graph.get(node.value)
        if props is None:
            props = graph[node.value] = {}
        predicate = triple.predicate.value
        objects = props.get(predicate)
        obj = triple.object
        if objects is None:
            props[predicate] = [obj]
        elif obj not in objects:
            objects.append(obj)

    own = graph.pop(subject, None)
    if own is None:
        raise NotARecordGraph(f"no triple has the record <{subject}> as its subject")
    reader = _Reader(subject, graph, provider_names)
    record: Record = {"id": subject}
    agents: dict[str, list[str]] = {}
    concepts: dict[str, list[str]] = {}
    pages: list[str] = []
    for predicate, objects in own.items():
        if predicate in _FIELDS:
            continue
        if predicate in _AGENT_LINKS:
            agents[_AGENT_LINKS[predicate]] = [_iri(subject, predicate, o) for o in objects]
        elif predicate in _CONCEPT_LINKS:
            concepts[_CONCEPT_LINKS[predicate]] = [_iri(subject, predicate, o) for o in objects]
        elif predicate == _PAGE_LINK:
            pages = [_iri(subject, predicate, o) for o in objects]
        else:
            raise NotARecordGraph(f"unknown property of the record: {_nt(subject, predicate, objects[0])}")

    if RDF_TYPE not in own:
        raise NotARecordGraph(f"the record <{subject}> has no rdf:type")
    record["type"] = []
    if pages:
        record["mainEntityOfPage"] = reader.pages(pages)
    for predicate, (key, setter) in _FIELDS.items():
        objects = own.get(predicate)
        if objects is not None:
            setter(record, subject, predicate, objects, key)
    for key in AGENT_PROPERTIES:
        if key in agents:
            record[key] = reader.agents(key, agents[key])
    for key in CONCEPT_PROPERTIES:
        if key in concepts:
            record[key] = reader.concepts(key, concepts[key])
    reader.check_claimed()
    return record
