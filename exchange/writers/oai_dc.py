"""Hub record → Simple Dublin Core (``oai_dc``, the format every OAI-PMH repository must offer).

Elements follow the order of the ``oai_dcType`` choice in oai_dc.xsd, so equal records give
byte-equal output. Text with a language carries ``xml:lang``; text the source gave without one
(``@none``) carries none. Controlled values become their labels: the concept's own prefLabels,
else the shipped vocabulary's, else the notation, else the IRI (DCMI: subject and type "typically"
from a controlled vocabulary, given as text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from exchange.model import NO_LANGUAGE, Record
from exchange.namespaces import DC, OAI_DC
from exchange.vocabularies import labels as vocabulary_labels

OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EU_REPO = "info:eu-repo/semantics/"

#: (language or None, text) — one DC element's content
Text = tuple[str | None, str]


def texts(language_map: dict[str, str] | None) -> list[Text]:
    """A language map as (language, text) pairs; ``@none`` becomes no language."""
    return [(None if lang == NO_LANGUAGE else lang, text) for lang, text in (language_map or {}).items()]


def concept_labels(value: dict[str, Any]) -> list[Text]:
    """What a person reads for a concept: own prefLabels, the vocabulary's, the notation, the IRI."""
    if value.get("prefLabel"):
        return texts(value["prefLabel"])
    if value.get("id"):
        found = vocabulary_labels(value["id"])
        if found:
            return texts(found)
    if value.get("notation"):
        return [(None, value["notation"])]
    return [(None, value["id"])] if value.get("id") else []


def subjects(record: Record) -> Iterator[Text]:
    """Keywords, then the labels of the subjects (``about``)."""
    for language, words in (record.get("keywords") or {}).items():
        for word in words:
            yield (None if language == NO_LANGUAGE else language), word
    for value in record.get("about", []):
        yield from concept_labels(value)


def names(agents: list[dict[str, Any]] | None) -> list[Text]:
    return [(None, agent["name"]) for agent in agents or []]


def plain(values: Iterable[str | None]) -> list[Text]:
    return [(None, value) for value in values if value]


def identifiers(record: Record) -> list[str]:
    """The identifiers in their order; the url first when it is not one of them (DC readers take the
    first URL as the resource's)."""
    found, url = record.get("identifier", []), record.get("url")
    return found if not url or url in found else [url, *found]


def rights(record: Record) -> Iterator[Text]:
    """Licence URI, access conditions, then the notices. OpenAIRE access-rights tokens
    (``info:eu-repo/semantics/openAccess``) go as the URI, as the OpenAIRE guidelines put them
    in dc:rights; other access conditions as their labels."""
    licence = (record.get("license") or {}).get("id")
    if licence:
        yield None, licence
    for value in record.get("conditionsOfAccess", []):
        if value.get("id", "").startswith(EU_REPO):
            yield None, value["id"]
        else:
            yield from concept_labels(value)
    yield from texts(record.get("copyrightNotice"))


def elements(record: Record) -> Iterator[tuple[str, list[Text]]]:
    """(DC element, contents) in oai_dc.xsd order."""
    yield "title", texts(record.get("name"))
    yield "creator", names(record.get("creator"))
    yield "subject", list(subjects(record))
    yield "description", texts(record.get("description"))
    yield "publisher", names(record.get("publisher"))
    yield "contributor", names(record.get("contributor"))
    yield "date", plain([record.get("dateCreated"), record.get("datePublished")])
    yield "type", [label for value in record.get("learningResourceType", []) for label in concept_labels(value)]
    yield "format", plain(record.get("encodingFormat", []))
    yield "identifier", plain(identifiers(record))
    yield "language", plain(record.get("inLanguage", []))
    yield "rights", list(rights(record))


def write_oai_dc(record: Record) -> etree._Element:
    """``record`` as ``<oai_dc:dc>``, valid against oai_dc.xsd; repeated values are written once."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} {OAI_DC_SCHEMA}")
    for name, contents in elements(record):
        for language, text in dict.fromkeys(contents):
            element = etree.SubElement(root, f"{{{DC}}}{name}")
            element.text = text
            if language:
                element.set(XML_LANG, language)
    return root
