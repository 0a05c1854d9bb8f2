"""Writers: hub record → oai_dc and → IEEE LOM, validated offline against the published XSDs,
and the LOM round trip (LOM → hub → LOM → hub) over every real LOM record in the fixtures."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from exchange import crosswalks, writers
from exchange.crosswalks import RecordContext
from exchange.model import validate
from exchange.namespaces import DC, LOM, OAI_DC
from exchange.normalize import vcard_agent
from exchange.resources import schema_path
from exchange.writers import UnknownFormat, write_lom, write_oai_dc
from exchange.writers.lom import EDUCATIONAL, fold, lom_date, vcard
from tests.realdata import NOT_RECORDS, REAL, lom_cases, oai_dc_cases, parse

FIXTURES = Path(__file__).parent / "fixtures"
XSD = FIXTURES / "xsd"
OEH = "http://w3id.org/openeduhub/vocabs/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SRU_RESPONSE = "{http://www.loc.gov/zing/srw/}searchRetrieveResponse"

#: Round trips that fail because the INPUT crosswalk loses or changes a value (not the writer).
INPUT_CROSSWALK_GAPS: dict[str, str] = {}

#: LOMv1.0 tokens the input keeps as literals because their <source> names the base vocabulary otherwise, so
#: strict LOM cannot hold them (case → LOM element, token, why). Input gaps: vocabularies/ binds no such source.
UNRECOGNISED_LOM_TOKENS = {
    "lom/edurep_sru_searchretrieve_czp_lom.xml#0": (
        "intendedEndUserRole",
        "learner",
        "Edurep's source vdex_intendedenduserrole_lomv1p0_20060628.xml is the LOMv1.0 vocabulary as VDEX, not bound",
    ),
    "lom/lomes_exelearning_fp_lmsgi01_minimal.xml": (
        "intendedEndUserRole",
        "learner",
        "LOM-ESv1.0 keeps the LOMv1.0 tokens of 5.5 Intended End User Role; source LOM-ESv1.0 not bound there",
    ),
}

#: Hub fields strict LOM (vocab/strict.xsd, extend/strict.xsd) has no element for → why. The round trip
#: compares every other field; a new hub field fails the round trip until it is mapped or listed here.
NOT_IN_STRICT_LOM = {
    "type": "schema.org types: LOM describes a learning object, so the reader always says LearningResource",
    "mainEntityOfPage": "provenance of the hub record; metaMetadata/identifier names the hub record instead",
    "dateModified": "LOM has no modification date of the resource (contribute dates are per role)",
    "conditionsOfAccess": "NL-LOM's classification purpose 'access rights' is not a LOMv1.0 purpose (9.1)",
    "educationalUse": "no LOM element",
    "accessMode": "no LOM element",
    "accessibilityFeature": "no LOM element",
    "accessibilityHazard": "no LOM element",
    "accessibilityControl": "no LOM element",
    "accessibilityAPI": "no LOM element",
    "accessibilitySummary": "no LOM element",
    "qualityLabel": "ScoLOMFR's classification purpose 'label' is not a LOMv1.0 purpose (9.1)",
}
#: Concept fields whose values strict LOM carries only as LOMv1.0 tokens (5.1, 5.2, 5.5; 5.6 also has 9.1).
TOKEN_ONLY = {
    "learningResourceType": "learningResourceType",
    "audience": "intendedEndUserRole",
    "interactivityType": "interactivityType",
}
CONCEPT_FIELDS = ("learningResourceType", "audience", "interactivityType", "educationalLevel", "about")
#: Hub fields the LOM writer maps; with NOT_IN_STRICT_LOM, every property of the hub record schema.
IN_STRICT_LOM = {
    "id",  # 3.1 metaMetadata/identifier (the reader takes the record IRI from the harvest context)
    *("name", "description", "keywords", "inLanguage", "identifier"),  # 1 general
    *("version", "creator", "contributor", "publisher", "dateCreated", "datePublished"),  # 2.1, 2.3 life cycle
    *("url", "encodingFormat", "contentSize"),  # 4 technical
    *("typicalAgeRange", "timeRequired", *CONCEPT_FIELDS),  # 5 educational, 9 classification
    *("license", "copyrightNotice", "isAccessibleForFree"),  # 6 rights
}


# ---------------------------------------------------------------------- offline schemas


class LocalSchemasOnly(etree.Resolver):
    """Schema imports and includes resolve inside tests/fixtures/xsd/ or fail: validation never goes online."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> Any:
        path = Path(url or "").resolve()
        if "://" in (url or "") or XSD.resolve() not in path.parents:
            raise AssertionError(f"schema wanted {url!r}, which is not in {XSD}")
        return self.resolve_filename(str(path), context)


