"""Crosswalks on real records: IEEE LOM (LOM-ES, ScoLOMFR), IMS MD 1.2 (Edurep CZP), oai_dc."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from exchange import crosswalks
from exchange.crosswalks import CrosswalkError, RecordContext
from exchange.crosswalks.base import UnknownCrosswalk
from exchange.model import validate
from exchange.normalize import iso_date, language_tag, licence_uri, vcard_agent
from harvesters.oaipmh import parse_page

FIXTURES = Path(__file__).parent / "fixtures"
OEH = "http://w3id.org/openeduhub/vocabs/"


def context(prefix: str = "lom", identifier: str = "oai:test:1") -> RecordContext:
    return RecordContext(
        base="http://hub.test",
        source="test",
        oai_identifier=identifier,
        datestamp="2020-01-01T00:00:00Z",
        metadata_prefix=prefix,
        source_record_url=f"http://example.org/oai?verb=GetRecord&identifier={identifier}",
    )


def lom_file(name: str) -> dict:
    root = etree.parse(str(FIXTURES / "lom" / name)).getroot()
    return validate(crosswalks.get("lom").to_record(root, context()))


def page_records(path: Path) -> dict[str, dict]:
    """Crosswalk every live record of a recorded page with the crosswalk its namespace names."""
    page = parse_page(path.read_bytes(), 1)
    out = {}
    for record in page.records:
        if record.deleted:
            continue
        crosswalk = crosswalks.for_namespace(etree.QName(record.payload).namespace)
        out[record.identifier] = validate(crosswalk.to_record(record.payload, context(identifier=record.identifier)))
    return out


def test_lom_es_record_from_exelearning() -> None:
    record = lom_file("lomes_estepona.xml")
    assert record["name"] == {"es": "Sustainable Estepona"}
    assert record["description"]["es"].startswith("El alumnado, organizado en grupos cooperativos")
    assert record["inLanguage"] == ["es"]
    assert record["identifier"] == ["ODE-20260402114154ATXMJD"]
    # one-line vCard with empty EMAIL and ORG fields
    assert record["creator"] == [{"type": "Person", "name": "Susana Lara Luque"}]
    assert record["dateCreated"] == "2026-04-05T19:44:35.00+00:00"
    assert record["id"] == "http://hub.test/resources/test/oai:test:1"


def test_lom_es_repeated_language_and_national_vocabulary_kept_as_literals() -> None:
    record = lom_file("lomes_rea_asi_soy_yo.xml")
    assert record["name"] == {"es": "¡Así soy yo!"}  # the title repeats its Spanish string
    # three Spanish descriptions: the first two are joined, the third is contained in the second
    description = record["description"]["es"]
    assert description.startswith("Descripción general.") and description.endswith("REA Andalucía.")
    assert description.count("\n\n") == 1
    assert "Lengua" in record["keywords"]["es"]
    # LOM-ES values are not (yet) mapped: the literal and its vocabulary are kept
    assert {"type": "Concept", "notation": "guided reading", "sourceVocabulary": "LOM-ESv1.0"} in record[
        "learningResourceType"
    ]
    subjects = record["about"]
    assert {
        "type": "Concept",
        "notation": "2.2.4",
        "prefLabel": {"es": "Lengua Castellana y Literatura"},
        "sourceVocabulary": "Árbol curricular LOE 2006",
    } in subjects
    # an author whose vCard has only FN naming an administration is an organization
    organizations = [a["name"] for a in record["creator"] if a["type"] == "Organization"]
    assert organizations and organizations[0].startswith("Dirección General de Formación")


def test_scolomfr_prefixed_elements_and_concept_iris_as_values() -> None:
    record = lom_file("scolomfr_verdun.xml")
    assert record["name"]["@none"] == "La bataille de Verdun"
    assert any(
        c.get("id", "").startswith("http://data.education.fr/voc/scolomfr/") for c in record["learningResourceType"]
    )
    assert {"type": "Person", "name": "Nadine", "email": "nadine.bouette@ac-clermont.fr"} in record["contributor"]
    assert record["url"].endswith("verdun_recit_fiche_presentation.pdf")


def test_ims_md_binding_of_edurep_records() -> None:
    records = page_records(FIXTURES / "oai" / "edurep" / "page2_final.xml")
    record = records["surfsharekit:oai:surfsharekit.nl:b500d389-2fda-4696-ae51-9cd0603a48af"]
    assert record["name"] == {"en": "COOC (Community of Open Online Course)"}
    # &#13; and the indentation of the pretty-printed XML are gone, paragraph breaks stay
    assert record["description"]["en"] == (
        "Learning objective:\n\n- Explain the effect of changes in the labour market on\n"
        "the real wage rate and quantity of labour in hours."
    )
    assert record["keywords"] == {
        "@none": ["economics", "macro economics", "micro economics", "economic structure", "labour market"]
    }
    assert record["identifier"] == ["urn:uuid:b500d389-2fda-4696-ae51-9cd0603a48af"]  # newline + indent trimmed
    assert {
        "type": "Organization",
        "name": "International Business School, Hanze University of Applied Sciences",
    } in record["contributor"]
    assert record["creator"] == [{"type": "Person", "name": "Dr. Ning Ding"}]
    assert record["publisher"] == [{"type": "Organization", "name": "Hanze Hogeschool"}]
    assert record["datePublished"] == "2019-04-01"
    assert record["license"] == {"id": "https://creativecommons.org/licenses/by/4.0/"}
    assert "copyrightNotice" not in record  # the rights description was only the licence URL
    assert record["isAccessibleForFree"] is True
    assert record["audience"] == [
        {"type": "Concept", "id": OEH + "lom_intended_end_user_role/learner", "notation": "learner"}
    ]
    # a Dutch vocabulary value without a shipped scheme keeps its literal and source
    assert {
        "type": "Concept",
        "notation": "HBO",
        "sourceVocabulary": "http://purl.edustandaard.nl/vdex_context_czp_20060628.xml",
    } in record["educationalLevel"]


def test_oai_dc_real_records() -> None:
    record = page_records(FIXTURES / "oai" / "tudelft" / "page1.xml")["oai:tudelft.nl:007087"]
    assert record["name"]["@none"].startswith("Semi-analytical long-arc satellite orbit computation")
    assert {"type": "Person", "name": "Bruinsma, S.L."} in record["creator"]
    assert "orbit computation" in record["keywords"]["@none"]


def test_oai_dc_namespaces_declared_on_the_envelope() -> None:
    records = page_records(FIXTURES / "oai_bnf_ns_on_root.xml")
    [record] = records.values()
    assert record["name"]["@none"] == "Le Poème. Publication mensuelle"
    assert record["dateCreated"] == "1889-04"
    assert record["url"] == "http://gallica.bnf.fr/ark:/12148/bpt6k5440618t"
    assert {"type": "Concept", "prefLabel": {"eng": "printed serial"}, "sourceVocabulary": "dc:type"} in record[
        "learningResourceType"
    ]


def test_record_without_title_is_a_crosswalk_error() -> None:
    payload = etree.fromstring(
        b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject>x</dc:subject></oai_dc:dc>'
    )
    with pytest.raises(CrosswalkError, match="no dc:title"):
        crosswalks.get("oai_dc").to_record(payload, context("oai_dc"))


def test_registry_fails_loudly_on_unknown_names() -> None:
    with pytest.raises(UnknownCrosswalk, match=r"unknown crosswalk 'marc'.*known: imsmd, lom, oai_dc"):
        crosswalks.get("marc")
    with pytest.raises(UnknownCrosswalk):
        crosswalks.for_namespace("http://www.loc.gov/MARC21/slim")
    assert crosswalks.for_prefix("lom").name == "lom"
    assert crosswalks.for_prefix("marcxml") is None
    assert next(c.name for c in crosswalks.known()) == "lom"  # richest first


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("x-none", None),
        ("", None),
        ("EN", "en"),
        ("fr-ca", "fr-CA"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("http://id.loc.gov/vocabulary/iso639-2/fre", None),
        (" nl ", "nl"),
    ],
)
def test_language_tags(raw: str, expected: str | None) -> None:
    assert language_tag(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2017", "2017"),
        ("\n 2019-04-01 \n", "2019-04-01"),
        ("2022-02-24T20:08:20Z", "2022-02-24T20:08:20Z"),
        ("2021-09-01T17:35:07.00+0200", "2021-09-01T17:35:07.00+02:00"),
        ("2019-13-01", None),
        ("aaaa-bb-cc", None),
        ("1984-10", "1984-10"),
    ],
)
def test_dates(raw: str, expected: str | None) -> None:
    assert iso_date(raw) == expected


def test_licence_uris() -> None:
    assert licence_uri("see http://creativecommons.org/licenses/by-nc/4.0/ for terms") == (
        "https://creativecommons.org/licenses/by-nc/4.0/"
    )
    assert licence_uri("https://creativecommons.org/licenses/by-sa/3.0/fr/") == (
        "https://creativecommons.org/licenses/by-sa/3.0/fr/"
    )
    assert licence_uri("All rights reserved") is None


def test_vcards_from_the_wild() -> None:
    folded = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Marc-Antoine\r\n  Parent\r\nEMAIL:map@ntic.org\r\n"
        "X-SKYPE:maparent\r\nEND:VCARD"
    )
    assert vcard_agent(folded) == {"type": "Person", "name": "Marc-Antoine Parent", "email": "map@ntic.org"}
    assert vcard_agent("BEGIN:VCARD VERSION:3.0 FN: EMAIL;TYPE=INTERNET: ORG: END:VCARD") is None
    assert vcard_agent(
        "BEGIN:VCARD\nFN:Codarts Rotterdam\nN:Codarts Rotterdam;;;;\nORG:Codarts Rotterdam\nEND:VCARD"
    ) == {"type": "Organization", "name": "Codarts Rotterdam"}


@pytest.mark.parametrize("url", ["http://exa%zzmple.org/", "http://[::1/x", "http://a/b#c#d", "ftp://a/b", "a b"])
def test_invalid_urls_are_not_used_as_nodes(url: str) -> None:
    from exchange.normalize import web_url

    assert web_url(url) is None


def test_dc_identifier_that_is_a_broken_url_stays_as_text() -> None:
    payload = etree.fromstring(
        b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>T</dc:title>'
        b"<dc:identifier>http://example.org/a#b#c</dc:identifier></oai_dc:dc>"
    )
    record = validate(crosswalks.get("oai_dc").to_record(payload, context("oai_dc")))
    assert "url" not in record and record["identifier"] == ["http://example.org/a#b#c"]
