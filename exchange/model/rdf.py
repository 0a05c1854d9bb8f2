"""A hub record as the N-Triples lines of its named graph.

Text, not term objects: the same lines go into one SPARQL Update per harvested page
(atomic in the embedded store, one request for a remote one), and building strings
is several times cheaper than building pyoxigraph terms (see BENCHMARKS.md).
Every IRI and language tag is checked here, so a line that reaches the store parses.
"""

from __future__ import annotations

import re
from typing import Any

from exchange.model.record import NO_LANGUAGE, Record, RecordInvalid
from exchange.namespaces import HUB, RDF_TYPE, SCHEMA, SKOS, XSD

# RFC 3987 absolute IRI, minus the characters N-Triples/SPARQL forbid inside <...>.
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*$")
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_DATE_TYPES = (
    (re.compile(r"^-?\d{4}$"), "gYear"),
    (re.compile(r"^-?\d{4}-\d{2}$"), "gYearMonth"),
    (re.compile(r"^-?\d{4}-\d{2}-\d{2}$"), "date"),
    (re.compile(r"^-?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"), "dateTime"),
)
_DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")

TYPE = f"<{RDF_TYPE}>"
TEXT_PROPERTIES = ("name", "description", "copyrightNotice", "accessibilitySummary")
CONCEPT_PROPERTIES = (
    "learningResourceType",
    "educationalLevel",
    "about",
    "audience",
    "interactivityType",
    "educationalUse",
    "conditionsOfAccess",
    "accessMode",
    "accessibilityFeature",
    "accessibilityHazard",
    "accessibilityControl",
    "accessibilityAPI",
    "qualityLabel",
)
#: record keys whose property is the hub's own, not schema.org's
HUB_PROPERTIES = {"qualityLabel"}
AGENT_PROPERTIES = ("creator", "contributor", "publisher")
DATE_PROPERTIES = ("dateCreated", "datePublished", "dateModified")


def iri(value: str) -> str:
    if not _IRI.match(value):
        raise RecordInvalid(f"not an absolute IRI: {value!r}")
    return f"<{value}>"