@cache
def schema(relative: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalSchemasOnly())
    return etree.XMLSchema(etree.parse(str(XSD / relative), parser))


def lom_schema() -> etree.XMLSchema:
    """The IEEE LOM v1.0 binding's default composite: vocab, unique and extend all strict (lomStrict)."""
    return schema("ieee-lom-v1.0/lom.xsd")


def oai_dc_schema() -> etree.XMLSchema:
    return schema("oai_dc.xsd")


def assert_valid(xsd: etree.XMLSchema, element: etree._Element) -> None:
    if not xsd.validate(element):
        errors = "\n".join(f"line {e.line}: {e.message}" for e in xsd.error_log)
        pytest.fail(f"not valid:\n{errors}\n{etree.tostring(element, pretty_print=True, encoding='unicode')}")


LOM_CASES = lom_cases()
OAI_DC_CASES = oai_dc_cases()


def params(cases: dict[str, etree._Element], gaps: dict[str, str] | None = None) -> list[Any]:
    gaps = gaps or {}
    return [
        pytest.param(case, id=case, marks=[pytest.mark.xfail(strict=True, reason=gaps[case])] if case in gaps else [])
        for case in cases
    ]


def context(prefix: str) -> RecordContext:
    return RecordContext(
        base="http://hub.test",
        source="test",
        oai_identifier="oai:test:1",
        datestamp="2020-01-01T00:00:00Z",
        metadata_prefix=prefix,
        source_record_url="http://example.org/oai?verb=GetRecord&identifier=oai:test:1",
    )


def crosswalk(payload: etree._Element, prefix: str = "lom") -> dict[str, Any]:
    return validate(crosswalks.for_payload(payload).to_record(payload, context(prefix)))


# ---------------------------------------------------------------------- what "keeps every value" means


@cache
def strict_tokens(lom_element: str) -> frozenset[str]:
    """The LOMv1.0 tokens of a vocabulary element, read from the binding's vocabValues.xsd."""
    values = parse(XSD / "ieee-lom-v1.0" / "common" / "vocabValues.xsd")
    xs = "{http://www.w3.org/2001/XMLSchema}"
    [simple_type] = [t for t in values.iter(f"{xs}simpleType") if t.get("name") == f"{lom_element}Values"]
    return frozenset(e.get("value") for e in simple_type.iter(f"{xs}enumeration"))


def is_strict_token(lom_element: str, scheme: str, value: dict[str, Any]) -> bool:
    """A concept strict LOM can hold in ``lom_element``: an OEH LOM concept or a ``LOMv1.0`` literal."""
    if "id" in value:
        token = value["id"].split("://")[-1].removeprefix(scheme.split("://")[-1]).replace("_", " ")
    else:
        token = value.get("notation", "").lower() if value.get("sourceVocabulary", "").lower() == "lomv1.0" else ""
    return token in strict_tokens(lom_element)


def concept_value(value: dict[str, Any]) -> str:
    """A concept's value: its IRI and labels; without an IRI, the literal (notation, labels, vocabulary).

    For a concept with an IRI, notation, inScheme and sourceVocabulary say how the source spelled
    and filed it; strict LOM has no slot for them (a vocabulary value is its canonical token, a
    taxon is id + entry, 1484.12.1 9.2.2), so they are not part of the value.
    """
    keys = ("id", "prefLabel") if "id" in value else ("notation", "prefLabel", "sourceVocabulary")
    return json.dumps({k: value[k] for k in keys if k in value}, sort_keys=True, ensure_ascii=False)


