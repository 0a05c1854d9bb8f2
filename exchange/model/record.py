"""Building and validating hub records."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import quote

import fastjsonschema

from exchange.resources import schema_path

Record = dict[str, Any]

#: Key of a language map entry for text the source gave without a language (JSON-LD's ``@none``).
NO_LANGUAGE = "@none"

# Characters left readable in the local part of a record IRI; everything else,
# '/' included, is percent-encoded so one OAI identifier is one path segment.
_SEGMENT_SAFE = ":@!$&'()*+,;=-._~"


class RecordInvalid(ValueError):
    """The record does not satisfy schemas/hub-record.schema.json; the message names the field."""


def record_iri(base: str, source: str, local_id: str) -> str:
    """``{base}/resources/{source}/{local-id}``: the record's IRI and the name of its graph."""
    return f"{base}/resources/{quote(source, safe='')}/{quote(local_id, safe=_SEGMENT_SAFE)}"


def source_iri(base: str, source: str) -> str:
    return f"{base}/sources/{quote(source, safe='')}"


def add_text(record: Record, key: str, language: str | None, text: str | None) -> None:
    """Add ``text`` to the language map ``record[key]``; the first text per language wins.

    Keeping the first and ignoring later ones matches LOM, where a LangString holds at most
    one string per language (real records sometimes repeat a language; see PROVENANCE.md).
    """
    if not text:
        return
    record.setdefault(key, {}).setdefault(language or NO_LANGUAGE, text)


def join_text(record: Record, key: str, language: str | None, text: str | None) -> None:
    """Add ``text`` to ``record[key]``, joining it to a text already there in that language."""
    if not text:
        return
    texts = record.setdefault(key, {})
    language = language or NO_LANGUAGE
    if language not in texts:
        texts[language] = text
    elif text not in texts[language]:
        texts[language] += "\n\n" + text


def add_listed_text(record: Record, key: str, language: str | None, text: str | None) -> None:
    """Append ``text`` to the list at ``record[key][language]`` unless already there."""
    if not text:
        return
    values = record.setdefault(key, {}).setdefault(language or NO_LANGUAGE, [])
    if text not in values:
        values.append(text)


def concept(
    iri: str | None = None,
    *,
    notation: str | None = None,
    labels: dict[str, str] | None = None,
    scheme: str | None = None,
    source_vocabulary: str | None = None,
) -> dict[str, Any]:
    """A controlled value: a SKOS concept IRI when known, else the source's literal kept as is."""
    value: dict[str, Any] = {"type": "Concept"}
    if iri:
        value["id"] = iri
    if notation:
        value["notation"] = notation
    if labels:
        value["prefLabel"] = labels
    if scheme:
        value["inScheme"] = scheme
    if source_vocabulary:
        value["sourceVocabulary"] = source_vocabulary
    return value


@cache
def _validator() -> Callable[[Record], Any]:
    with schema_path("hub-record.schema.json").open(encoding="utf-8") as handle:
        return fastjsonschema.compile(json.load(handle))


def validate(record: Record) -> Record:
    """Check a record against the hub record schema; raise :class:`RecordInvalid` with the reason."""
    try:
        _validator()(record)
    except fastjsonschema.JsonSchemaValueException as error:
        raise RecordInvalid(f"{error.message} (schema rule: {error.rule})") from None
    return record
