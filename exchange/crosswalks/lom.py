"""IEEE LOM (1484.12.1, XML binding 1484.12.3) → hub record.

Elements are matched by local name in any namespace, in the IEEE spelling
(``lifeCycle``) or all lower case (``lifecycle``), so the same code reads the IEEE
binding (``<string language>``, ``identifier``, ``entity``), the IMS MD 1.2 binding it
grew from (``<langstring xml:lang>``, ``catalogentry``, ``centity/vcard``; see
:mod:`exchange.crosswalks.imsmd`) and profiles that lower-case IEEE names. National profiles extend
:class:`LomCrosswalk`: they recognise their records (:meth:`claims`), name what they drop on
purpose, and override the hooks (``vocabulary_value``, ``classification_field``). Controlled
values are mapped by data, not code (:mod:`exchange.crosswalks.concepts`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, ClassVar

from lxml import etree

from exchange.crosswalks import trace
from exchange.crosswalks.base import (
    Crosswalk,
    CrosswalkError,
    RecordContext,
    local_name,
    register,
)
from exchange.crosswalks.concepts import add_concepts, controlled_value
from exchange.model import Record, add_text, concept
from exchange.model.record import add_listed_text, join_text
from exchange.namespaces import LOM
from exchange.normalize import (
    byte_size,
    clean_block,
    clean_line,
    is_placeholder,
    iso_date,
    language_tag,
    licence_uri,
    vcard_agent,
    web_url,
)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: ScoLOMFR and others write MIME types as IRIs of this (defunct) registry
MEDIATYPES = "http://purl.org/NET/mediatypes/"

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
    """The element's text; reading it marks it for the coverage report (:mod:`.trace`)."""
    if element is None:
        return ""
    trace.mark(element)
    return "".join(element.itertext())


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


def vocabulary_nodes(element: Element | None) -> list[Element]:
    """The elements that carry one controlled value (source, value, their langstrings, labels)."""
    return [] if element is None else list(element.iter("*"))


def joined(element: Element | None) -> str:
    """All strings of a LangString as one line (sources, catalog entries)."""
    return clean_line(" ".join(text for _, text in langstrings(element)))


def metadata_schemas(lom: Element) -> list[str]:
    """``metaMetadata/metadataSchema`` values (repeatable: ``LOMv1.0`` + ``LOMFRv1.0`` …), as written."""
    return [clean_line("".join(e.itertext())) for e in walk(lom, "metaMetadata", "metadataSchema")] + [
        clean_line("".join(e.itertext())) for e in walk(lom, "metaMetadata", "metadatascheme")
    ]


_AGE_RANGE = re.compile(r"^(\d{1,2})\s*(?:-\s*(\d{1,2})?)?\+?$")


def add_age_range(record: Record, text: str) -> None:
    """schema:typicalAgeRange is one range ("7-9", "18-"); LOM repeats the element and its languages.

    Numeric ranges are merged into one span; other text is kept when no range is there yet.
    """
    if not text:
        return
    current = record.get("typicalAgeRange")
    new, old = _AGE_RANGE.match(text), _AGE_RANGE.match(current or "")
    if current is None or (current and not old and new):
        record["typicalAgeRange"] = text
    elif new and old:
        low = min(int(new.group(1)), int(old.group(1)))
        highs = [int(h) for h in (new.group(2), old.group(2), new.group(1), old.group(1)) if h]
        open_ended = text.rstrip().endswith(("-", "+")) or current.rstrip().endswith(("-", "+"))
        record["typicalAgeRange"] = f"{low}-" if open_ended else f"{low}-{max(highs)}"