def date_value(value: str) -> str:
    """A date by its xsd value: ``…:00.0Z`` and ``…:00Z`` are one instant (the binding needs the fraction)."""
    return re.sub(r"\.0+(?=Z|[+-]\d\d:\d\d|$)", "", value)


def carried(record: dict[str, Any]) -> dict[str, Any]:
    """The part of a hub record strict LOM carries, comparable with ==.

    Every field except :data:`NOT_IN_STRICT_LOM`; resource types, end-user roles and
    interactivity types only as LOMv1.0 tokens (vocab/strict.xsd refuses other sources and
    LOM 9.1 has no purpose for them); concept lists as sets of :func:`concept_value` (the
    store keeps repeated values unordered, and educational levels are split between 5.6 and 9);
    dates by value. Other lists keep their order.
    """
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in NOT_IN_STRICT_LOM:
            continue
        if key in CONCEPT_FIELDS:
            if key in TOKEN_ONLY:
                scheme = EDUCATIONAL[key][1]
                value = [v for v in value if is_strict_token(TOKEN_ONLY[key], scheme, v)]
            value = sorted({concept_value(v) for v in value})
        elif key.startswith("date"):
            value = date_value(value)
        if value not in ([], {}, None):
            out[key] = value
    return out


# ---------------------------------------------------------------------- LOM: the round trip over real records


def test_every_lom_fixture_is_a_case_or_excluded_with_a_reason() -> None:
    files = {p.name for p in (REAL / "lom").glob("*.xml")}
    assert set(NOT_RECORDS) <= files
    covered = {case.split("/", 1)[1].split("#")[0] for case in LOM_CASES if case.startswith("lom/")}
    assert covered == files - set(NOT_RECORDS)
    assert sum(1 for case in LOM_CASES if case.startswith("lom/edurep_sru")) == 10  # every CZP record of the SRU page
    assert sum(1 for case in LOM_CASES if case.startswith("oai-pmh/")) == 26  # deleted records have no payload
    assert set(INPUT_CROSSWALK_GAPS) <= set(LOM_CASES)


def test_every_hub_field_is_mapped_to_lom_or_listed_as_not_in_strict_lom() -> None:
    properties = set(json.loads(schema_path("hub-record.schema.json").read_text(encoding="utf-8"))["properties"])
    assert not IN_STRICT_LOM & set(NOT_IN_STRICT_LOM)
    assert IN_STRICT_LOM | set(NOT_IN_STRICT_LOM) == properties


@pytest.mark.parametrize("case", params(LOM_CASES))
def test_lom_output_is_valid_against_the_strict_lom_xsd(case: str) -> None:
    lom = write_lom(crosswalk(LOM_CASES[case]))
    assert lom.tag == f"{{{LOM}}}lom"
    assert_valid(lom_schema(), lom)


@pytest.mark.parametrize("case", params(LOM_CASES, INPUT_CROSSWALK_GAPS))
def test_lom_round_trip_keeps_every_value_strict_lom_can_hold(case: str) -> None:
    record = crosswalk(LOM_CASES[case])
    again = crosswalk(write_lom(record))
    assert carried(again) == carried(record)


@pytest.mark.parametrize(
    "case",
    params(
        {c: LOM_CASES[c] for c in UNRECOGNISED_LOM_TOKENS}, {c: r for c, (_, _, r) in UNRECOGNISED_LOM_TOKENS.items()}
    ),
)
def test_lomv1_tokens_under_other_source_names_reach_strict_lom(case: str) -> None:
    element, token, _ = UNRECOGNISED_LOM_TOKENS[case]
    assert token in lom_texts(write_lom(crosswalk(LOM_CASES[case])), f"l:educational/l:{element}/l:value")


