"""Hub record → IEEE LOM (1484.12.1-2002) in its XML binding (1484.12.3), the inverse of
:mod:`exchange.crosswalks.lom`.

The output is valid against ``lom.xsd`` of the IEEE LTSC distribution, whose default
composite is the strict one: ``vocab/strict.xsd`` (vocabulary elements take LOMv1.0
source/value pairs only), ``unique/strict.xsd`` (single-valued elements once) and
``extend/strict.xsd`` (no extension elements). That is IEEE's "strictly conforming" LOM,
which any LOM consumer can validate without knowing a national profile. What follows:

* A concept of an educational vocabulary (5.1, 5.2, 5.5, 5.6) is written there only when it
  is a LOMv1.0 token, i.e. a concept of the OpenEduHub SKOS rendering of that vocabulary
  (``…/lom_learning_resource_type/narrative_text`` ↔ ``narrative text``; vocabularies/lom_*.ttl).
* Subjects (``about``) and educational levels from other vocabularies become taxa of a
  classification (9) with purpose ``discipline`` / ``educational level``: one taxonPath per
  concept (the hub keeps no hierarchy), source = the concept's vocabulary, taxon id = its IRI
  or notation, entry = its labels.
* Resource types, end-user roles and interactivity types of other vocabularies have no strict
  LOM element and are left out (see :func:`lom_token`).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from exchange.model import NO_LANGUAGE, Record
from exchange.namespaces import LOM

LOM_SCHEMA = "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: the vocabulary source of the LOM base schema (1484.12.3 vocabValues.xsd ``sourceValues``)
LOMV1 = "LOMv1.0"
OEH = "http://w3id.org/openeduhub/vocabs/"

#: hub field → (LOM educational element, OEH scheme of its tokens, the LOMv1.0 tokens of 1484.12.1).
#: In the order of the LOM data model: 5.1, 5.2, 5.5, 5.6.
EDUCATIONAL: dict[str, tuple[str, str, frozenset[str]]] = {
    "interactivityType": (
        "interactivityType",
        OEH + "lom_interactivity_type/",
        frozenset({"active", "expositive", "mixed"}),
    ),
    "learningResourceType": (
        "learningResourceType",
        OEH + "lom_learning_resource_type/",
        frozenset(
            {
                "exercise",
                "simulation",
                "questionnaire",
                "diagram",
                "figure",
                "graph",
                "index",
                "slide",
                "table",
                "narrative text",
                "exam",
                "experiment",
                "problem statement",
                "self assessment",
                "lecture",
            }
        ),
    ),
    "audience": (
        "intendedEndUserRole",
        OEH + "lom_intended_end_user_role/",
        frozenset({"teacher", "author", "learner", "manager"}),
    ),
    "educationalLevel": (
        "context",
        OEH + "lom_educational-context/",
        frozenset({"school", "higher education", "training", "other"}),
    ),
}
#: hub agent property → LOM 2.3.1 role; the hub keeps no finer role for contributors.
ROLES = {"creator": "author", "publisher": "publisher", "contributor": "unknown"}
#: hub concept field → LOM 9.1 purpose of the classification its taxa go to
PURPOSES = {"about": "discipline", "educationalLevel": "educational level"}

# 1484.12.3 dataTypes.xsd DateTimeString and DurationString (Christian Klaue's patterns).
_DATE_TIME = re.compile(
    r"([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([0-1][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9](\.[0-9]+(Z|([+-]([0-1][0-9]|2[0-3]):[0-5][0-9]))?)?)?)?)?)?)?"
)
_DURATION = re.compile(r"P([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?")
_SECONDS_THEN_ZONE = re.compile(r"(T\d{2}:\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_VCARD_LINE_OCTETS = 75  # RFC 2426 §2.6: lines SHOULD NOT be longer than 75 octets

Element = etree._Element


# ---------------------------------------------------------------------- small builders


def sub(parent: Element, name: str, text: str | None = None) -> Element:
    element = etree.SubElement(parent, f"{{{LOM}}}{name}")
    if text is not None:
        element.text = text
    return element


def langstring(parent: Element, name: str, texts: dict[str, str]) -> Element:
    """A LangString (1484.12.3 ``<string language>``); ``@none`` text gets no language attribute."""
    element = sub(parent, name)
    for language, text in texts.items():
        string = sub(element, "string", text)
        if language != NO_LANGUAGE:
            string.set("language", language)
    return element


def vocabulary(parent: Element, name: str, value: str) -> Element:
    """A Vocabulary element of the LOM base schema: source LOMv1.0 and the token."""
    element = sub(parent, name)
    sub(element, "source", LOMV1)
    sub(element, "value", value)
    return element


def identifier(parent: Element, entry: str) -> Element:
    """An Identifier; catalog ``URI`` when the entry is one (1484.12.1 1.1.1 example), else none known."""
    element = sub(parent, "identifier")
    if _URI.match(entry):
        sub(element, "catalog", "URI")
    sub(element, "entry", entry)
    return element


def lom_date(value: str) -> str | None:
    """A hub date in the binding's DateTimeString, or None if it has no form there.

    The binding's pattern allows a time zone only after fractional seconds, so ``…:00Z``
    is written as the same instant ``…:00.0Z``.
    """
    value = _SECONDS_THEN_ZONE.sub(r"\1.0\2", value)
    return value if _DATE_TIME.fullmatch(value) else None


# ---------------------------------------------------------------------- vCard 3.0 (RFC 2426)


def vcard_text(value: str) -> str:
    """RFC 2426 §4 text escaping: backslash, comma, semicolon and newline."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold(line: str) -> str:
    """RFC 2426 §2.6 folding: CRLF plus one space before each further 74 octets (never inside a character)."""
    parts: list[str] = []
    current, size, limit = "", 0, _VCARD_LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append(current)
            current, size, limit = "", 0, _VCARD_LINE_OCTETS - 1
        current += char
        size += octets
    parts.append(current)
    return "\r\n ".join(parts)