def escape(text: str) -> str:
    """N-Triples/SPARQL string escaping (chained replace: several times faster than translate)."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return text


def literal(text: str, language: str | None = None, datatype: str | None = None) -> str:
    quoted = '"' + escape(text) + '"'
    if language and language != NO_LANGUAGE:
        if not _LANGUAGE.match(language):
            raise RecordInvalid(f"not a language tag: {language!r}")
        return f"{quoted}@{language}"
    if datatype:
        return f"{quoted}^^<{datatype}>"
    return quoted


def date_literal(value: str) -> str:
    for pattern, name in _DATE_TYPES:
        if pattern.match(value):
            return literal(value, datatype=XSD + name)
    raise RecordInvalid(f"not an ISO 8601 date: {value!r}")


def to_ntriples(record: Record) -> list[str]:
    """The triples of the record's graph, one N-Triples statement per line.

    Nested nodes (agents, unmapped concepts) get IRIs under the record IRI
    (``#creator-1``), so re-harvesting the same record yields the same graph.
    """
    subject_iri = record["id"]
    s = iri(subject_iri)
    lines = [f"{s} {TYPE} <{SCHEMA}{kind}> ." for kind in record["type"]]
    add = lines.append

    for key in TEXT_PROPERTIES:
        for language, text in record.get(key, {}).items():
            add(f"{s} <{SCHEMA}{key}> {literal(text, language)} .")
    for language, words in record.get("keywords", {}).items():
        for word in words:
            add(f"{s} <{SCHEMA}keywords> {literal(word, language)} .")
    for code in record.get("inLanguage", ()):
        add(f"{s} <{SCHEMA}inLanguage> {literal(code)} .")
    if "url" in record:
        add(f"{s} <{SCHEMA}url> {iri(record['url'])} .")
    for value in record.get("identifier", ()):
        add(f"{s} <{SCHEMA}identifier> {literal(value)} .")
    for key in DATE_PROPERTIES:
        if key in record:
            add(f"{s} <{SCHEMA}{key}> {date_literal(record[key])} .")
    if "license" in record:
        add(f"{s} <{SCHEMA}license> {iri(record['license']['id'])} .")
    if "isAccessibleForFree" in record:
        flag = "true" if record["isAccessibleForFree"] else "false"
        add(f"{s} <{SCHEMA}isAccessibleForFree> {literal(flag, datatype=XSD + 'boolean')} .")
    if "typicalAgeRange" in record:
        add(f"{s} <{SCHEMA}typicalAgeRange> {literal(record['typicalAgeRange'])} .")
    if "version" in record:
        add(f"{s} <{SCHEMA}version> {literal(record['version'])} .")
    if "contentSize" in record:
        add(f"{s} <{SCHEMA}contentSize> {literal(str(record['contentSize']), datatype=XSD + 'integer')} .")
    if "timeRequired" in record:
        value = record["timeRequired"]
        datatype = XSD + "duration" if _DURATION.match(value) else None
        add(f"{s} <{SCHEMA}timeRequired> {literal(value, datatype=datatype)} .")
    for value in record.get("encodingFormat", ()):
        add(f"{s} <{SCHEMA}encodingFormat> {literal(value)} .")

    for key in AGENT_PROPERTIES:
        for index, agent in enumerate(record.get(key, ()), start=1):
            node = iri(agent["id"]) if "id" in agent else f"<{subject_iri}#{key}-{index}>"
            add(f"{s} <{SCHEMA}{key}> {node} .")
            add(f"{node} {TYPE} <{SCHEMA}{agent['type']}> .")
            add(f"{node} <{SCHEMA}name> {literal(agent['name'])} .")
            if "email" in agent:
                add(f"{node} <{SCHEMA}email> {literal(agent['email'])} .")

    for key in CONCEPT_PROPERTIES:
        for index, value in enumerate(record.get(key, ()), start=1):
            _concept_lines(lines, s, key, value, f"<{subject_iri}#{key}-{index}>")

    for page in record["mainEntityOfPage"]:
        _provenance_lines(lines, s, page)
    return lines


def _concept_lines(lines: list[str], s: str, key: str, value: dict[str, Any], fallback_node: str) -> None:
    predicate = f"<{HUB}{key}>" if key in HUB_PROPERTIES else f"<{SCHEMA}{key}>"
    if "id" in value:
        # A known concept: the link is enough, its labels live in the vocabulary graph.
        lines.append(f"{s} {predicate} {iri(value['id'])} .")
        return
    node = fallback_node
    lines.append(f"{s} {predicate} {node} .")
    lines.append(f"{node} {TYPE} <{SKOS}Concept> .")
    for language, text in value.get("prefLabel", {}).items():
        lines.append(f"{node} <{SKOS}prefLabel> {literal(text, language)} .")
    if "notation" in value:
        lines.append(f"{node} <{SKOS}notation> {literal(value['notation'])} .")
    if "inScheme" in value:
        lines.append(f"{node} <{SKOS}inScheme> {iri(value['inScheme'])} .")
    if "sourceVocabulary" in value:
        lines.append(f"{node} <{HUB}sourceVocabulary> {literal(value['sourceVocabulary'])} .")


def _provenance_lines(lines: list[str], s: str, page: dict[str, Any]) -> None:
    node = iri(page["id"])
    # Only the link: the source's own description lives once, in the sources graph
    # (exchange.hub.Hub.publish_sources); repeated in every record graph, it would repeat
    # in the union default graph too.
    provider_node = iri(page["provider"]["id"])
    lines.append(f"{s} <{SCHEMA}mainEntityOfPage> {node} .")
    lines.append(f"{node} {TYPE} <{SCHEMA}WebContent> .")
    lines.append(f"{node} <{SCHEMA}provider> {provider_node} .")
    if "dateModified" in page:
        lines.append(f"{node} <{SCHEMA}dateModified> {date_literal(page['dateModified'])} .")
    lines.append(f"{node} <{HUB}oaiIdentifier> {literal(page['oaiIdentifier'])} .")
    lines.append(f"{node} <{HUB}metadataFormat> {literal(page['metadataFormat'])} .")