@pytest.mark.parametrize("case", params(LOM_CASES))
def test_oai_dc_output_of_lom_records_is_valid(case: str) -> None:
    dc = write_oai_dc(crosswalk(LOM_CASES[case]))
    assert dc.find(f"{{{DC}}}title") is not None
    assert_valid(oai_dc_schema(), dc)


# ---------------------------------------------------------------------- oai_dc records


def test_oai_dc_fixtures_hold_records() -> None:
    assert len(OAI_DC_CASES) >= 40
    assert {case.split("#")[0] for case in OAI_DC_CASES} == {
        f"oai_dc/{p.name}" for p in (REAL / "oai_dc").glob("*.xml")
    }


@pytest.mark.parametrize("case", params(OAI_DC_CASES))
def test_oai_dc_output_is_valid(case: str) -> None:
    dc = write_oai_dc(crosswalk(OAI_DC_CASES[case], "oai_dc"))
    assert etree.QName(dc).namespace == OAI_DC
    assert_valid(oai_dc_schema(), dc)


@pytest.mark.parametrize("case", params(OAI_DC_CASES))
def test_oai_dc_round_trip_is_a_fixpoint(case: str) -> None:
    """oai_dc → hub → oai_dc → hub gives the same hub record: the writer drops nothing DC holds."""
    record = crosswalk(OAI_DC_CASES[case], "oai_dc")
    again = crosswalk(write_oai_dc(record), "oai_dc")
    assert {k: v for k, v in again.items() if k != "mainEntityOfPage"} == {
        k: v for k, v in record.items() if k != "mainEntityOfPage"
    }


# ---------------------------------------------------------------------- the writers on a record with every field


def full_record() -> dict[str, Any]:
    """A hub record using every field the LOM writer maps, in shapes crosswalks produce."""
    lrt, context_scheme = OEH + "lom_learning_resource_type/", OEH + "lom_educational-context/"
    return validate(
        {
            "id": context("lom").record_iri,
            "type": ["LearningResource"],
            "name": {"de": "Brüche", "en": "Fractions"},
            "description": {"de": "Erster Absatz.\n\nZweiter Absatz.", "@none": "Text ohne Sprache"},
            "keywords": {"de": ["Mathe", "Bruch"], "@none": ["fractions"]},
            "inLanguage": ["de", "fr-CA"],
            "url": "https://example.org/fractions",
            "identifier": ["urn:uuid:1234", "ODE-42"],
            "creator": [{"type": "Person", "name": "Doe, Jane; Dr.", "email": "jane@example.org"}],
            "contributor": [
                {"type": "Organization", "name": "Universität Beispiel", "id": "https://ror.org/03a1kwz48"}
            ],
            "publisher": [{"type": "Organization", "name": "Verlag X"}],
            "dateCreated": "2020-05-01T10:00:00Z",
            "datePublished": "2021",
            "dateModified": "2022-01-01",
            "license": {"id": "https://creativecommons.org/licenses/by/4.0/"},
            "copyrightNotice": {"de": "© Jane Doe"},
            "isAccessibleForFree": True,
            "learningResourceType": [
                {"type": "Concept", "id": lrt + "narrative_text", "notation": "narrative text"},
                {"type": "Concept", "id": "https://w3id.org/kim/hcrt/video", "prefLabel": {"de": "Video"}},
            ],
            "educationalLevel": [
                {"type": "Concept", "id": context_scheme + "higher_education"},
                {"type": "Concept", "notation": "HBO", "sourceVocabulary": "http://purl.edustandaard.nl/vdex_context"},
            ],
            "audience": [{"type": "Concept", "id": OEH + "lom_intended_end_user_role/teacher", "notation": "teacher"}],
            "interactivityType": [
                {"type": "Concept", "id": OEH + "lom_interactivity_type/expositive"},
                {"type": "Concept", "id": OEH + "lom_interactivity_type/active"},
            ],
            "about": [
                {
                    "type": "Concept",
                    "id": "https://w3id.org/kim/hochschulfaechersystematik/n105",
                    "prefLabel": {"de": "Mathematik"},
                    "inScheme": "https://w3id.org/kim/hochschulfaechersystematik/scheme",
                },
                {"type": "Concept", "notation": "2.2.4", "prefLabel": {"es": "Lengua"}, "sourceVocabulary": "LOE"},
            ],
            "typicalAgeRange": "10-12",
            "timeRequired": "PT45M",
            "mainEntityOfPage": [
                {
                    "id": "http://example.org/oai?verb=GetRecord",
                    "type": "WebContent",
                    "provider": {"id": "http://hub.test/sources/src", "name": "src"},
                    "oaiIdentifier": "oai:x:1",
                    "metadataFormat": "lom",
                }
            ],
        }
    )


