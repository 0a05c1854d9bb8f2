"""A hub record projected onto plain AMB (Allgemeines Metadatenprofil für Bildungsressourcen).

AMB (https://w3id.org/kim/amb/) describes a resource in one language and limits some
vocabularies to the German KIM schemes. The hub keeps more (several languages, any
scheme, literals it could not map), so the projection chooses: the text in the record's
main language, concepts only where AMB's schema admits them. What AMB cannot carry stays
in the hub's RDF and native formats.
"""

from __future__ import annotations

import re
from typing import Any

from exchange.model.record import NO_LANGUAGE, Record

AMB_CONTEXT = "https://w3id.org/kim/amb/context.jsonld"
#: AMB requires `@language`; used only when a record names no language at all.
FALLBACK_LANGUAGE = "en"

# Concept properties whose AMB schema requires (some) IRIs from particular schemes.
_SCHEME_RULES = {
    "about": re.compile(r"^https://w3id\.org/kim/hochschulfaechersystematik/|^http://w3id\.org/kim/schulfaecher/"),
    "learningResourceType": re.compile(r"^http://w3id\.org/openeduhub/vocabs/new_lrt/|^https://w3id\.org/kim/hcrt/"),
    "educationalLevel": re.compile(r"^https://w3id\.org/kim/educationalLevel/"),
    "audience": re.compile(r"."),
}
_LICENCE = re.compile(
    r"^https?://creativecommons\.org/(licenses|licences|publicdomain)/|^https?://www\.gnu\.org/licenses/"
    r"|^https?://www\.apache\.org/licenses/|^https?://opensource\.org/licenses/MIT|^https?://www\.opensource\.org/licenses/BSD"
)
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$")


def main_language(record: Record) -> str:
    """The record's main language as an ISO 639-1 code, as AMB's context wants it."""
    candidates = [*record.get("inLanguage", ()), *record.get("name", {}), *record.get("description", {})]
    for tag in candidates:
        primary = tag.split("-")[0].lower()
        if len(primary) == 2 and primary.isalpha():
            return primary
    return FALLBACK_LANGUAGE


def _in_language(texts: dict[str, Any], language: str) -> Any:
    for key in texts:
        if key.split("-")[0].lower() == language:
            return texts[key]
    if NO_LANGUAGE in texts:
        return texts[NO_LANGUAGE]
    return next(iter(texts.values()))


def to_amb(record: Record) -> dict[str, Any]:
    language = main_language(record)
    amb: dict[str, Any] = {
        "@context": [AMB_CONTEXT, {"@language": language}],
        "id": record["id"],
        "type": list(record["type"]),
        "name": _in_language(record["name"], language),
    }
    if "description" in record:
        amb["description"] = _in_language(record["description"], language)
    if "keywords" in record:
        keywords = record["keywords"]
        amb["keywords"] = list(dict.fromkeys(_in_language(keywords, language) + keywords.get(NO_LANGUAGE, [])))
    codes = [tag.split("-")[0].lower() for tag in record.get("inLanguage", ())]
    codes = [code for code in dict.fromkeys(codes) if len(code) == 2]
    if codes:
        amb["inLanguage"] = codes
    for key in ("creator", "contributor", "publisher"):
        if key in record:
            amb[key] = [{k: v for k, v in agent.items() if k in ("type", "name", "id")} for agent in record[key]]
    for key in ("dateCreated", "datePublished", "dateModified"):
        if _FULL_DATE.match(record.get(key, "")):
            amb[key] = record[key]
    if "license" in record and _LICENCE.match(record["license"]["id"]):
        amb["license"] = {"id": record["license"]["id"]}
    if "isAccessibleForFree" in record:
        amb["isAccessibleForFree"] = record["isAccessibleForFree"]
    for key, rule in _SCHEME_RULES.items():
        # AMB's schema admits only concepts of its schemes here; the others stay in the hub's RDF.
        concepts = [_concept(c) for c in record.get(key, ()) if "id" in c and rule.match(c["id"])]
        if concepts:
            amb[key] = concepts
    if "url" in record:
        amb["url"] = record["url"]
    amb["mainEntityOfPage"] = [_page(page) for page in record["mainEntityOfPage"]]
    return amb


def _concept(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Concept", "id": value["id"]}
    labels = {k: v for k, v in value.get("prefLabel", {}).items() if len(k) == 2}
    if labels:
        out["prefLabel"] = labels
    return out


def _page(page: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": page["id"],
        "type": "WebContent",
        "provider": {"id": page["provider"]["id"], "name": page["provider"]["name"]},
    }
    if _FULL_DATE.match(page.get("dateModified", "")):
        out["dateModified"] = page["dateModified"]
    return out
