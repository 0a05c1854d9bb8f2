"""LRMI / schema.org JSON-LD and AMB → hub record.

Reads the compact form by term name, which is what AMB (https://w3id.org/kim/amb/) and
LRMI publish: ``name``, ``schema:name``, ``sdo:name`` and ``http(s)://schema.org/name`` are
one term (so are prefixes the document's ``@context`` binds to schema.org). Remote contexts
are never fetched. Text follows JSON-LD 1.1 (§4.2.4, §4.6.2): plain strings carry the
``@language`` of the document's context (AMB puts it there) or none (``@none``);
``{"@value", "@language"}`` objects and language maps carry their own. Nulls, empty strings
and empty lists carry nothing and are skipped. Every JSON node read is marked for the
coverage report (:mod:`exchange.crosswalks.trace`) by its key path from the document root.

Decisions where the hub record and the source do not line up:

* ``teaches``, ``assesses``, ``competencyRequired`` and alignments of those types are dropped
  with a reason: the record has no competency fields, and under ``about`` a concept IRI
  would lose the difference in RDF (a concept with an IRI becomes a bare link).
* ``affiliation`` of agents and the source's own ``mainEntityOfPage`` are dropped: the hub's
  agents carry no affiliation, and the hub's provenance page replaces the source's.
* ``author`` (schema.org) is read as ``creator``; LRMI 1.0's ``useRightsUrl`` as the licence
  when no ``license`` is given; the typo ``dataCreated`` (OERSI) as ``dateCreated``; a
  top-level ``educationalRole`` (LRMI 1.0) as the audience.
* w3id.org/kim IRIs are spelled https, as the KIM schemes publish them, except the
  Schulfächer (http: their @base, and AMB 20231019's schema), see :func:`kim_spelling`.
* A document typed only as a non-resource (the Organization and BreadcrumbList blocks of a
  page) raises :class:`CrosswalkError`, as does one without a name.
* Controlled values go through :func:`exchange.crosswalks.concepts.controlled_value`; a term
  string (``captions``, ``teacher``) is first looked up in the LRMI vocabulary of its property.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree

from exchange import vocabularies
from exchange.crosswalks import trace
from exchange.crosswalks.base import Crosswalk, CrosswalkError, RecordContext, local_name, register
from exchange.crosswalks.concepts import add_concepts, controlled_value
from exchange.crosswalks.jsonld_source import JsonLdSourceError, read_jsonld
from exchange.model import NO_LANGUAGE, Record, add_text, concept
from exchange.model.rdf import CONCEPT_PROPERTIES
from exchange.model.record import add_listed_text, join_text
from exchange.normalize import (
    clean_block,
    clean_line,
    iso_date,
    language_tag,
    licence_uri,
    looks_like_organization,
    web_url,
)

#: a JSON node's key path from the document root: ("creator", 0, "name")
KeyPath = tuple[str | int, ...]
#: a property's non-empty values with their key paths (a JSON array gives one entry per item)
Values = list[tuple[Any, KeyPath]]

SCHEMA_BASES = ("http://schema.org/", "https://schema.org/", "http://purl.org/dcx/lrmi-terms/")
#: prefixes read as schema.org even when the context does not bind them (it is never fetched)
KNOWN_PREFIXES = frozenset({"schema", "sdo", "lrmi"})
LRMI_VOCABS = "http://purl.org/dcx/lrmi-vocabs/"
ACCESS_MODE = "https://w3id.org/eduhub/vocab/accessMode/"
#: schema.org accessMode values (https://schema.org/accessMode, W3C Schema.org Accessibility Properties)
ACCESS_MODES = {
    term.lower(): term
    for term in (
        "auditory",
        "chartOnVisual",
        "chemOnVisual",
        "colorDependent",
        "diagramOnVisual",
        "mathOnVisual",
        "musicOnVisual",
        "tactile",
        "textOnVisual",
        "textual",
        "visual",
    )
}
A11Y_FIELDS = ("accessibilityFeature", "accessibilityHazard", "accessibilityControl", "accessibilityAPI")
#: the vocabulary a term string of a field is looked up in (LRMI's SKOS renderings)
TERM_SCHEMES = {
    "audience": LRMI_VOCABS + "educationalAudienceRole/",
    "educationalUse": LRMI_VOCABS + "educationalUse/",
    "interactivityType": LRMI_VOCABS + "interactivityType/",
    "learningResourceType": LRMI_VOCABS + "learningResourceType/",
    **{field: f"{LRMI_VOCABS}{field}/" for field in A11Y_FIELDS},
}
CONCEPT_FIELDS = CONCEPT_PROPERTIES  # every concept-valued field of the hub record
#: AlignmentObject.alignmentType (spaces, case and separators ignored) → hub field
ALIGNMENT_FIELDS = {"educationalsubject": "about", "educationallevel": "educationalLevel"}
AGENT_FIELDS = ("creator", "contributor", "publisher")
#: JSON-LD keyword aliases (AMB's context maps id/type to @id/@type)
NODE_ALIASES = {"@id": "id", "@type": "type"}
TOP_ALIASES = {
    **NODE_ALIASES,
    "author": "creator",
    "educationalRole": "audience",
    "accessibilityApi": "accessibilityAPI",
    # LRexample01 (DCMI) names the class where the property belongs
    "AlignmentObject": "educationalAlignment",
}
IMPLIED_TYPES = frozenset({"LearningResource", "CreativeWork", "Thing"})
#: types of documents that describe no learning resource (the other JSON-LD blocks of a page)
NOT_RESOURCES = frozenset(
    {
        "Person",
        "Organization",
        "CollegeOrUniversity",
        "EducationalOrganization",
        "BreadcrumbList",
        "ItemList",
        "ListItem",
        "SearchAction",
        "PostalAddress",
        "ContactPoint",
        "Place",
        "Event",
    }
)
ORGANIZATION_TYPES = frozenset(
    {
        "Organization",
        "CollegeOrUniversity",
        "EducationalOrganization",
        "School",
        "Library",
        "Museum",
        "Corporation",
        "Consortium",
        "NGO",
        "FundingAgency",
        "Project",
        "ResearchProject",
    }
)
_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_BARE_COMMA = re.compile(r",(?!\s)")
_AGE_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")

NO_FIELD = "the hub record has no field for it"
RELATION = "relation to another resource; the hub record has no relation fields"
COMPETENCY = "competency; the hub record has no teaches/assesses/competencyRequired field"
OUTSIDE_ALIGNMENT = "AlignmentObject property outside an AlignmentObject"
ENCODING = "media file details; the hub keeps the encoding format only"
CONTEXT = "JSON-LD context, not data (its @language tags the plain strings)"
#: top-level terms left out on purpose → why
DROPPED_TERMS = {
    "@context": CONTEXT,
    "image": "picture of the resource; " + NO_FIELD,
    "thumbnailUrl": "picture of the resource; " + NO_FIELD,
    "caption": "subtitle files; " + NO_FIELD,
    "trailer": "trailer media; " + NO_FIELD,
    "video": "embedded media object; " + NO_FIELD,
    "duration": "running time of the media; the hub record has timeRequired (learning time) only",
    "hasPart": RELATION,
    "isPartOf": RELATION,
    "isBasedOn": RELATION,
    "isBasedOnUrl": RELATION,
    "funder": "funding; " + NO_FIELD,
    "sourceOrganization": "the hub record has no sourceOrganization field",
    "provider": "hosting institution; the hub record has no provider field (publisher is another role)",
    "mainEntityOfPage": "the source's own metadata page; the hub's provenance page replaces it",
    "teaches": COMPETENCY,
    "assesses": COMPETENCY,
    "competencyRequired": COMPETENCY,
    "alignmentType": OUTSIDE_ALIGNMENT,
    "educationalFramework": OUTSIDE_ALIGNMENT,
    "targetName": OUTSIDE_ALIGNMENT,
    "targetUrl": OUTSIDE_ALIGNMENT,
    "targetDescription": OUTSIDE_ALIGNMENT,
}
#: properties of agents left out on purpose → why
AGENT_DROPPED = {
    "affiliation": "the hub's agents carry no affiliation",
    "honorificPrefix": "the hub's agents carry the name only",
    "honorificSuffix": "the hub's agents carry the name only",
    "url": "the agent's web page; the hub's agents carry an id only",
    "logo": "picture of the agent; " + NO_FIELD,
    "image": "picture of the agent; " + NO_FIELD,
    "@context": CONTEXT,
}


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or (isinstance(value, str) and not value.strip())


def _items(value: Any, path: KeyPath) -> Values:
    if isinstance(value, list):
        return [(item, (*path, index)) for index, item in enumerate(value) if not _empty(item)]
    return [] if _empty(value) else [(value, path)]


def _language(value: Any) -> str | None:
    """A BCP 47 tag whose primary subtag is an ISO 639 code (2 or 3 letters); ``English`` is none."""
    tag = language_tag(value) if isinstance(value, str) else None
    return tag if tag and 2 <= len(tag.split("-")[0]) <= 3 else None


def _iri_text(value: Any) -> str:
    """An IRI given as a string or as a node reference ``{"id"}`` / ``{"@id"}``."""
    if isinstance(value, dict):
        value = value.get("id", value.get("@id"))
    return clean_line(value) if isinstance(value, str) else ""


def kim_spelling(iri: str) -> str:
    """w3id.org/kim IRIs circulate as http and https (PROVENANCE.md): spell them as the schemes
    publish them, https, except the Schulfächer, whose @base (and AMB 20231019's schema) is http."""
    for scheme in ("http://", "https://"):
        if iri.startswith(scheme + "w3id.org/kim/"):
            rest = iri[len(scheme) :]
            return ("http://" if rest.startswith("w3id.org/kim/schulfaecher/") else "https://") + rest
    return iri


def _controlled(
    field: str, iri: str, *, source: str | None = None, labels: dict[str, str] | None = None, node: KeyPath | None
) -> list[dict[str, Any]]:
    """A concept IRI through the shared mapping rule (:mod:`exchange.crosswalks.concepts`), which traces ``node``."""
    return controlled_value(field, iri, source=source, labels=labels, nodes=(node,))


def _doi_or_text(text: str) -> str:
    """A DOI in any of its spellings as its https://doi.org/ URL (DOI Handbook §3.7.3), else the text."""
    match = _DOI.match(text)
    return f"https://doi.org/{match.group(1)}" if match else text


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower().rsplit("/", 1)[-1].removeprefix("schema:")
        return {"true": True, "yes": True, "false": False, "no": False}.get(word)
    return None


def split_keywords(text: str) -> list[str]:
    """schema:keywords given as one text: comma-delimited (https://schema.org/keywords).

    HOOU joins keywords with a bare comma while its keywords hold ``", "`` themselves (DDC
    classes such as ``Informatik, Wissen, Systeme``, one tag on the page): when a bare comma
    occurs, only bare commas separate. ``#`` of hashtags is dropped.
    """
    parts = _BARE_COMMA.split(text) if _BARE_COMMA.search(text) else text.split(",")
    return [word for word in (clean_line(part).lstrip("#").strip() for part in parts) if word]


def merge_age_ranges(ranges: list[str]) -> str | None:
    """One schema:typicalAgeRange for several: numeric ranges that touch or overlap become one."""
    if len(ranges) == 1:
        return ranges[0]
    bounds = [_AGE_RANGE.match(text) for text in ranges]
    if not all(bounds):
        return None
    spans = sorted((int(m.group(1)), int(m.group(2))) for m in bounds if m)
    low, high = spans[0]
    for start, end in spans[1:]:
        if start > high + 1:
            return None
        high = max(high, end)
    return f"{low}-{high}"


@dataclass(frozen=True)
class Reading:
    """What a document's ``@context`` says about reading it: the default language, schema.org prefixes."""

    language: str | None = None
    prefixes: frozenset[str] = KNOWN_PREFIXES

    @classmethod
    def of(cls, document: dict[str, Any]) -> Reading:
        context = document.get("@context")
        items = context if isinstance(context, list) else [context]
        language: str | None = None
        prefixes = set(KNOWN_PREFIXES)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            if "@language" in item:  # JSON-LD 1.1 §4.2.4: the default language; null resets it
                language = _language(item["@language"])
                where: KeyPath = (
                    ("@context", index, "@language") if isinstance(context, list) else ("@context", "@language")
                )
                trace.mark(where, trace.MAPPED if language else trace.DROPPED, "" if language else "not a language tag")
            for key, value in item.items():
                if isinstance(value, str) and value.rstrip("/#") in ("http://schema.org", "https://schema.org"):
                    prefixes.add(key)
        return cls(language, frozenset(prefixes))

    def term(self, key: str) -> str:
        for base in SCHEMA_BASES:
            if key.startswith(base):
                return key[len(base) :]
        prefix, colon, local = key.partition(":")
        return local if colon and prefix in self.prefixes else key

    def properties(
        self, node: dict[str, Any], path: KeyPath, aliases: dict[str, str] = NODE_ALIASES
    ) -> dict[str, Values]:
        """The node's non-empty values by schema.org term."""
        out: dict[str, Values] = {}
        for key, value in node.items():
            name = self.term(key)
            found = _items(value, (*path, key))
            if found:
                out.setdefault(aliases.get(name, name), []).extend(found)
        return out

    def texts(self, value: Any, path: KeyPath) -> list[tuple[str | None, str, KeyPath]]:
        """(language, text, path) of a text value: a string, an @value object or a language map."""
        if isinstance(value, str):
            return [(self.language, value, path)]
        if not isinstance(value, dict):
            return []
        if "@value" in value:
            text = value["@value"]
            return [(_language(value.get("@language")), text, path)] if isinstance(text, str) else []
        if not all(key == NO_LANGUAGE or _language(key) for key in value):
            return []
        out: list[tuple[str | None, str, KeyPath]] = []
        for key, item in value.items():
            language = None if key == NO_LANGUAGE else _language(key)
            out += [
                (language, text, item_path) for text, item_path in _items(item, (*path, key)) if isinstance(text, str)
            ]
        return out


@register
class LrmiCrosswalk(Crosswalk):
    """AMB and plain schema.org/LRMI JSON-LD; a dump's documents or an OAI-PMH payload."""

    name = "lrmi"
    namespaces: ClassVar[tuple[str, ...]] = ()
    prefixes: ClassVar[tuple[str, ...]] = ("amb", "lrmi", "schema_org", "jsonld", "json-ld")
    richness = 15
    reads_json = True
    dropped: ClassVar[dict[str, str]] = {
        **DROPPED_TERMS,
        **{f"{field}/{key}": reason for field in (*AGENT_FIELDS, "author") for key, reason in AGENT_DROPPED.items()},
        "encoding": ENCODING,
    }

    def claims(self, payload: Any) -> bool:
        return isinstance(payload, dict) and any(key in payload for key in ("@context", "@type", "type", "name"))

    def to_record(self, payload: Any, context: RecordContext) -> Record:
        document = self.document(payload)
        reading = Reading.of(document)
        props = reading.properties(document, (), TOP_ALIASES)
        record = context.new_record()
        self.types(record, reading, props)
        self.text_fields(record, reading, props)
        self.identity(record, props)
        self.agents(record, reading, props)
        self.dates(record, props)
        self.rights(record, reading, props)
        self.concepts(record, reading, props)
        self.learning(record, reading, props)
        for term, reason in DROPPED_TERMS.items():
            for _, path in props.get(term, ()):
                trace.mark(path, trace.DROPPED, reason)
        if "name" not in record:
            raise CrosswalkError("LRMI/AMB document has no name (schema:name)")
        return record

    @staticmethod
    def document(payload: Any) -> dict[str, Any]:
        """The JSON object: the payload itself, or the JSON text of an OAI-PMH payload element."""
        if isinstance(payload, dict):
            return payload
        if not isinstance(payload, etree._Element):
            raise CrosswalkError(f"an LRMI payload is a JSON object, not a {type(payload).__name__}")
        what = f"<{local_name(payload.tag)}> payload"
        try:
            found = list(read_jsonld("".join(payload.itertext()).strip().encode("utf-8"), name=what))
        except JsonLdSourceError as error:
            raise CrosswalkError(str(error)) from None
        if len(found) != 1:
            raise CrosswalkError(f"{what} holds {len(found)} JSON-LD objects, not one")
        return found[0]

    # ------------------------------------------------------------------ parts of the record

    def types(self, record: Record, reading: Reading, props: dict[str, Values]) -> None:
        names: list[str] = []
        for value, path in props.get("type", ()):
            name = reading.term(value) if isinstance(value, str) else ""
            if _TYPE_NAME.match(name):
                names.append(name)
                trace.mark(path)
            else:
                trace.mark(path, trace.DROPPED, "not a schema.org type name")
        if names and all(name in NOT_RESOURCES for name in names):
            raise CrosswalkError(f"JSON-LD document of type {', '.join(names)} describes no learning resource")
        record["type"] += [name for name in dict.fromkeys(names) if name not in IMPLIED_TYPES]

    def text_fields(self, record: Record, reading: Reading, props: dict[str, Values]) -> None:
        """name, description, accessibilitySummary, copyrightNotice, keywords, inLanguage."""
        self.put_texts(record, "name", reading, props.get("name", ()), clean_line)
        for value, path in props.get("description", ()):
            for language, text, text_path in reading.texts(value, path):
                if clean_block(text):
                    join_text(record, "description", language, clean_block(text))
                    trace.mark(text_path)
        self.put_texts(record, "accessibilitySummary", reading, props.get("accessibilitySummary", ()), clean_block)
        self.put_texts(record, "copyrightNotice", reading, props.get("copyrightNotice", ()), clean_block)
        for value, path in props.get("keywords", ()):
            for language, text, text_path in reading.texts(value, path):
                # only a keywords value that is one text (path of length 1) is a comma list; array items are keywords
                words = split_keywords(text) if len(text_path) == 1 else [clean_line(text).lstrip("#").strip()]
                for word in words:
                    add_listed_text(record, "keywords", language, word)
                trace.mark(text_path)
        for value, path in props.get("inLanguage", ()):
            code = self.language_code(value)
            if code:
                if code not in record.setdefault("inLanguage", []):
                    record["inLanguage"].append(code)
                trace.mark(path)
            else:
                trace.mark(path, trace.DROPPED, "not a BCP 47 language tag")

    @staticmethod
    def language_code(value: Any) -> str | None:
        """inLanguage: a tag, or a schema.org Language object (its alternateName or identifier)."""
        if isinstance(value, dict):
            candidates = [value.get(key) for key in ("@value", "alternateName", "identifier", "name")]
            return next((code for code in map(_language, candidates) if code), None)
        return _language(value)

    @staticmethod
    def put_texts(
        record: Record, key: str, reading: Reading, values: Values | tuple[()], clean: Callable[[str], str]
    ) -> None:
        for value, path in values:
            for language, text, text_path in reading.texts(value, path):
                cleaned = clean(text)
                if not cleaned:
                    continue
                present = record.get(key, {}).get(language or NO_LANGUAGE)
                if present is not None and present != cleaned:
                    trace.mark(
                        text_path, trace.DROPPED, f"a further {key} in the same language; the hub keeps the first"
                    )
                else:
                    add_text(record, key, language, cleaned)
                    trace.mark(text_path)

    def identity(self, record: Record, props: dict[str, Values]) -> None:
        """The resource's own IRI (``id``), ``url`` and ``identifier``s → url and identifier."""
        identifiers: list[str] = []
        urls: list[str] = []
        for value, path in props.get("id", ()):
            text = _iri_text(value)
            if text and not text.startswith("_:"):
                identifiers.append(text)
                trace.mark(path)
            else:
                trace.mark(
                    path, trace.DROPPED, "not an IRI (a blank node identifier names nothing outside the document)"
                )
        for value, path in props.get("url", ()):
            url = web_url(_iri_text(value))
            if url:
                urls.append(url)
                trace.mark(path)
            else:
                trace.mark(path, trace.DROPPED, "not an http(s) URL")
        for value, path in props.get("identifier", ()):
            text = self.identifier(value, path)
            if text:
                identifiers.append(text)
        candidates = [*urls, *filter(None, map(web_url, identifiers))]
        if candidates:
            record["url"] = candidates[0]
        if identifiers:
            record["identifier"] = list(dict.fromkeys(identifiers))

    @staticmethod
    def identifier(value: Any, path: KeyPath) -> str | None:
        """A text, a node reference or a PropertyValue; DOIs as https://doi.org/ URLs."""
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            text = clean_line(str(value))
            trace.mark(path)
            return _doi_or_text(text) if text else None
        if not isinstance(value, dict):
            trace.mark(path, trace.DROPPED, "neither text nor object")
            return None
        if "id" in value or "@id" in value:
            trace.mark(path)
            return _iri_text(value) or None
        raw = value.get("value", value.get("@value"))
        text = clean_line(str(raw)) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
        if not text:
            trace.mark(path, trace.DROPPED, "PropertyValue without a value")
            return None
        trace.mark(path)
        scheme = str(value.get("propertyID", "")).strip().lower()
        if "propertyID" in value and scheme != "doi":
            trace.mark((*path, "propertyID"), trace.DROPPED, "identifier scheme name; the hub keeps the value")
        return f"https://doi.org/{text}" if scheme == "doi" and text.startswith("10.") else _doi_or_text(text)

    def agents(self, record: Record, reading: Reading, props: dict[str, Values]) -> None:
        for field in AGENT_FIELDS:
            for value, path in props.get(field, ()):
                agent = self.agent(reading, value, path, "Organization" if field == "publisher" else "Person")
                if agent and agent not in record.get(field, []):
                    record.setdefault(field, []).append(agent)

    def agent(self, reading: Reading, value: Any, path: KeyPath, default_kind: str) -> dict[str, str] | None:
        """A Person or Organization object, or a name (its kind guessed from the words)."""
        if isinstance(value, str):
            name = clean_line(value)
            trace.mark(path)
            return {"type": "Organization" if looks_like_organization(name) else default_kind, "name": name}
        if not isinstance(value, dict):
            trace.mark(path, trace.DROPPED, "neither text nor object")
            return None
        props = reading.properties(value, path)
        names = [(clean_line(text), p) for v, vp in props.get("name", ()) for _, text, p in reading.texts(v, vp)]
        names = [(text, p) for text, p in names if text]
        if not names:
            parts = [
                (clean_line(t), p)
                for key in ("givenName", "familyName")
                for v, vp in props.get(key, ())
                for _, t, p in reading.texts(v, vp)
            ]
            joined = " ".join(text for text, _ in parts if text)
            names = [(joined, parts[0][1])] if joined else []
            for _, part_path in parts:
                trace.mark(part_path)
        if not names:
            trace.mark(path, trace.DROPPED, "agent without a name (the hub needs one)")
            return None
        trace.mark(names[0][1])
        for _, extra in names[1:]:
            trace.mark(extra, trace.DROPPED, "a further name of the agent; the hub keeps the first")
        kinds = [reading.term(v) for v, _ in props.get("type", ()) if isinstance(v, str)]
        for _, type_path in props.get("type", ()):
            trace.mark(type_path)
        if "Person" in kinds:
            kind = "Person"
        elif any(k in ORGANIZATION_TYPES or k.endswith("Organization") for k in kinds):
            kind = "Organization"
        else:
            kind = "Organization" if looks_like_organization(names[0][0]) else default_kind
        agent = {"type": kind, "name": names[0][0]}
        for v, id_path in props.get("id", ()):
            text = _iri_text(v) if isinstance(v, (str, dict)) else ""
            iri = f"https://orcid.org/{text}" if _ORCID.match(text) else web_url(text)
            if iri and "id" not in agent:
                agent["id"] = iri
                trace.mark(id_path)
            else:
                trace.mark(id_path, trace.DROPPED, "agent id is not an http(s) IRI or ORCID")
        for v, mail_path in props.get("email", ()):
            email = clean_line(v).removeprefix("mailto:") if isinstance(v, str) else ""
            if "@" in email and "email" not in agent:
                agent["email"] = email
                trace.mark(mail_path)
            else:
                trace.mark(mail_path, trace.DROPPED, "not an e-mail address")
        for key, reason in AGENT_DROPPED.items():
            for _, dropped_path in props.get(key, ()):
                trace.mark(dropped_path, trace.DROPPED, reason)
        return agent

    def dates(self, record: Record, props: dict[str, Values]) -> None:
        for key in ("dateCreated", "datePublished", "dateModified"):
            values = [*props.get(key, ())] + ([*props.get("dataCreated", ())] if key == "dateCreated" else [])
            for value, path in values:
                date = iso_date(value) if isinstance(value, str) else None
                if date is None:
                    trace.mark(path, trace.DROPPED, "not an ISO 8601 date")
                elif key in record:
                    trace.mark(path, trace.DROPPED, f"a further {key}; the hub keeps one")
                else:
                    record[key] = date
                    trace.mark(path)

    def rights(self, record: Record, reading: Reading, props: dict[str, Values]) -> None:
        """license (a string or ``{id}``), else LRMI 1.0 useRightsUrl; isAccessibleForFree."""
        for value, path in [*props.get("license", ()), *props.get("useRightsUrl", ())]:
            text = _iri_text(value) or (_iri_text(value.get("url")) if isinstance(value, dict) else "")
            uri = licence_uri(text) or web_url(text)
            if uri and "license" in record:
                trace.mark(path, trace.DROPPED, "a further licence; the hub keeps one")
            elif uri:
                record["license"] = {"id": uri}
                trace.mark(path)
            elif text:
                add_text(record, "copyrightNotice", reading.language, clean_block(text))
                trace.mark(path, trace.KEPT, "licence named in words: kept as copyright notice")
            else:
                trace.mark(path, trace.DROPPED, "licence without an IRI")
        for value, path in props.get("isAccessibleForFree", ()):
            flag = _boolean(value)
            if flag is None:
                trace.mark(path, trace.DROPPED, "not a boolean")
            elif "isAccessibleForFree" in record:
                trace.mark(path, trace.DROPPED, "a further isAccessibleForFree; the hub keeps one")
            else:
                record["isAccessibleForFree"] = flag
                trace.mark(path)

    def concepts(self, record: Record, reading: Reading, props: dict[str, Values]) -> None:
        for field in CONCEPT_FIELDS:
            for value, path in props.get(field, ()):
                add_concepts(record, field, self.concept_values(reading, field, value, path))
        for value, path in props.get("educationalAlignment", ()):
            self.alignment(record, reading, value, path)

    def concept_values(self, reading: Reading, field: str, value: Any, path: KeyPath) -> list[dict[str, Any]]:
        """A controlled value: an IRI, a term string, a concept ``{id, prefLabel}``, a DefinedTerm
        or (audience) an EducationalAudience with its educationalRole."""
        if isinstance(value, str):
            return self.term_concepts(reading, field, value, path)
        if not isinstance(value, dict):
            trace.mark(path, trace.DROPPED, "neither text nor object")
            return []
        props = reading.properties(value, path)
        roles = [*props.get("educationalRole", ()), *props.get("audienceType", ())] if field == "audience" else []
        if roles:
            for _, type_path in props.get("type", ()):
                trace.mark(type_path)
            out: list[dict[str, Any]] = []
            for role, role_path in roles:
                if isinstance(role, str):
                    out += self.term_concepts(reading, field, role, role_path)
                else:
                    trace.mark(role_path, trace.DROPPED, "an audience role is a text")
            return out
        return self.concept_object(reading, field, props, path)

    def term_concepts(self, reading: Reading, field: str, value: str, path: KeyPath) -> list[dict[str, Any]]:
        text = clean_line(value)
        iri = web_url(text)
        known = kim_spelling(iri) if iri else self.term_iri(field, text)
        if known:
            return _controlled(field, known, node=path)
        trace.mark(path, trace.KEPT, f"no concept for this term in the {field} vocabulary")
        if field in A11Y_FIELDS or field == "accessMode":
            return [concept(notation=text, source_vocabulary=f"schema:{field}")]
        return [concept(labels={reading.language or NO_LANGUAGE: text}, source_vocabulary=f"schema:{field}")]

    @staticmethod
    def term_iri(field: str, text: str) -> str | None:
        """The concept a schema.org term string names in the vocabulary of ``field``, if shipped."""
        if field == "accessMode":
            term = ACCESS_MODES.get(text.lower())
            return ACCESS_MODE + term if term else None
        scheme_iri = TERM_SCHEMES.get(field)
        if scheme_iri is None:
            return None
        try:
            return vocabularies.scheme(scheme_iri).lookup(text)
        except LookupError:
            return None

    def concept_object(
        self, reading: Reading, field: str, props: dict[str, Values], path: KeyPath
    ) -> list[dict[str, Any]]:
        """A concept ``{id, prefLabel}`` (AMB), a DefinedTerm ``{name, termCode, inDefinedTermSet}``
        or a Thing ``{name}``: its IRI through the mapping rule, else its labels kept as a literal."""
        iri, iri_path = None, None
        for value, id_path in props.get("id", ()):
            url = web_url(value) if isinstance(value, str) else None
            if url and iri is None:
                iri, iri_path = kim_spelling(url), id_path
        notations: list[tuple[str, KeyPath]] = []
        for value, code_path in [*props.get("id", ()), *props.get("termCode", ()), *props.get("notation", ())]:
            text = clean_line(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
            if code_path != iri_path:
                notations.append((text, code_path))
        labels: dict[str, str] = {}
        label_paths: list[KeyPath] = []
        for key in ("prefLabel", "name", "targetName"):
            for value, label_path in props.get(key, ()):
                for language, text, text_path in reading.texts(value, label_path):
                    label = clean_line(text)
                    if label and label == iri:
                        trace.mark(text_path, trace.DROPPED, "label repeats the concept IRI")
                    elif label and (language or NO_LANGUAGE) in labels:
                        trace.mark(text_path, trace.DROPPED, "a further label in the same language")
                    elif label:
                        labels[language or NO_LANGUAGE] = label
                        label_paths.append(text_path)
        scheme = None
        for value, scheme_path in [*props.get("inScheme", ()), *props.get("inDefinedTermSet", ())]:
            scheme = scheme or web_url(_iri_text(value))
            trace.mark(scheme_path)
        notation = next((text for text, _ in notations if text), None)
        found = bool(iri or labels or notation)
        for _, type_path in props.get("type", ()):
            trace.mark(type_path, trace.MAPPED if found else trace.DROPPED, "" if found else "a type and nothing else")
        if iri:
            for _, code_path in notations:
                trace.mark(code_path, trace.DROPPED, "a code beside the concept IRI; the vocabulary holds it")
            for label_path in label_paths:
                trace.mark(label_path)
            return _controlled(field, iri, labels=labels or None, node=iri_path)
        for _, code_path in notations:
            trace.mark(code_path, trace.KEPT, "no http(s) concept IRI: kept as notation")
        for label_path in label_paths:
            trace.mark(label_path, trace.KEPT, "concept without an IRI: its label is kept")
        if not found:
            return []
        return [concept(notation=notation, labels=labels or None, scheme=scheme, source_vocabulary=f"schema:{field}")]

    def alignment(self, record: Record, reading: Reading, value: Any, path: KeyPath) -> None:
        """LRMI AlignmentObject: educationalSubject → about, educationalLevel → educationalLevel."""
        if not isinstance(value, dict):
            trace.mark(path, trace.DROPPED, "an AlignmentObject is an object")
            return
        props = reading.properties(value, path)
        kinds = [clean_line(v) for v, _ in props.get("alignmentType", ()) if isinstance(v, str)]
        field = ALIGNMENT_FIELDS.get(re.sub(r"[\s_-]", "", kinds[0]).lower()) if kinds else None
        if field is None:
            reason = f"alignment of type {kinds[0]!r}: {NO_FIELD}" if kinds else "AlignmentObject without alignmentType"
            trace.mark(path, trace.DROPPED, reason)
            return
        for key in ("alignmentType", "type"):
            for _, read_path in props.get(key, ()):
                trace.mark(read_path)
        frameworks = [
            clean_line(t) for v, p in props.get("educationalFramework", ()) for _, t, _ in reading.texts(v, p)
        ]
        framework = next((f for f in frameworks if f), None)
        for _, framework_path in props.get("educationalFramework", ()):
            trace.mark(framework_path)
        for _, description_path in props.get("targetDescription", ()):
            trace.mark(description_path, trace.DROPPED, "description of the alignment target; " + NO_FIELD)
        url, url_path = None, None
        for target, target_path in props.get("targetUrl", ()):
            found = web_url(_iri_text(target))
            if found and url is None:
                url, url_path = found, target_path
            elif not found:
                trace.mark(target_path, trace.DROPPED, "not an http(s) URL")
        labels = {
            language or NO_LANGUAGE: clean_line(text)
            for v, p in props.get("targetName", ())
            for language, text, _ in reading.texts(v, p)
            if clean_line(text)
        }
        if url:
            values = _controlled(field, kim_spelling(url), source=framework, labels=labels or None, node=url_path)
            for _, name_path in props.get("targetName", ()):
                trace.mark(name_path)
        elif labels:
            for _, name_path in props.get("targetName", ()):
                trace.mark(name_path, trace.KEPT, "alignment target without an IRI: its name is kept")
            values = [concept(labels=labels, source_vocabulary=framework or "schema:educationalAlignment")]
        else:
            trace.mark(path, trace.DROPPED, "AlignmentObject without a target")
            return
        add_concepts(record, field, values)

    def learning(self, record: Record, reading: Reading, props: dict[str, Values]) -> None:
        """typicalAgeRange, timeRequired, encodingFormat (also from AMB's encoding objects)."""
        ranges = [(clean_line(t), p) for v, vp in props.get("typicalAgeRange", ()) for _, t, p in reading.texts(v, vp)]
        ranges = [(text, p) for text, p in ranges if text]
        if ranges:
            merged = merge_age_ranges([text for text, _ in ranges])
            record["typicalAgeRange"] = merged or ranges[0][0]
            for index, (_, range_path) in enumerate(ranges):
                if merged or index == 0:
                    trace.mark(range_path)
                else:
                    trace.mark(range_path, trace.DROPPED, "a further age range that does not join the first")
        for value, path in props.get("timeRequired", ()):
            text = clean_line(value) if isinstance(value, str) else ""
            if text and "timeRequired" not in record:
                record["timeRequired"] = text
                trace.mark(path)
            else:
                trace.mark(path, trace.DROPPED, "a further timeRequired; the hub keeps one")
        formats = list(props.get("encodingFormat", ()))
        for value, path in props.get("encoding", ()):
            trace.mark(path, trace.DROPPED, ENCODING)
            if isinstance(value, dict):
                formats += reading.properties(value, path).get("encodingFormat", [])
        for value, path in formats:
            text = clean_line(value) if isinstance(value, str) else ""
            if "/" in text:
                if text not in record.setdefault("encodingFormat", []):
                    record["encodingFormat"].append(text)
                trace.mark(path)
            else:
                trace.mark(path, trace.DROPPED, "not a MIME type")
        if not record.get("encodingFormat"):
            record.pop("encodingFormat", None)