def lom_texts(lom: etree._Element, path: str) -> list[str]:
    return [e.text for e in lom.xpath(path, namespaces={"l": LOM})]


def test_registry_by_metadata_prefix() -> None:
    assert [f.prefix for f in writers.formats()] == ["oai_dc", "lom", "eduhub"]
    lom = writers.get("lom")
    assert (lom.namespace, lom.schema) == (LOM, "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd")
    assert writers.get("oai_dc").schema == "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    assert writers.write("lom", full_record()).tag == f"{{{LOM}}}lom"
    with pytest.raises(UnknownFormat, match=r"'marc21'.*known: oai_dc, lom"):
        writers.get("marc21")


def test_lom_of_a_full_record_is_valid_and_says_what_the_record_says() -> None:
    lom = write_lom(full_record())
    assert_valid(lom_schema(), lom)
    assert lom.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://ltsc.ieee.org/xsd/LOM http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd"
    )
    assert [etree.QName(e).localname for e in lom] == [
        "general", "lifeCycle", "metaMetadata", "technical", "educational", "educational", "rights",
        "classification", "classification",
    ]  # fmt: skip
    assert lom_texts(lom, "l:general/l:identifier/l:catalog") == ["URI"]  # 'ODE-42' names no catalog
    assert lom_texts(lom, "l:general/l:title/l:string[@language='en']") == ["Fractions"]
    assert lom_texts(lom, "l:general/l:keyword/l:string[not(@language)]") == ["fractions"]
    assert lom_texts(lom, "l:lifeCycle/l:contribute/l:role/l:value") == ["author", "publisher", "unknown"]
    assert lom_texts(lom, "l:lifeCycle/l:contribute/l:date/l:dateTime") == ["2020-05-01T10:00:00.0Z", "2021"]
    assert lom_texts(lom, "l:metaMetadata/l:identifier/l:entry") == ["http://hub.test/resources/test/oai:test:1"]
    assert lom_texts(lom, "l:technical/l:location") == ["https://example.org/fractions"]
    # LOMv1.0 tokens only; the HCRT type has no strict slot, the Dutch level becomes a taxon
    assert lom_texts(lom, "l:educational/*/l:value") == [
        "expositive", "narrative text", "teacher", "higher education", "active",
    ]  # fmt: skip
    assert lom_texts(lom, "l:educational/l:typicalLearningTime/l:duration") == ["PT45M"]
    assert lom_texts(lom, "l:rights/*/l:value") == ["no", "yes"]  # cost no: free; restrictions: CC BY
    assert lom_texts(lom, "l:rights/l:description/l:string") == [
        "https://creativecommons.org/licenses/by/4.0/",
        "© Jane Doe",
    ]
    assert lom_texts(lom, "l:classification/l:purpose/l:value") == ["discipline", "educational level"]
    assert lom_texts(lom, "l:classification/l:taxonPath/l:taxon/l:id") == [
        "https://w3id.org/kim/hochschulfaechersystematik/n105",
        "2.2.4",
        "HBO",
    ]
    assert lom_texts(lom, "l:classification/l:taxonPath/l:source/l:string") == [
        "https://w3id.org/kim/hochschulfaechersystematik/scheme",
        "LOE",
        "http://purl.edustandaard.nl/vdex_context",
    ]


