"""IEEE LOM (1484.12.1, XML binding 1484.12.3) → hub record.

Elements are matched by local name in any namespace, in the IEEE spelling
(``lifeCycle``) or all lower case (``lifecycle``), so the same code reads the IEEE
binding (``<string language>``, ``identifier``, ``entity``), the IMS MD 1.2 binding it
grew from (``<langstring xml:lang>``, ``catalogentry``, ``centity/vcard``; see
:mod:`exchange.crosswalks.imsmd`) and profiles that lower-case IEEE names. National profiles extend
:class:`LomCrosswalk` and override the hooks (``vocabulary_concept``, ``classification``).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any, ClassVar

from lxml import etree

from exchange.crosswalks.base import (
    Crosswalk,
    CrosswalkError,
    RecordContext,
    local_name,
    register,
)
from exchange.model import Record, add_text, concept
from exchange.model.record import add_listed_text, join_text
from exchange.namespaces import LOM
from exchange.normalize import (
    clean_block,
    clean_line,
    iso_date,
    language_tag,
    licence_uri,
    vcard_agent,
    web_url,
)
from exchange.vocabularies import scheme

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OEH = "http://w3id.org/openeduhub/vocabs/"
LOM_VOCABULARY_SOURCES = {"lomv1.0", "lomv1", "lom v1.0", "ieee lom", "lom"}

Element = etree._Element


@cache
def _tags(names: tuple[str, ...]) -> tuple[str, ...]:
    """lxml tag patterns for ``names``: any namespace, IEEE spelling or lower case."""
    return tuple(dict.fromkeys(f"{{*}}{spelling}" for name in names for spelling in (name, name.lower())))


def children(element: Element | None, *names: str) -> list[Element]:
    """Child elements named one of ``names`` (IEEE spelling), in any namespace."""
    if element is None:
        return []
    return list(element.iterchildren(*_tags(names)))


def child(element: Element | None, *names: str) -> Element | None:
    found = children(element, *names)
    return found[0] if found else None


def walk(element: Element | None, *path: str) -> Iterator[Element]:
    """Every element reached by following ``path`` (each step may match several children)."""
    if element is None:
        return
    if not path:
        yield element
        return
    for step in children(element, path[0]):
        yield from walk(step, *path[1:])


def text_of(element: Element | None) -> str:
    return "".join(element.itertext()) if element is not None else ""


def langstrings(element: Element | None) -> list[tuple[str | None, str]]:
    """The (language, text) pairs of a LOM LangString, in either binding."""
    if element is None:
        return []
    strings = children(element, "string", "langstring")
    if not strings:
        return [(None, text_of(element))] if text_of(element).strip() else []
    return [(language_tag(s.get("language") or s.get(XML_LANG)), text_of(s)) for s in strings]


def vocabulary(element: Element | None) -> tuple[str, str]:
    """(source, value) of a LOM Vocabulary element; IMS wraps both in langstrings."""
    return clean_line(text_of(child(element, "source"))), clean_line(text_of(child(element, "value")))


@register
class LomCrosswalk(Crosswalk):
    name = "lom"
    namespaces: ClassVar[tuple[str, ...]] = (LOM,)
    prefixes: ClassVar[tuple[str, ...]] = ("lom", "ieee_lom", "lom_ieee", "oai_lom")
    richness = 20

    #: LOM element under <educational> → (hub property, shipped LOMv1.0 scheme)
    EDUCATIONAL_VOCABULARIES: ClassVar[dict[str, tuple[str, str]]] = {
        "learningResourceType": ("learningResourceType", OEH + "lom_learning_resource_type/"),
        "context": ("educationalLevel", OEH + "lom_educational-context/"),
        "intendedEndUserRole": ("audience", OEH + "lom_intended_end_user_role/"),
        "interactivityType": ("interactivityType", OEH + "lom_interactivity_type/"),
    }
    #: LOM contribute roles → schema.org agent property (others become contributor)
    ROLES: ClassVar[dict[str, str]] = {"author": "creator", "publisher": "publisher"}

    def lom_root(self, payload: Element) -> Element:
        """The <lom> element: the payload itself or, in wrapped profiles, a descendant."""
        for element in payload.iter("{*}lom"):
            return element
        raise CrosswalkError(f"no <lom> element in payload <{local_name(payload.tag)}>")

    def to_record(self, payload: Element, context: RecordContext) -> Record:
        lom = self.lom_root(payload)
        record = context.new_record()
        general = child(lom, "general")
        self.general(record, general)
        self.lifecycle(record, child(lom, "lifeCycle"))
        self.technical(record, child(lom, "technical"))
        for educational in children(lom, "educational"):
            self.educational(record, educational)
        self.rights(record, child(lom, "rights"))
        for classification in children(lom, "classification"):
            self.classification(record, classification)
        if "name" not in record:
            raise CrosswalkError("LOM record has no general/title")
        return record

    # ------------------------------------------------------------------ categories

    def general(self, record: Record, general: Element | None) -> None:
        for language, text in langstrings(child(general, "title")):
            add_text(record, "name", language, clean_line(text))
        # general.description repeats (LOM 1.2.4: up to 10); same-language texts are joined, not dropped.
        for description in children(general, "description"):
            for language, text in langstrings(description):
                join_text(record, "description", language, clean_block(text))
        for keyword in children(general, "keyword"):
            for language, text in langstrings(keyword):
                add_listed_text(record, "keywords", language, clean_line(text))
        for element in children(general, "language"):
            code = language_tag(text_of(element))
            if code and code not in record.setdefault("inLanguage", []):
                record["inLanguage"].append(code)
        if not record.get("inLanguage"):
            record.pop("inLanguage", None)
        for identifier in children(general, "identifier", "catalogentry"):
            entry = child(identifier, "entry")
            value = clean_line(" ".join(text for _, text in langstrings(entry)))
            if value and value not in record.setdefault("identifier", []):
                record["identifier"].append(value)
        if not record.get("identifier"):
            record.pop("identifier", None)

    def lifecycle(self, record: Record, lifecycle: Element | None) -> None:
        for contribute in children(lifecycle, "contribute"):
            _, role = vocabulary(child(contribute, "role"))
            key = self.ROLES.get(role.lower(), "contributor")
            entities = [text_of(e) for e in children(contribute, "entity")]
            entities += [text_of(v) for v in walk(contribute, "centity", "vcard")]
            for entity in entities:
                agent = vcard_agent(entity)
                if agent and agent not in record.get(key, []):
                    record.setdefault(key, []).append(agent)
            date = iso_date(text_of(child(child(contribute, "date"), "dateTime")))
            if date:
                date_key = "datePublished" if role.lower() == "publisher" else "dateCreated"
                record.setdefault(date_key, date)

    def technical(self, record: Record, technical: Element | None) -> None:
        for element in children(technical, "format"):
            value = clean_line(text_of(element))
            if "/" in value and value not in record.get("encodingFormat", []):
                record.setdefault("encodingFormat", []).append(value)
        for element in children(technical, "location"):
            url = web_url(text_of(element))
            if url:
                record.setdefault("url", url)
                break

    def educational(self, record: Record, educational: Element) -> None:
        for element_name, (key, scheme_iri) in self.EDUCATIONAL_VOCABULARIES.items():
            for element in children(educational, element_name):
                value = self.vocabulary_concept(element, scheme_iri)
                if value and value not in record.get(key, []):
                    record.setdefault(key, []).append(value)
        for language, text in langstrings(child(educational, "typicalAgeRange"))[:1]:
            del language  # schema:typicalAgeRange is a plain text range such as "7-9"
            if clean_line(text):
                record.setdefault("typicalAgeRange", clean_line(text))
        duration = child(child(educational, "typicalLearningTime"), "duration", "dateTime")
        if duration is not None and clean_line(text_of(duration)):
            record.setdefault("timeRequired", clean_line(text_of(duration)))

    def rights(self, record: Record, rights: Element | None) -> None:
        if rights is None:
            return
        _, cost = vocabulary(child(rights, "cost"))
        if cost.lower() in ("no", "yes"):
            record["isAccessibleForFree"] = cost.lower() == "no"
        descriptions = langstrings(child(rights, "description"))
        _, restriction = vocabulary(child(rights, "copyrightAndOtherRestrictions"))
        uri = licence_uri(" ".join(text for _, text in descriptions)) or licence_uri(restriction)
        if uri:
            record["license"] = {"id": uri}
        for language, text in descriptions:
            notice = clean_block(text)
            if web_url(notice) and licence_uri(notice) == uri:
                continue  # the description is just the licence URL, already in `license`
            add_text(record, "copyrightNotice", language, notice)

    def classification(self, record: Record, classification: Element) -> None:
        """Discipline taxa → ``about``, educational-level taxa → ``educationalLevel``; literals kept."""
        _, purpose = vocabulary(child(classification, "purpose"))
        key = {"discipline": "about", "educational level": "educationalLevel"}.get(purpose.lower())
        if key is None:
            return
        for taxon_path in children(classification, "taxonPath"):
            source = clean_line(" ".join(text for _, text in langstrings(child(taxon_path, "source"))))
            for taxon in children(taxon_path, "taxon"):
                value = self.taxon_concept(taxon, source)
                if value and value not in record.get(key, []):
                    record.setdefault(key, []).append(value)

    # ------------------------------------------------------------------ hooks for profiles

    def vocabulary_concept(self, element: Element, scheme_iri: str) -> dict[str, Any] | None:
        """A LOM vocabulary value as a concept: the shipped LOMv1.0 scheme's IRI, else the literal."""
        source, value = vocabulary(element)
        if not value:
            return None
        if web_url(value):  # profiles such as ScoLOMFR put the concept IRI itself in <value>
            return concept(value, source_vocabulary=source or None)
        if source.lower() in LOM_VOCABULARY_SOURCES:
            iri = scheme(scheme_iri).lookup(value)
            if iri:
                return concept(iri, notation=value)
        return concept(notation=value, source_vocabulary=source or None)

    def taxon_concept(self, taxon: Element, source: str) -> dict[str, Any] | None:
        identifier = clean_line(text_of(child(taxon, "id")))
        labels: dict[str, str] = {}
        for language, text in langstrings(child(taxon, "entry")):
            label = clean_line(text)
            if label:
                labels.setdefault(language or "@none", label)
        if not identifier and not labels:
            return None
        iri = web_url(identifier)
        if iri:
            return concept(iri, labels=labels or None)
        return concept(notation=identifier or None, labels=labels or None, source_vocabulary=source or None)
