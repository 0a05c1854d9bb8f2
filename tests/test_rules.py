"""The shipped tagging rules (rules/*.rq) and tag schemes (vocabularies/tags/), on SYNTHETIC records.

Each record below is made up for one rule: a positive and a negative case per tag and the edges
the specification names (dates exactly at 1990, sizes at the thresholds, no encodingFormat). All
records are written to one embedded hub, tagged once by every rule through the engine's
source_operations (one SPARQL update), and each test reads its records' assessments. At the end,
the rules run over the hand-labelled real records of tests/fixtures/tagging/expectations.json.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from exchange import tagging
from exchange import vocabularies as v
from exchange.config import Settings
from exchange.hub import Hub
from exchange.model import record_iri, to_ntriples, validate
from exchange.resources import data_dir
from exchange.store.base import GraphWrite

BASE = "http://hub.test"
SOURCE = "rules"
OTHER = "rules-other"
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
RULES = data_dir("rules")
TAG_FOLDER = data_dir("vocabularies") / "tags"
TAGS = "https://w3id.org/eduhub/vocab/tags/"
FORMATS = "https://w3id.org/eduhub/vocab/formats/"
SCHEMES = (
    "quality-tier",
    "quality",
    "problem",
    "accessibility",
    "accessibility-metadata",
    "accessibility-warning",
    "sustainability",
)
LANGUAGES = ("en", "de", "fr", "es", "nl", "sv", "fi")
FIXTURES = Path(__file__).parent / "fixtures"

HCRT = "https://w3id.org/kim/hcrt/"
LEVEL = "https://w3id.org/kim/educationalLevel/"
ISCED = "https://w3id.org/eduhub/vocab/isced-f/"
AUDIENCE = "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/"
FEATURE = "http://purl.org/dcx/lrmi-vocabs/accessibilityFeature/"
HAZARD = "http://purl.org/dcx/lrmi-vocabs/accessibilityHazard/"
CONTROL = "http://purl.org/dcx/lrmi-vocabs/accessibilityControl/"
MODE = "https://w3id.org/eduhub/vocab/accessMode/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def concept(iri: str) -> dict[str, str]:
    return {"type": "Concept", "id": iri}


def term(notation: str) -> dict[str, str]:
    """A value the crosswalk could not map: the schema.org term kept as notation."""
    return {"type": "Concept", "notation": notation}


def label(text: str) -> dict[str, Any]:
    return {"type": "Concept", "prefLabel": {"@none": text}}


# ---------------------------------------------------------------------- the synthetic records

#: local id → fields (besides id, type and provenance); name defaults to a unique English title
RECORDS: dict[str, dict[str, Any]] = {
    # quality-tier
    "tier-0": {"name": {"@none": "Tier zero: a name and nothing else"}},
    "tier-a": {
        "inLanguage": ["en"],
        "description": {"en": "Three enabling elements and no controlled field."},
        "license": {"id": CC_BY},
    },
    "tier-a-unmapped": {  # 5 elements, but the controlled values are literals of no shared scheme
        "inLanguage": ["en"],
        "description": {"en": "Five elements whose concepts are unmapped literals."},
        "license": {"id": CC_BY},
        "about": [label("Maths")],
        "learningResourceType": [label("Worksheet")],
    },
    "tier-b": {
        "inLanguage": ["en"],
        "description": {"en": "Five elements, one controlled field conforms."},
        "license": {"id": CC_BY},
        "about": [concept(ISCED + "054")],
        "learningResourceType": [label("Video")],
    },
    "tier-b-untagged-name": {  # everything for C except a name with a language tag
        "name": {"@none": "Seven elements but the name has no language"},
        "inLanguage": ["en"],
        "description": {"en": "All seven enabling elements are present here."},
        "license": {"id": CC_BY},
        "about": [concept(ISCED + "054")],
        "educationalLevel": [concept(LEVEL + "level_2")],
        "learningResourceType": [concept(HCRT + "worksheet")],
        "audience": [concept(AUDIENCE + "student")],
    },
    "tier-c": {
        "inLanguage": ["en"],
        "description": {"en": "All seven enabling elements are present here."},
        "license": {"id": CC_BY},
        "about": [concept(ISCED + "054")],
        "educationalLevel": [label("Grade 7")],
        "learningResourceType": [concept(HCRT + "worksheet")],
        "audience": [concept(AUDIENCE + "student")],
    },
    # quality/multilingual
    "multilingual-name": {"name": {"en": "Photosynthesis explained", "de": "Fotosynthese erklärt"}},
    "multilingual-description": {"description": {"fr": "La photosynthèse expliquée.", "es": "La fotosíntesis."}},
    "monolingual-variants": {"name": {"en": "Photosynthesis explained", "en-GB": "Photosynthesis explained (UK)"}},
    "monolingual-untagged": {"name": {"@none": "Fotosyntes", "sv": "Fotosyntes förklarad"}},
    "monolingual-zxx": {"name": {"fr": "Carte du monde", "zxx": "Carte du monde (sans texte)"}},
    # quality/qa-declared
    "qa-label-iri": {"qualityLabel": [{"type": "Concept", "id": "http://data.education.fr/gar"}]},
    "qa-label-literal": {"qualityLabel": [{"type": "Concept", "prefLabel": {"fr": "Label RIP"}}]},
    # problem patterns
    "title-equals": {"name": {"en": "Photosynthesis"}, "description": {"en": "  PHOTOSYNTHESIS "}},
    "title-differs": {"name": {"en": "Photosynthesis"}, "description": {"en": "Photosynthesis in green plants."}},
    "title-short": {"name": {"en": "Abc"}},
    "title-four-chars": {"name": {"en": "Abcd"}},
    "title-placeholder": {"name": {"en": "[Untitled]"}},
    "title-na": {"name": {"@none": " N/A "}},
    "title-one-usable": {"name": {"en": "n/a", "de": "Fotosynthese"}},
    "description-29": {"description": {"en": "x" * 29}},
    "description-30": {"description": {"en": "x" * 30}},
    "description-mixed": {
        "description": {"en": "Too short.", "de": "Diese Beschreibung ist lang genug, um zu zählen."}
    },
    "duplicate-1": {"name": {"en": "Shared Title"}},
    "duplicate-2": {"name": {"de": "  shared   title "}},
    "url-ok": {"url": "https://example.org/resource"},
    "url-ftp": {"url": "ftp://example.org/resource"},
    "url-urn": {"url": "urn:isbn:9780306406157"},
    "date-future-second": {"dateModified": "2026-11-28T15:00:01Z"},
    "date-now": {"dateModified": "2026-11-28T15:00:00Z"},
    "date-future-month": {"dateCreated": "2026-12"},
    "date-this-month": {"dateCreated": "2026-11"},
    "date-future-year": {"datePublished": "2027"},
    "date-this-year": {"datePublished": "2026"},
    "date-1989-12-31": {"dateCreated": "1989-12-31"},
    "date-1990-01-01": {"dateCreated": "1990-01-01"},
    "date-1990": {"datePublished": "1990"},
    "date-1989": {"datePublished": "1989"},
    "date-1989-12": {"datePublished": "1989-12"},
    "licence-none": {},
    "licence-cc-by": {"license": {"id": CC_BY}},
    "licence-rights-statement": {"license": {"id": "http://rightsstatements.org/vocab/InC/1.0/"}},
    "licence-ported": {"license": {"id": "https://creativecommons.org/licenses/by/3.0/de/"}},
    "licence-nc": {"license": {"id": "https://creativecommons.org/licenses/by-nc/4.0/"}},
    "licence-spdx": {"license": {"id": "http://spdx.org/licenses/MIT"}},
    # accessibility features
    "a11y-captions": {"accessibilityFeature": [concept(FEATURE + "captions")]},
    "a11y-closed-captions": {"accessibilityFeature": [term("closedCaptions")]},
    "a11y-many": {
        "accessibilityFeature": [
            term("transcript"),
            concept(FEATURE + "alternativeText"),
            concept(FEATURE + "signLanguage"),
            concept(FEATURE + "audioDescription"),
        ],
        "accessibilityControl": [concept(CONTROL + "fullKeyboardControl")],
    },
    "a11y-mouse-only": {
        "accessibilityControl": [concept(CONTROL + "fullMouseControl")],
        "accessibilityFeature": [concept(FEATURE + "audioDescription")],
    },
    "hazard-none": {"accessibilityHazard": [term("none")]},
    "hazard-three-no": {
        "accessibilityHazard": [
            concept(HAZARD + "noFlashingHazard"),
            concept(HAZARD + "noMotionSimulationHazard"),
            concept(HAZARD + "noSoundHazard"),
        ]
    },
    "hazard-two-no": {"accessibilityHazard": [concept(HAZARD + "noFlashingHazard"), concept(HAZARD + "noSoundHazard")]},
    "hazard-unknown": {"accessibilityHazard": [term("unknown")]},
    "hazard-flashing": {"accessibilityHazard": [concept(HAZARD + "flashing")]},
    "wcag-aa": {"accessibilitySummary": {"en": "This resource meets WCAG 2.1 Level AA."}},
    "wcag-aaa": {"accessibilitySummary": {"de": "Konform mit WCAG 2.0 AAA."}},
    "wcag-a-reversed": {"accessibilitySummary": {"@none": "Level A of the WCAG 2.2 is met."}},
    "wcag-no-level": {"accessibilitySummary": {"en": "WCAG guidelines were considered."}},
    "wcag-article": {"accessibilitySummary": {"en": "A WCAG audit is planned."}},
    "a11y-complete": {
        "accessMode": [concept(MODE + "textual")],
        "accessibilityFeature": [concept(FEATURE + "index")],
        "accessibilityHazard": [term("none")],
        "accessibilitySummary": {"en": "Fully accessible."},
    },
    # accessibility warnings
    "video-type": {"learningResourceType": [concept(HCRT + "video")]},
    "video-format-transcript": {"encodingFormat": ["video/mp4"], "accessibilityFeature": [term("transcript")]},
    "video-format-uppercase": {"encodingFormat": ["VIDEO/WEBM"]},
    "video-captioned": {
        "learningResourceType": [concept(HCRT + "video")],
        "accessibilityFeature": [concept(FEATURE + "captions")],
    },
    # sustainability
    "formats-open": {"encodingFormat": ["application/pdf", "text/html; charset=utf-8", "Video/MP4"]},
    "formats-mixed": {"encodingFormat": ["application/pdf", "application/msword"]},
    "formats-unknown": {"encodingFormat": ["application/octet-stream"]},
    "formats-unlisted": {"encodingFormat": ["text/html", "text/xxx"]},
    "formats-flash": {"encodingFormat": ["application/x-shockwave-flash"]},
    "pid-doi": {"identifier": ["10.5281/zenodo.1234"]},
    "pid-doi-url": {"url": "https://doi.org/10.1000/xyz123"},
    "pid-handle": {"identifier": ["hdl:1721.1/140694"]},
    "pid-urn": {"identifier": ["urn:nbn:de:0009-1-12345"]},
    "pid-uuid": {"identifier": ["urn:uuid:5af0e26f-c4d2-4ddd-94ab-7dd0bd531751"]},
    "pid-ark": {"url": "https://gallica.bnf.fr/ark:/12148/bpt6k5440618t"},
    "pid-none": {"identifier": ["oai:example.org:123", "ISBN 978-0-306-40615-7"], "url": "https://example.org/x"},
    "maintained-edge": {"dateModified": "2021-11-28T15:00:00Z"},
    "maintained-just-not": {"dateModified": "2021-11-28T14:59:59Z"},
    "maintained-year": {"dateModified": "2024"},
    "size-lightweight-edge": {"contentSize": 1_000_000},
    "size-just-above-lightweight": {"contentSize": 1_000_001},
    "size-heavy-edge": {"contentSize": 50_000_000},
    "size-just-below-heavy": {"contentSize": 49_999_999},
    "size-zero": {"contentSize": 0},
    "size-gigabyte": {"contentSize": 1_000_000_000},
}
#: records of another source, for the source-wide duplicate rule
OTHER_RECORDS = {"duplicate-elsewhere": {"name": {"en": "Shared Title"}}}


def build(source: str, local: str, fields: dict[str, Any]) -> dict[str, Any]:
    record = {
        "id": record_iri(BASE, source, local),
        "type": ["LearningResource"],
        "name": {"en": f"Synthetic record {local} for the rule tests"},
        "mainEntityOfPage": [
            {
                "id": f"https://example.org/oai?verb=GetRecord&identifier={local}",
                "type": "WebContent",
                "provider": {"id": f"{BASE}/sources/{source}", "name": source},
                "oaiIdentifier": local,
                "metadataFormat": "synthetic",
            }
        ],
        **fields,
    }
    return validate(record)


Assessments = dict[str, dict[str, tuple[str | None, str | None]]]


def assessments(hub: Hub, source: str) -> Assessments:
    """record local id → {tag path (scheme/tag): (score, evidence)}."""
    graph = tagging.assessments_graph(BASE, source)
    hub_ns = tagging.HUB
    rows = hub.store.select(
        f"""SELECT ?record ?result ?score ?evidence WHERE {{ GRAPH <{graph}> {{
          ?record <{hub_ns}assessment> ?a . ?a <{hub_ns}result> ?result .
          OPTIONAL {{ ?a <{hub_ns}score> ?score }} OPTIONAL {{ ?a <{hub_ns}evidence> ?evidence }} }} }}"""
    )
    out: Assessments = defaultdict(dict)
    prefix = record_iri(BASE, source, "")
    for row in rows:
        assert row["result"].startswith(TAGS), row
        out[row["record"].removeprefix(prefix)][row["result"].removeprefix(TAGS)] = (
            row.get("score"),
            row.get("evidence"),
        )
    return out


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assessments, Assessments, float]]:
    rules = tagging.load_rules(RULES)
    parameters = tagging.load_parameters(RULES)
    now = tagging.timestamp(NOW)
    with Hub.open(Settings(data_dir=tmp_path_factory.mktemp("rules") / "hub", base=BASE)) as hub:
        for source, records in ((SOURCE, RECORDS), (OTHER, OTHER_RECORDS)):
            writes = [GraphWrite(r["id"], to_ntriples(r)) for r in (build(source, k, f) for k, f in records.items())]
            hub.store.write_page(writes)
        started = datetime.now(UTC)
        for source in (SOURCE, OTHER):
            prefix = record_iri(BASE, source, "")
            hub.store.update(
                tagging.source_operations(BASE, source, prefix, rules=rules, parameters=parameters, now=now)
            )
        seconds = (datetime.now(UTC) - started).total_seconds()
        yield assessments(hub, SOURCE), assessments(hub, OTHER), seconds


@pytest.fixture(scope="module")
def tags(tagged: tuple[Assessments, Assessments, float]) -> Assessments:
    return tagged[0]


def has(tags: Assessments, local: str, *paths: str) -> None:
    for path in paths:
        assert path in tags[local], f"{local} lacks {path}; it has {sorted(tags[local])}"


def lacks(tags: Assessments, local: str, *paths: str) -> None:
    for path in paths:
        assert path not in tags[local], f"{local} has {path}: {tags[local][path]}"


def evidence(tags: Assessments, local: str, path: str) -> str:
    has(tags, local, path)
    return tags[local][path][1] or ""


def score(tags: Assessments, local: str, path: str) -> Decimal:
    has(tags, local, path)
    value = tags[local][path][0]
    assert value is not None, f"{local} {path} has no score"
    return Decimal(value)


def in_scheme(tags: Assessments, local: str, scheme: str) -> list[str]:
    return sorted(path for path in tags[local] if path.startswith(scheme + "/"))


# ---------------------------------------------------------------------- rule files and tag schemes


def test_every_rule_file_parses_and_prefixes_agree() -> None:
    rules = tagging.load_rules(RULES)
    assert len(rules) == len(list(RULES.glob("*.rq"))) >= 20
    for rule in rules:
        assert rule.path.stem == rule.slug, "a rule file is named by its rule"
        assert rule.label and len(rule.definition) > 20
    assert tagging.prologue(rules)  # one consistent PREFIX block
    assert [r.slug for r in rules if r.scope == "source"] == ["problem-duplicate-title"]
    parameters = tagging.load_parameters(RULES)
    for rule in rules:  # every placeholder is known (the engine raises otherwise)
        tagging.insert_operation(
            rule, "http://g", now=tagging.timestamp(NOW), parameters=parameters, records=["http://r"]
        )


def test_every_parameter_has_a_value_and_a_source() -> None:
    import tomllib

    table = tomllib.loads((RULES / "parameters.toml").read_text(encoding="utf-8"))
    used = {name for path in RULES.glob("*.rq") for name in re.findall(r"\{\{\s*([a-z_]+)\s*\}\}", path.read_text())}
    assert used - {"now"} == set(table), "parameters.toml holds exactly the parameters the rules use"
    for name, entry in table.items():
        assert isinstance(entry["value"], int | float) and len(entry["source"]) > 20, name
    assert table["maintained_years"]["value"] == 5
    assert table["swd_grid_intensity_g_per_kwh"]["value"] == 494
    kwh = sum(entry["value"] for name, entry in table.items() if name.startswith("swd_") and "kwh_per_gb" in name)
    assert kwh == pytest.approx(0.300)


def scheme_concepts() -> dict[str, list[str]]:
    return {scheme: sorted(v.scheme(f"{TAGS}{scheme}/").concepts) for scheme in SCHEMES}


def test_tag_schemes_are_skos_with_labels_in_seven_languages() -> None:
    files = sorted(p.name for p in TAG_FOLDER.glob("*.ttl"))
    assert files == sorted([f"{s}.ttl" for s in SCHEMES] + ["formats.ttl"])
    for scheme, concepts in scheme_concepts().items():
        path = TAG_FOLDER / f"{scheme}.ttl"
        triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        licences = {t.object.value for t in triples if t.predicate.value == "http://purl.org/dc/terms/license"}
        assert licences == {"https://creativecommons.org/publicdomain/zero/1.0/"}, path
        assert concepts, scheme
        for iri in concepts:
            assert re.fullmatch(rf"{re.escape(TAGS + scheme)}/[A-Za-z0-9-]+", iri), iri
            assert set(v.labels(iri)) >= set(LANGUAGES), f"{iri} lacks labels"
            facts = [t for t in triples if t.subject.value == iri]
            definitions = {t.object.language for t in facts if t.predicate.value.endswith("#definition")}
            notations = [t.object.value for t in facts if t.predicate.value.endswith("#notation")]
            assert "en" in definitions and notations == [iri.removeprefix(TAGS)], iri


def test_every_result_of_a_rule_is_a_tag_concept_and_every_tag_is_produced() -> None:
    concepts = {iri for iris in scheme_concepts().values() for iri in iris}
    produced: set[str] = set()
    for path in RULES.glob("*.rq"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"PREFIX\s+\w*:\s*<https://w3id\.org/eduhub/vocab/tags/", text), "tags are full IRIs"
        found = set(re.findall(r"<(https://w3id\.org/eduhub/vocab/tags/[^>]+)>", text))
        assert found, f"{path.name} names no tag"
        assert found <= concepts, f"{path.name}: {found - concepts} are not tag concepts"
        produced |= found
    assert produced == concepts, f"no rule produces {concepts - produced}"


def test_the_formats_scheme_covers_the_golden_encoding_formats() -> None:
    formats = v.scheme(FORMATS)
    flag = {}
    notation = {}
    for t in ox.parse(path=str(TAG_FOLDER / "formats.ttl"), format=ox.RdfFormat.TURTLE):
        if t.predicate.value == tagging.HUB + "openFormat":
            flag[t.subject.value] = t.object.value == "true"
        elif t.predicate.value.endswith("#notation"):
            notation[t.object.value] = t.subject.value
    assert len(notation) == len(formats.concepts) >= 60
    for mime, iri in notation.items():
        assert mime == mime.lower() and iri == FORMATS + mime, "notations are lower-case media types"
    assert flag[FORMATS + "application/pdf"] and flag[FORMATS + "audio/mpeg"] and flag[FORMATS + "video/mp4"]
    assert not flag[FORMATS + "application/msword"] and not flag[FORMATS + "application/x-shockwave-flash"]
    assert FORMATS + "application/octet-stream" not in flag  # names no format: neither open nor proprietary
    seen: set[str] = set()
    for path in (FIXTURES / "golden").glob("*.json"):
        seen |= set(re.findall(r'"encodingFormat": \[([^\]]*)\]', path.read_text(encoding="utf-8")))
    values = {value.lower() for group in seen for value in json.loads(f"[{group}]")}
    assert values - set(notation) == {"text/xxx"}  # a bogus value, deliberately left out


# ---------------------------------------------------------------------- quality


def test_quality_tier_one_per_record_with_score_and_evidence(tags: Assessments) -> None:
    for local in RECORDS:
        assert len(in_scheme(tags, local, "quality-tier")) == 1, local
    expected = {
        "tier-0": ("0", "0"),
        "tier-a": ("A", "0.43"),
        "tier-a-unmapped": ("A", "0.71"),
        "tier-b": ("B", "0.71"),
        "tier-b-untagged-name": ("B", "1"),
        "tier-c": ("C", "1"),
    }
    for local, (tier, value) in expected.items():
        assert in_scheme(tags, local, "quality-tier") == [f"quality-tier/{tier}"], local
        assert score(tags, local, f"quality-tier/{tier}") == Decimal(value), local
    text = evidence(tags, "tier-b", "quality-tier/B")
    assert text.startswith("5 of 7 enabling elements: ")
    assert "missing: educational level, audience" in text
    assert "1 of 4 controlled fields use the shared scheme (subject)" in text
    assert "the name has a language tag" in text
    assert "missing" not in evidence(tags, "tier-c", "quality-tier/C")
    assert "3 of 4 controlled fields" in evidence(tags, "tier-c", "quality-tier/C")
    assert "the name has no language tag" in evidence(tags, "tier-b-untagged-name", "quality-tier/B")
    assert "0 of 4 controlled fields" in evidence(tags, "tier-a-unmapped", "quality-tier/A")


def test_multilingual_counts_languages_of_the_name_or_the_description(tags: Assessments) -> None:
    has(tags, "multilingual-name", "quality/multilingual")
    assert evidence(tags, "multilingual-name", "quality/multilingual") == "name given in 2 languages: de, en" or (
        evidence(tags, "multilingual-name", "quality/multilingual") == "name given in 2 languages: en, de"
    )
    assert evidence(tags, "multilingual-description", "quality/multilingual").startswith("description given in 2")
    for local in ("monolingual-variants", "monolingual-untagged", "monolingual-zxx", "tier-c"):
        lacks(tags, local, "quality/multilingual")


def test_qa_declared_names_the_label(tags: Assessments) -> None:
    assert "http://data.education.fr/gar" in evidence(tags, "qa-label-iri", "quality/qa-declared")
    assert "Label RIP" in evidence(tags, "qa-label-literal", "quality/qa-declared")
    lacks(tags, "tier-c", "quality/qa-declared")


# ---------------------------------------------------------------------- problem patterns


def test_title_equals_description_ignores_case_and_space(tags: Assessments) -> None:
    assert "Photosynthesis" in evidence(tags, "title-equals", "problem/title-equals-description")
    lacks(tags, "title-differs", "problem/title-equals-description")


def test_short_or_placeholder_titles(tags: Assessments) -> None:
    for local in ("title-short", "title-placeholder", "title-na"):
        has(tags, local, "problem/short-title")
    assert '"Abc"' in evidence(tags, "title-short", "problem/short-title")
    for local in ("title-four-chars", "title-one-usable", "tier-c"):
        lacks(tags, local, "problem/short-title")


def test_short_description_at_the_threshold(tags: Assessments) -> None:
    assert "shorter than 30 characters" in evidence(tags, "description-29", "problem/short-description")
    for local in ("description-30", "description-mixed", "tier-0"):
        lacks(tags, local, "problem/short-description")


def test_duplicate_titles_within_a_source(tagged: tuple[Assessments, Assessments, float]) -> None:
    tags, other, _ = tagged
    for local in ("duplicate-1", "duplicate-2"):
        assert evidence(tags, local, "problem/duplicate-title").startswith("2 records of this source share the title")
    lacks(tags, "tier-c", "problem/duplicate-title")
    lacks(other, "duplicate-elsewhere", "problem/duplicate-title")  # same title, other source


def test_missing_and_malformed_urls(tags: Assessments) -> None:
    has(tags, "tier-c", "problem/missing-url")
    lacks(tags, "url-ok", "problem/missing-url", "problem/malformed-url")
    assert "ftp://example.org/resource" in evidence(tags, "url-ftp", "problem/malformed-url")
    has(tags, "url-urn", "problem/malformed-url")
    lacks(tags, "url-ftp", "problem/missing-url")


def test_dates_in_the_future_and_before_1990(tags: Assessments) -> None:
    for local in ("date-future-second", "date-future-month", "date-future-year"):
        has(tags, local, "problem/date-in-future")
    assert "dateModified 2026-11-28T15:00:01Z is later than" in evidence(
        tags, "date-future-second", "problem/date-in-future"
    )
    for local in ("date-now", "date-this-month", "date-this-year", "date-1990-01-01"):
        lacks(tags, local, "problem/date-in-future", "problem/date-before-1990")
    for local in ("date-1989-12-31", "date-1989", "date-1989-12"):
        has(tags, local, "problem/date-before-1990")
    assert evidence(tags, "date-1989", "problem/date-before-1990") == "datePublished 1989 is before 1990"
    lacks(tags, "date-1990", "problem/date-before-1990")


def test_missing_and_unrecognised_licences(tags: Assessments) -> None:
    assert evidence(tags, "licence-none", "problem/licence-missing") == "the record gives no licence"
    has(tags, "licence-rights-statement", "problem/licence-unrecognised")
    for local in ("licence-cc-by", "licence-ported", "licence-nc", "licence-spdx"):
        lacks(tags, local, "problem/licence-unrecognised", "problem/licence-missing")
    lacks(tags, "licence-rights-statement", "problem/licence-missing")


# ---------------------------------------------------------------------- accessibility


def test_declared_features_one_tag_each(tags: Assessments) -> None:
    assert in_scheme(tags, "a11y-captions", "accessibility") == ["accessibility/captions"]
    assert (
        evidence(tags, "a11y-closed-captions", "accessibility/captions")
        == "accessibilityFeature closedCaptions declared"
    )
    assert in_scheme(tags, "a11y-many", "accessibility") == [
        "accessibility/alternative-text",
        "accessibility/full-keyboard-control",
        "accessibility/sign-language",
        "accessibility/transcript",
    ]
    assert in_scheme(tags, "a11y-mouse-only", "accessibility") == []


def test_no_hazards_declared(tags: Assessments) -> None:
    assert evidence(tags, "hazard-none", "accessibility/no-hazards-declared") == "accessibilityHazard none declared"
    has(tags, "hazard-three-no", "accessibility/no-hazards-declared")
    for local in ("hazard-two-no", "hazard-flashing", "hazard-unknown", "tier-c"):
        lacks(tags, local, "accessibility/no-hazards-declared")


def test_wcag_claims_need_a_level(tags: Assessments) -> None:
    assert evidence(tags, "wcag-aa", "accessibility/wcag-claimed").startswith(
        'WCAG level AA claimed in the accessibility summary: "This resource meets'
    )
    assert evidence(tags, "wcag-aaa", "accessibility/wcag-claimed").startswith("WCAG level AAA")
    assert evidence(tags, "wcag-a-reversed", "accessibility/wcag-claimed").startswith("WCAG level A ")
    lacks(tags, "wcag-no-level", "accessibility/wcag-claimed")
    lacks(tags, "wcag-article", "accessibility/wcag-claimed")


def test_accessibility_metadata_completeness(tags: Assessments) -> None:
    for local in RECORDS:
        assert len(in_scheme(tags, local, "accessibility-metadata")) == 1, local
    assert score(tags, "tier-c", "accessibility-metadata/none") == 0
    assert score(tags, "wcag-aa", "accessibility-metadata/partial") == Decimal("0.25")
    assert "missing: accessMode, accessibilityFeature, accessibilityHazard" in evidence(
        tags, "wcag-aa", "accessibility-metadata/partial"
    )
    assert score(tags, "a11y-complete", "accessibility-metadata/complete") == 1
    assert evidence(tags, "a11y-complete", "accessibility-metadata/complete").startswith("4 of 4")


def test_video_without_captions(tags: Assessments) -> None:
    assert "learning resource type video" in evidence(
        tags, "video-type", "accessibility-warning/video-without-captions"
    )
    assert "encodingFormat VIDEO/WEBM" in evidence(
        tags, "video-format-uppercase", "accessibility-warning/video-without-captions"
    )
    for local in ("video-format-transcript", "video-captioned", "formats-mixed", "tier-c"):
        lacks(tags, local, "accessibility-warning/video-without-captions")


def test_hazards_unknown(tags: Assessments) -> None:
    assert evidence(tags, "tier-c", "accessibility-warning/hazards-unknown") == "no accessibilityHazard declared"
    has(tags, "hazard-unknown", "accessibility-warning/hazards-unknown")
    for local in ("hazard-none", "hazard-two-no", "hazard-flashing"):
        lacks(tags, local, "accessibility-warning/hazards-unknown")


# ---------------------------------------------------------------------- sustainability


def test_open_licence(tags: Assessments) -> None:
    for local in ("licence-cc-by", "licence-ported", "licence-spdx"):
        has(tags, local, "sustainability/open-licence")
    for local in ("licence-nc", "licence-rights-statement", "licence-none"):
        lacks(tags, local, "sustainability/open-licence")


def test_open_and_proprietary_formats(tags: Assessments) -> None:
    assert evidence(tags, "formats-open", "sustainability/open-format").startswith("every format is open: ")
    lacks(tags, "formats-open", "sustainability/proprietary-format")
    has(tags, "formats-mixed", "sustainability/proprietary-format")
    lacks(tags, "formats-mixed", "sustainability/open-format")
    assert evidence(tags, "formats-flash", "sustainability/proprietary-format") == (
        "proprietary format: application/x-shockwave-flash"
    )
    for local in ("formats-unknown", "formats-unlisted", "tier-c"):  # tier-c has no encodingFormat
        lacks(tags, local, "sustainability/open-format", "sustainability/proprietary-format")


def test_persistent_identifiers(tags: Assessments) -> None:
    expected = {
        "pid-doi": "DOI as identifier: 10.5281/zenodo.1234",
        "pid-doi-url": "DOI as url: https://doi.org/10.1000/xyz123",
        "pid-handle": "Handle as identifier: hdl:1721.1/140694",
        "pid-urn": "URN as identifier: urn:nbn:de:0009-1-12345",
        "pid-ark": "ARK as url: https://gallica.bnf.fr/ark:/12148/bpt6k5440618t",
    }
    for local, text in expected.items():
        assert evidence(tags, local, "sustainability/persistent-identifier") == text
    for local in ("pid-uuid", "pid-none"):
        lacks(tags, local, "sustainability/persistent-identifier")


def test_maintenance(tags: Assessments) -> None:
    assert "within the last 5 years (since 2021-11-28)" in evidence(
        tags, "maintained-edge", "sustainability/maintained"
    )
    has(tags, "maintained-year", "sustainability/maintained")
    lacks(tags, "maintained-just-not", "sustainability/maintained", "sustainability/maintenance-unknown")
    has(tags, "tier-c", "sustainability/maintenance-unknown")
    lacks(tags, "maintained-edge", "sustainability/maintenance-unknown")


def test_size_thresholds(tags: Assessments) -> None:
    has(tags, "size-lightweight-edge", "sustainability/lightweight")
    has(tags, "size-zero", "sustainability/lightweight")
    has(tags, "size-heavy-edge", "sustainability/heavy")
    for local in ("size-just-above-lightweight", "size-just-below-heavy"):
        lacks(tags, local, "sustainability/lightweight", "sustainability/heavy")
    lacks(tags, "tier-c", "sustainability/lightweight", "sustainability/heavy")


def test_footprint_by_the_sustainable_web_design_model(tags: Assessments) -> None:
    assert score(tags, "size-gigabyte", "sustainability/footprint") == Decimal("148.2")  # 1 GB x 0.3 kWh x 494
    assert score(tags, "size-lightweight-edge", "sustainability/footprint") == Decimal("0.1482")
    assert score(tags, "size-zero", "sustainability/footprint") == 0
    text = evidence(tags, "size-gigabyte", "sustainability/footprint")
    assert text.startswith("1000000000 bytes (1 GB)") and "0.3 kWh" in text and "148.2 gCO2e per access" in text
    assert evidence(tags, "tier-c", "sustainability/footprint-unknown").startswith("the record gives no contentSize")
    lacks(tags, "tier-c", "sustainability/footprint")
    lacks(tags, "size-zero", "sustainability/footprint-unknown")


def test_every_record_is_seen_by_the_one_per_record_rules(tags: Assessments) -> None:
    for local in RECORDS:
        assert in_scheme(tags, local, "accessibility-metadata"), local
        footprint = {"sustainability/footprint", "sustainability/footprint-unknown"} & set(tags[local])
        assert len(footprint) == 1, local