def test_full_record_round_trip_through_lom() -> None:
    # Read once first: reading maps controlled values onto the shared schemes too (concepts the
    # hand-made record lacks); from then on writing and reading again must change nothing.
    record = crosswalk(write_lom(full_record()))
    again = crosswalk(write_lom(record))
    assert carried(again) == carried(record)
    assert again["creator"] == record["creator"]  # name with comma and semicolon, and the e-mail
    assert again["contributor"] == record["contributor"]  # the ROR IRI as the vCard's URL


def test_lom_leaves_out_what_it_cannot_say_and_stays_valid() -> None:
    record = {
        **full_record(),
        "dateCreated": "0000",  # no year 0 in the binding's DateTimeString
        "timeRequired": "2 Stunden",
        "license": {"id": "https://creativecommons.org/publicdomain/zero/1.0/"},
    }
    del record["copyrightNotice"], record["creator"], record["isAccessibleForFree"]
    lom = write_lom(record)
    assert_valid(lom_schema(), lom)
    assert lom_texts(lom, "l:lifeCycle/l:contribute/l:role/l:value") == ["publisher", "unknown"]
    assert lom_texts(lom, "l:educational/l:typicalLearningTime/l:description/l:string") == ["2 Stunden"]
    assert lom_texts(lom, "l:rights/*/l:value") == ["no"]  # no cost known; CC0 restricts nothing
    minimal = write_lom({"id": "http://hub.test/r/1", "type": ["LearningResource"], "name": {"@none": "T"}})
    assert_valid(lom_schema(), minimal)
    assert [etree.QName(e).localname for e in minimal] == ["general", "metaMetadata"]


def test_schemas_resolve_only_inside_the_fixtures() -> None:
    with pytest.raises(AssertionError, match="not in"):
        LocalSchemasOnly().resolve("http://www.w3.org/2001/xml.xsd", None, None)
    with pytest.raises(AssertionError, match="not in"):
        LocalSchemasOnly().resolve(str(FIXTURES.parent / "xml.xsd"), None, None)
    assert lom_schema() is lom_schema()  # compiled once, from local files only


def test_the_fixture_schema_is_the_strict_composite() -> None:
    """Duplicates of single-valued elements (unique/strict) and other sources (vocab/strict) are refused."""
    lom = write_lom(full_record())
    second, first = lom.findall(f"{{{LOM}}}educational")[1][0], lom.find(f"{{{LOM}}}educational")
    first.append(second)  # a second interactivityType in one educational
    assert not lom_schema().validate(lom)
    lom = write_lom(full_record())
    lom.find(f"{{{LOM}}}educational/{{{LOM}}}learningResourceType/{{{LOM}}}source").text = "LOM-ESv1.0"
    assert not lom_schema().validate(lom)


def test_writer_tokens_are_the_xsd_enumerations() -> None:
    for field, (element, scheme, tokens) in EDUCATIONAL.items():
        assert tokens == strict_tokens(element), field
        assert scheme.startswith(OEH)


def test_vcard_is_rfc_2426_and_reads_back() -> None:
    person = {"type": "Person", "name": "Doe, Jane; Dr. \\ Jr.", "email": "jane@example.org"}
    card = vcard(person)
    assert card.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Doe\\, Jane\\; Dr. \\\\ Jr.\r\n")
    assert card.endswith("EMAIL;TYPE=INTERNET:jane@example.org\r\nEND:VCARD\r\n")
    assert "N:Doe\\, Jane\\; Dr. \\\\ Jr.;;;;\r\n" in card
    assert card.count("\r\n") == card.count("\n")  # CRLF only
    organisation = {"type": "Organization", "name": "Hanze Hogeschool"}
    assert "N:;;;;\r\nORG:Hanze Hogeschool\r\n" in vcard(organisation)
    assert vcard_agent(vcard(organisation)) == organisation
    plain = {"type": "Person", "name": "Doe, Jane", "email": "jane@example.org"}
    assert vcard_agent(vcard(plain)) == plain