@register
class LomCrosswalk(Crosswalk):
    name = "lom"
    namespaces: ClassVar[tuple[str, ...]] = (LOM,)
    prefixes: ClassVar[tuple[str, ...]] = ("lom", "ieee_lom", "lom_ieee", "oai_lom")
    richness = 20

    #: LOM vocabulary elements under <educational> → hub property
    EDUCATIONAL_VOCABULARIES: ClassVar[dict[str, str]] = {
        "learningResourceType": "learningResourceType",
        "context": "educationalLevel",
        "intendedEndUserRole": "audience",
        "interactivityType": "interactivityType",
    }
    #: LOM contribute roles → schema.org agent property (others become contributor)
    ROLES: ClassVar[dict[str, str]] = {"author": "creator", "publisher": "publisher"}
    #: classification purposes (LOM 9.1, lower case) → hub property
    PURPOSES: ClassVar[dict[str, str]] = {
        "discipline": "about",
        "idea": "about",
        "educational level": "educationalLevel",
        "access rights": "conditionsOfAccess",  # NL-LOM 2018 extension of the purpose vocabulary
    }
    #: metadataSchema prefixes (lower case, no spaces) a profile recognises its records by
    SCHEMAS: ClassVar[tuple[str, ...]] = ()

    _METADATA = "describes the metadata record, not the resource"
    _NOT_IN_MODEL = "not in the hub model (schema.org/AMB has no property for it)"
    dropped: ClassVar[dict[str, str]] = {
        "lom/metametadata": _METADATA,
        "lom/general/structure": _NOT_IN_MODEL + ": LOM structure of a packaged resource",
        "lom/general/aggregationlevel": _NOT_IN_MODEL + ": LOM aggregation level",
        "lom/general/coverage": _NOT_IN_MODEL + ": free-text coverage (spatialCoverage wants a Place)",
        "lom/lifecycle/status": _NOT_IN_MODEL + ": editorial status",
        "lom/lifecycle/contribute/date/description": "explains the date; the date itself is mapped",
        "lom/technical/requirement": _NOT_IN_MODEL + ": technical requirements",
        "lom/technical/installationremarks": _NOT_IN_MODEL + ": installation remarks",
        "lom/technical/otherplatformrequirements": _NOT_IN_MODEL + ": platform requirements",
        "lom/technical/duration": _NOT_IN_MODEL + ": playing time (timeRequired is the learning time)",
        "lom/educational/interactivitylevel": _NOT_IN_MODEL + ": LOM interactivity level",
        "lom/educational/semanticdensity": _NOT_IN_MODEL + ": LOM semantic density",
        "lom/educational/difficulty": _NOT_IN_MODEL + ": LOM difficulty",
        "lom/educational/description": _NOT_IN_MODEL + ": comments on educational use",
        "lom/educational/language": "language of the intended user; general/language is the resource's",
        "lom/relation": _NOT_IN_MODEL + " yet: relations between resources",
        "lom/annotation": _NOT_IN_MODEL + " yet: annotations (comments on educational use)",
        "lom/classification/description": "explains the classification; its taxa are mapped",
    }

    def claims(self, payload: Element) -> bool:
        """Profiles recognise their records by metaMetadata/metadataSchema; the base LOM takes any."""
        if not self.SCHEMAS:
            return True
        try:
            lom = self.lom_root(payload)
        except CrosswalkError:
            return False
        declared = [schema.lower().replace(" ", "") for schema in metadata_schemas(lom)]
        return any(schema.startswith(self.SCHEMAS) for schema in declared)

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
            trace.mark(child(identifier, "catalog"), trace.MAPPED)  # names the entry's catalogue
            value = joined(child(identifier, "entry"))
            if value and value not in record.setdefault("identifier", []):
                record["identifier"].append(value)
        if not record.get("identifier"):
            record.pop("identifier", None)

    def lifecycle(self, record: Record, lifecycle: Element | None) -> None:
        version = child(lifecycle, "version")
        for _, text in langstrings(version)[:1]:  # schema:version; LOM repeats it per language
            if is_placeholder(text):
                trace.mark(version, trace.DROPPED, "placeholder, not a version")
            else:
                record["version"] = clean_line(text)
        for contribute in children(lifecycle, "contribute"):
            role = self.token(child(contribute, "role"))
            key = self.ROLES.get(role, "contributor")
            entities = [text_of(e) for e in children(contribute, "entity")]
            entities += [text_of(v) for v in walk(contribute, "centity", "vcard")]
            for entity in entities:
                agent = vcard_agent(entity)
                if agent and agent not in record.get(key, []):
                    record.setdefault(key, []).append(agent)
            date = iso_date(text_of(child(child(contribute, "date"), "dateTime")))
            if date:
                date_key = "datePublished" if role == "publisher" else "dateCreated"
                record.setdefault(date_key, date)

    def technical(self, record: Record, technical: Element | None) -> None:
        for element in children(technical, "format"):
            value = clean_line(text_of(element)).removeprefix(MEDIATYPES)
            if "/" in value and value not in record.get("encodingFormat", []):
                record.setdefault("encodingFormat", []).append(value)
            elif value != "non-digital":
                trace.mark(element, trace.DROPPED, "not a MIME type")
        size = child(technical, "size")
        if size is not None:
            found = byte_size(text_of(size))
            if found is None:
                trace.mark(size, trace.DROPPED, "not a size in bytes")
            else:
                record["contentSize"] = found
        for element in children(technical, "location"):
            url = web_url(text_of(element))
            if url is None:
                trace.mark(element, trace.DROPPED, "not an http(s) URL")
            elif "url" not in record:
                record["url"] = url
            elif url not in record.get("identifier", []):
                record.setdefault("identifier", []).append(url)  # further locations: mirrors, other formats

    def educational(self, record: Record, educational: Element) -> None:
        for element_name, key in self.EDUCATIONAL_VOCABULARIES.items():
            for element in children(educational, element_name):
                add_concepts(record, key, self.vocabulary_value(key, f"educational/{element_name}", element))
        for element in children(educational, "typicalAgeRange"):
            for _, text in langstrings(element):
                add_age_range(record, clean_line(text))
        duration = child(child(educational, "typicalLearningTime"), "duration", "dateTime")
        if duration is not None and clean_line(text_of(duration)):
            record.setdefault("timeRequired", clean_line(text_of(duration)))

    def rights(self, record: Record, rights: Element | None) -> None:
        if rights is None:
            return
        cost = self.token(child(rights, "cost"))
        if cost in ("no", "yes"):
            record["isAccessibleForFree"] = cost == "no"
        descriptions = langstrings(child(rights, "description"))
        restriction = self.token(child(rights, "copyrightAndOtherRestrictions"))
        uri = licence_uri(" ".join(text for _, text in descriptions)) or licence_uri(restriction)
        if uri:
            record["license"] = {"id": uri}
        for language, text in descriptions:
            notice = clean_block(text)
            if web_url(notice) and licence_uri(notice) == uri:
                continue  # the description is just the licence URL, already in `license`
            add_text(record, "copyrightNotice", language, notice)

    def classification(self, record: Record, classification: Element) -> None:
        """Taxa of a classification go to the hub property its purpose names; others are dropped.

        Its keywords are keywords whatever the purpose (Edurep sends classifications of keywords only).
        """
        for keyword in children(classification, "keyword"):
            for language, text in langstrings(keyword):
                add_listed_text(record, "keywords", language, clean_line(text))
        purpose_element = child(classification, "purpose")
        key = self.classification_field(purpose_element)
        if key is None:
            purpose = self.token(purpose_element)
            trace.mark(classification, trace.DROPPED, f"classification purpose {purpose!r}: " + self._NOT_IN_MODEL)
            return
        element_path = "classification/" + {
            "about": "discipline",
            "educationalLevel": "educational level",
            "qualityLabel": "label",
        }.get(key, key)
        for taxon_path in children(classification, "taxonPath"):
            source = joined(child(taxon_path, "source"))
            for taxon in children(taxon_path, "taxon"):
                add_concepts(record, key, self.taxon_value(key, element_path, taxon, source))

    # ------------------------------------------------------------------ hooks for profiles

    def token(self, element: Element | None) -> str:
        """The LOMv1.0 token of a vocabulary element (role, cost, purpose …), lower case."""
        return vocabulary(element)[1].lower()

    def classification_field(self, purpose: Element | None) -> str | None:
        """The hub property for a classification purpose (LOM 9.1), or None to drop it."""
        return self.PURPOSES.get(self.token(purpose))

    def vocabulary_value(self, key: str, element_path: str, element: Element) -> list[dict[str, Any]]:
        """A LOM Vocabulary element (source/value) as concepts of ``record[key]``."""
        source, value = vocabulary(element)
        # A value without <source> is read as LOMv1.0, the default vocabulary of LOM (AnatomyTOOL omits it).
        return controlled_value(
            key, value, source=source or "LOMv1.0", lom_element=element_path, nodes=vocabulary_nodes(element)
        )

    def taxon_value(self, key: str, element_path: str, taxon: Element, source: str) -> list[dict[str, Any]]:
        """A classification taxon (id + entry labels) as concepts of ``record[key]``."""
        identifier = clean_line(text_of(child(taxon, "id")))
        labels: dict[str, str] = {}
        for language, text in langstrings(child(taxon, "entry")):
            label = clean_line(text)
            if label:
                labels.setdefault(language or "@none", label)
        nodes = [child(taxon, "id"), *vocabulary_nodes(child(taxon, "entry"))]
        if identifier:
            return controlled_value(
                key, identifier, source=source, lom_element=element_path, labels=labels, nodes=nodes
            )
        if labels:
            # A taxon with only a label: look the label up in the bound scheme, else keep it.
            first = next(iter(labels.values()))
            found = controlled_value(key, first, source=source, lom_element=element_path, nodes=nodes)
            if found and "id" in found[0]:
                return found
            return [concept(labels=labels, source_vocabulary=source or None)]
        return []