def vcard(agent: dict[str, Any]) -> str:
    """A vCard 3.0 for a hub agent: FN and N always (both REQUIRED, RFC 2426 §5), ORG for organisations,
    EMAIL, and the agent's IRI as URL.

    The hub keeps only the display name, so a person's N carries it whole as the family name
    rather than guessing a split; an organisation's N is empty and its ORG is the name.
    """
    name = vcard_text(agent["name"])
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}"]
    if agent["type"] == "Organization":
        lines += ["N:;;;;", f"ORG:{name}"]
    else:
        lines.append(f"N:{name};;;;")
    if agent.get("email"):
        lines.append(f"EMAIL;TYPE=INTERNET:{vcard_text(agent['email'])}")
    if agent.get("id"):  # a URI value, not escaped; ORCID, ROR, GND or Wikidata IRI as HS-OER-LOM puts them
        lines.append(f"URL:{agent['id']}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


# ---------------------------------------------------------------------- controlled values


def lom_token(field: str, value: dict[str, Any]) -> str | None:
    """The LOMv1.0 token of a concept of ``field``, or None when it is from another vocabulary.

    A concept of the OEH rendering of the field's LOM vocabulary (http or https spelling), or a
    literal kept with source ``LOMv1.0``; either way only tokens of the base schema count: the
    OEH schemes add values (``parent``) that vocab/strict.xsd refuses.
    """
    _, scheme, tokens = EDUCATIONAL[field]
    iri = value.get("id")
    if iri:
        bare_scheme, bare_iri = scheme.split("://", 1)[1], iri.split("://", 1)[-1]
        token = bare_iri[len(bare_scheme) :].replace("_", " ") if bare_iri.startswith(bare_scheme) else None
    else:
        source = (value.get("sourceVocabulary") or "").strip().lower()
        token = (value.get("notation") or "").strip().lower() if source == LOMV1.lower() else None
    return token if token in tokens else None


def taxon_path(classification: Element, value: dict[str, Any]) -> None:
    """One concept as a taxonPath of one taxon: source = vocabulary, id = IRI or notation, entry = labels."""
    path = sub(classification, "taxonPath")
    source = value.get("sourceVocabulary") or value.get("inScheme")
    if source:
        langstring(path, "source", {NO_LANGUAGE: source})
    taxon = sub(path, "taxon")
    if value.get("id") or value.get("notation"):
        sub(taxon, "id", value.get("id") or value["notation"])
    if value.get("prefLabel"):
        langstring(taxon, "entry", value["prefLabel"])


# ---------------------------------------------------------------------- categories


def general(lom: Element, record: Record) -> None:
    element = sub(lom, "general")
    for entry in record.get("identifier", []):
        identifier(element, entry)
    langstring(element, "title", record["name"])
    for language in record.get("inLanguage", []):
        sub(element, "language", language)
    if record.get("description"):
        langstring(element, "description", record["description"])
    for language, words in (record.get("keywords") or {}).items():
        for word in words:
            langstring(element, "keyword", {language: word})


def life_cycle(lom: Element, record: Record) -> None:
    """Version, then one contribute per role; dateCreated dates the author's, datePublished the publisher's."""
    dates = {"creator": record.get("dateCreated"), "publisher": record.get("datePublished")}
    contributes = []
    for field, role in ROLES.items():
        agents = record.get(field, [])
        date = lom_date(dates.get(field) or "")
        if not agents and not date:
            continue
        contribute = etree.Element(f"{{{LOM}}}contribute")
        vocabulary(contribute, "role", role)
        for agent in agents:
            sub(contribute, "entity", vcard(agent))
        if date:
            sub(sub(contribute, "date"), "dateTime", date)
        contributes.append(contribute)
    if not contributes and not record.get("version"):
        return
    life = sub(lom, "lifeCycle")
    if record.get("version"):
        langstring(life, "version", {NO_LANGUAGE: record["version"]})  # 2.1, before contribute (2.3)
    life.extend(contributes)


def meta_metadata(lom: Element, record: Record) -> None:
    """The metadata record is the hub's: its IRI, and the schema it conforms to (3.3)."""
    element = sub(lom, "metaMetadata")
    identifier(element, record["id"])
    sub(element, "metadataSchema", LOMV1)


def technical(lom: Element, record: Record) -> None:
    formats, url, size = record.get("encodingFormat", []), record.get("url"), record.get("contentSize")
    if not formats and not url and size is None:
        return
    element = sub(lom, "technical")
    for mime in formats:
        sub(element, "format", mime)
    if size is not None:
        sub(element, "size", str(size))  # 4.2, in bytes
    if url:
        sub(element, "location", url)


def educational(lom: Element, record: Record) -> None:
    """One educational with every value; further ones only for further interactivity types (5.1 is single)."""
    tokens = {
        field: list(dict.fromkeys(t for t in (lom_token(field, v) for v in record.get(field, [])) if t))
        for field in EDUCATIONAL
    }
    interactivity = tokens["interactivityType"] or [None]
    element = etree.Element(f"{{{LOM}}}educational")
    if interactivity[0]:
        vocabulary(element, "interactivityType", interactivity[0])
    for field in ("learningResourceType", "audience", "educationalLevel"):
        for token in tokens[field]:
            vocabulary(element, EDUCATIONAL[field][0], token)
    if record.get("typicalAgeRange"):
        langstring(element, "typicalAgeRange", {NO_LANGUAGE: record["typicalAgeRange"]})
    duration = record.get("timeRequired")
    if duration:
        learning_time = sub(element, "typicalLearningTime")
        if _DURATION.fullmatch(duration):
            sub(learning_time, "duration", duration)
        else:  # not an ISO 8601 duration the binding accepts: keep it readable
            langstring(learning_time, "description", {NO_LANGUAGE: duration})
    if len(element):
        lom.append(element)
    for token in interactivity[1:]:
        vocabulary(sub(lom, "educational"), "interactivityType", token)


def rights(lom: Element, record: Record) -> None:
    """Cost from isAccessibleForFree; restrictions ``yes`` unless the licence is a public-domain tool;
    the description holds the licence URI, then the notices."""
    free = record.get("isAccessibleForFree")
    licence = (record.get("license") or {}).get("id")
    notices = record.get("copyrightNotice") or {}
    if free is None and not licence and not notices:
        return
    element = sub(lom, "rights")
    if free is not None:
        vocabulary(element, "cost", "no" if free else "yes")
    if licence or notices:
        public_domain = bool(licence) and "/publicdomain/" in licence and not notices
        vocabulary(element, "copyrightAndOtherRestrictions", "no" if public_domain else "yes")
        description = sub(element, "description")
        if licence:
            sub(description, "string", licence)
        for language, text in notices.items():
            string = sub(description, "string", text)
            if language != NO_LANGUAGE:
                string.set("language", language)


def classifications(lom: Element, record: Record) -> None:
    for field, purpose in PURPOSES.items():
        values = record.get(field, [])
        if field in EDUCATIONAL:
            values = [v for v in values if lom_token(field, v) is None]
        if not values:
            continue
        classification = sub(lom, "classification")
        vocabulary(classification, "purpose", purpose)
        for value in values:
            taxon_path(classification, value)


def write_lom(record: Record) -> Element:
    """``record`` as ``<lom xmlns="http://ltsc.ieee.org/xsd/LOM">``, in the order of the LOM data model."""
    lom = etree.Element(f"{{{LOM}}}lom", nsmap={None: LOM, "xsi": XSI})
    lom.set(f"{{{XSI}}}schemaLocation", f"{LOM} {LOM_SCHEMA}")
    general(lom, record)
    life_cycle(lom, record)
    meta_metadata(lom, record)
    technical(lom, record)
    educational(lom, record)
    rights(lom, record)
    classifications(lom, record)
    return lom