def test_vcard_lines_fold_at_75_octets_without_splitting_characters() -> None:
    name = "Ünïvërsïtät " * 12
    card = vcard({"type": "Organization", "name": name.strip()})
    lines = card.split("\r\n")
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)
    assert vcard_agent(card) == {"type": "Organization", "name": name.strip()}
    assert fold("x" * 75) == "x" * 75
    assert fold("x" * 76) == "x" * 75 + "\r\n x"


@pytest.mark.parametrize(
    ("date", "written"),
    [
        ("2021", "2021"),
        ("2021-03-04", "2021-03-04"),
        ("2021-03-04T05:06:07", "2021-03-04T05:06:07"),
        ("2021-03-04T05:06:07Z", "2021-03-04T05:06:07.0Z"),
        ("2021-03-04T05:06:07+02:00", "2021-03-04T05:06:07.0+02:00"),
        ("2021-03-04T05:06:07.25-05:00", "2021-03-04T05:06:07.25-05:00"),
        ("0000", None),
        ("-0044", None),
    ],
)
def test_lom_dates_in_the_bindings_pattern(date: str, written: str | None) -> None:
    assert lom_date(date) == written


# ---------------------------------------------------------------------- oai_dc


def dc_elements(dc: etree._Element) -> list[tuple[str, str | None, str]]:
    return [(etree.QName(e).localname, e.get(XML_LANG), e.text) for e in dc]


def test_oai_dc_of_a_full_record() -> None:
    dc = write_oai_dc(full_record())
    assert_valid(oai_dc_schema(), dc)
    assert dc.nsmap["oai_dc"] == OAI_DC and dc.nsmap["dc"] == DC
    assert dc.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )
    found = dc_elements(dc)
    order = ["title", "creator", "subject", "description", "publisher", "contributor", "date", "type"]
    order += ["format", "identifier", "language", "rights"]
    assert list(dict.fromkeys(name for name, _, _ in found)) == [n for n in order if n != "format"]
    assert ("title", "de", "Brüche") in found and ("description", None, "Text ohne Sprache") in found
    subjects = [(lang, text) for name, lang, text in found if name == "subject"]
    assert subjects == [("de", "Mathe"), ("de", "Bruch"), (None, "fractions"), ("de", "Mathematik"), ("es", "Lengua")]
    types = [(lang, text) for name, lang, text in found if name == "type"]
    # no prefLabel in the record: the shipped vocabulary's labels
    assert types == [("en", "Narrative Text"), ("de", "Erzählender Text"), ("de", "Video")]
    assert [t for n, _, t in found if n == "date"] == ["2020-05-01T10:00:00Z", "2021"]
    assert [t for n, _, t in found if n == "identifier"] == ["https://example.org/fractions", "urn:uuid:1234", "ODE-42"]
    assert [t for n, _, t in found if n == "language"] == ["de", "fr-CA"]
    assert [t for n, _, t in found if n == "rights"] == ["https://creativecommons.org/licenses/by/4.0/", "© Jane Doe"]
    assert etree.tostring(write_oai_dc(full_record())) == etree.tostring(dc)  # stable


def test_oai_dc_concept_labels_fall_back_to_notation_then_iri() -> None:
    record = {
        "id": "http://hub.test/r/1",
        "type": ["LearningResource"],
        "name": {"@none": "T"},
        "about": [
            {"type": "Concept", "id": "http://example.org/unknown/concept"},
            {"type": "Concept", "id": "http://example.org/unknown/2", "notation": "N-2"},
        ],
        "conditionsOfAccess": [{"type": "Concept", "id": "info:eu-repo/semantics/openAccess"}],
        "keywords": {"en": ["same"], "@none": ["same"]},
    }
    found = dc_elements(write_oai_dc(record))
    assert [(lang, t) for n, lang, t in found if n == "subject"] == [
        ("en", "same"),
        (None, "same"),
        (None, "http://example.org/unknown/concept"),
        (None, "N-2"),
    ]
    assert [t for n, _, t in found if n == "rights"] == ["info:eu-repo/semantics/openAccess"]
