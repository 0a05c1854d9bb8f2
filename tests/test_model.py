"""The hub record: schema validation, its triples, and its AMB projection."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
import pyoxigraph as ox
import pytest
from referencing import Registry, Resource

from exchange.model import RecordInvalid, to_ntriples, validate
from exchange.model.amb import to_amb
from tests.test_crosswalks import FIXTURES, lom_file, page_records


def minimal(**extra: object) -> dict:
    record = {
        "id": "http://hub.test/resources/s/1",
        "type": ["LearningResource"],
        "name": {"en": "Fractions"},
        "mainEntityOfPage": [
            {
                "id": "http://example.org/oai?verb=GetRecord&identifier=1",
                "type": "WebContent",
                "provider": {"id": "http://hub.test/sources/s", "name": "s"},
                "oaiIdentifier": "1",
                "metadataFormat": "oai_dc",
            }
        ],
    }
    record.update(extra)
    return record


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"name": {}}, "name"),
        ({"name": {"not a tag!": "x"}}, "name"),
        ({"dateCreated": "03/07/2019"}, "dateCreated"),
        ({"url": "not a url"}, "url"),
        ({"type": ["CreativeWork"]}, "type"),
        ({"creator": [{"type": "Robot", "name": "x"}]}, "creator"),
        ({"surprise": 1}, "additional"),
    ],
)
def test_schema_rejects_bad_records(change: dict, reason: str) -> None:
    with pytest.raises(RecordInvalid, match=reason):
        validate(minimal(**change))


def test_missing_title_is_rejected() -> None:
    record = minimal()
    del record["name"]
    with pytest.raises(RecordInvalid, match="name"):
        validate(record)


def test_triples_parse_and_keep_text_exactly() -> None:
    tricky = 'Quotes " and \\ backslash\nnew line\r\ttab, émoji 🎓, ﬁ ligature'
    record = validate(minimal(description={"fr-CA": tricky, "@none": "untagged"}, dateCreated="2017"))
    lines = to_ntriples(record)
    triples = list(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES))
    descriptions = {(t.object.value, t.object.language) for t in triples if t.predicate.value.endswith("description")}
    assert descriptions == {(tricky, "fr-ca"), ("untagged", None)}  # BCP 47 tags are case-insensitive
    [year] = [t.object for t in triples if t.predicate.value.endswith("dateCreated")]
    assert year.datatype.value == "http://www.w3.org/2001/XMLSchema#gYear"


def test_exactly_one_learning_resource_per_record_graph() -> None:
    record = lom_file("lomes_exelearning_rea_andalucia_asi_soy_yo.xml")
    triples = list(ox.parse("\n".join(to_ntriples(record)).encode(), format=ox.RdfFormat.N_TRIPLES))
    typed = [t.subject.value for t in triples if t.object.value == "http://schema.org/LearningResource"]
    assert typed == [record["id"]]
    # nested nodes hang under the record IRI, so re-harvests give the same graph
    assert all(t.subject.value.startswith(record["id"]) or t.subject.value.startswith("http") for t in triples)


def test_ntriples_refuse_what_would_break_the_store() -> None:
    with pytest.raises(RecordInvalid, match="IRI"):
        to_ntriples(minimal(url="http://example.org/a b"))
    with pytest.raises(RecordInvalid, match="language tag"):
        to_ntriples(minimal(name={"en_GB": "x"}))


@cache
def amb_validator() -> jsonschema.Draft7Validator:
    """The real AMB JSON Schema, release 20231019 (tests/fixtures/amb/schemas); shared by the crosswalk tests."""
    schemas = {}
    for path in (FIXTURES / "amb" / "schemas").glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas[schema["$id"]] = Resource.from_contents(schema)
    registry = Registry().with_resources(schemas.items())
    root = schemas["https://w3id.org/kim/amb/20231019/schemas/schema.json"].contents
    return jsonschema.Draft7Validator(root, registry=registry, format_checker=jsonschema.FormatChecker())


def _real_records() -> list[dict]:
    records = [
        lom_file(name)
        for name in (
            "lomes_exelearning_sustainable_estepona_imslrm.xml",
            "lomes_exelearning_rea_andalucia_asi_soy_yo.xml",
            "scolomfr_v3.2_reference_manual_example_verdun.xml",
        )
    ]
    for page in (
        "edurep/page1.xml",
        "edurep/page2_final.xml",
        "edurep/delta.xml",
        "tudelft/page1.xml",
        "zenodo/page1.xml",
        "librecat/listrecords.xml",
    ):
        records += page_records(FIXTURES / "oai" / page).values()
    return records


def test_amb_projection_of_real_records_is_valid_amb() -> None:
    validator = amb_validator()
    records = _real_records()
    assert len(records) > 100
    for record in records:
        amb = to_amb(record)
        errors = sorted(validator.iter_errors(amb), key=str)
        assert not errors, f"{record['id']}: {errors[0].message}"


def test_amb_projection_picks_the_main_language() -> None:
    record = validate(
        minimal(
            name={"de": "Brüche", "en": "Fractions"}, inLanguage=["en-GB"], keywords={"en": ["maths"], "@none": ["K12"]}
        )
    )
    amb = to_amb(record)
    assert amb["@context"] == ["https://w3id.org/kim/amb/context.jsonld", {"@language": "en"}]
    assert amb["name"] == "Fractions"
    assert amb["keywords"] == ["maths", "K12"]
    assert amb["inLanguage"] == ["en"]


def test_shipped_schema_is_the_one_used(tmp_path: Path) -> None:
    from exchange.resources import schema_path

    schema = json.loads(schema_path("hub-record.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    # jsonschema (reference implementation) and the compiled validator agree on real records
    reference = jsonschema.Draft7Validator(schema)
    for record in _real_records()[:20]:
        assert not list(reference.iter_errors(record))
