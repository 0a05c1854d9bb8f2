"""Crosswalks on real records: IEEE LOM (LOM-ES, ScoLOMFR), IMS MD 1.2 (Edurep CZP), oai_dc."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from exchange import crosswalks
from exchange.crosswalks import CrosswalkError, RecordContext
from exchange.crosswalks.base import UnknownCrosswalk
from exchange.model import validate
from harvesters.oaipmh import parse_page

FIXTURES = Path(__file__).parent / "fixtures"
OEH = "http://w3id.org/openeduhub/vocabs/"
HCRT = "https://w3id.org/kim/hcrt/"
ISCED_F = "https://w3id.org/eduhub/vocab/isced-f/"
KIM_LEVEL = "https://w3id.org/kim/educationalLevel/"


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
    root = etree.parse(str(FIXTURES / "real" / "lom" / name)).getroot()
    return validate(crosswalks.for_payload(root, "lom").to_record(root, context()))


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
    record = lom_file("lomes_exelearning_sustainable_estepona_imslrm.xml")
    assert record["name"] == {"es": "Sustainable Estepona"}
    assert record["description"]["es"].startswith("El alumnado, organizado en grupos cooperativos")
    assert record["inLanguage"] == ["es"]
    assert record["identifier"] == ["ODE-20260402114154ATXMJD"]
    # one-line vCard with empty EMAIL and ORG fields
    assert record["creator"] == [{"type": "Person", "name": "Susana Lara Luque"}]
    assert record["dateCreated"] == "2026-04-05T19:44:35.00+00:00"
    assert record["id"] == "http://hub.test/resources/test/oai:test:1"


def test_lom_es_repeated_language_and_national_vocabularies_mapped() -> None:
    record = lom_file("lomes_exelearning_rea_andalucia_asi_soy_yo.xml")
    assert record["name"] == {"es": "¡Así soy yo!"}  # the title repeats its Spanish string
    # three Spanish descriptions: the first two are joined, the third is contained in the second
    description = record["description"]["es"]
    assert description.startswith("Descripción general.") and description.endswith("REA Andalucía.")
    assert description.count("\n\n") == 1
    assert "Lengua" in record["keywords"]["es"]
    # LOM-ES values map through the national scheme onto the shared ones, and the source concept stays
    assert record["learningResourceType"] == [
        {"type": "Concept", "id": HCRT + "text", "inScheme": HCRT + "scheme"},
        {
            "type": "Concept",
            "id": "https://w3id.org/eduhub/vocab/lom-es/learning-resource-type/guided-reading",
            "notation": "guided reading",
            "inScheme": "https://w3id.org/eduhub/vocab/lom-es/learning-resource-type/",
            "sourceVocabulary": "LOM-ESv1.0",
        },
    ]
    assert ISCED_F + "023" in [c["id"] for c in record["about"]]  # Lengua Castellana y Literatura → languages
    assert {
        "type": "Concept",
        "id": "https://w3id.org/eduhub/vocab/lom-es/arbol-curricular-loe-2006/2.2.4",
        "notation": "2.2.4",
        "prefLabel": {"es": "Lengua Castellana y Literatura"},
        "inScheme": "https://w3id.org/eduhub/vocab/lom-es/arbol-curricular-loe-2006/",
        "sourceVocabulary": "Árbol curricular LOE 2006",
    } in record["about"]
    # LOM-ES contexts are places (aula, presencial), not levels: left out, with the reason in the report
    assert "educationalLevel" not in record
    # an author whose vCard has only FN naming an administration is an organization
    organizations = [a["name"] for a in record["creator"] if a["type"] == "Organization"]
    assert organizations and organizations[0].startswith("Dirección General de Formación")


def test_scolomfr_prefixed_elements_and_concept_iris_as_values() -> None:
    record = lom_file("scolomfr_v3.2_reference_manual_example_verdun.xml")
    assert record["name"] == {"fr": "La bataille de Verdun"}  # language given as an ISO 639-2 URI
    assert any(
        c.get("id", "").startswith("http://data.education.fr/voc/scolomfr/") for c in record["learningResourceType"]
    )
    # ScoLOMFR writes roles as concept IRIs (…/concept/author): read as the LOMv1.0 token
    assert {"type": "Person", "name": "Nadine", "email": "nadine.bouette@ac-clermont.fr"} in record["creator"]
    assert record["encodingFormat"] == ["application/octet-stream"]  # from a purl.org/NET/mediatypes IRI
    assert record["version"] == "version 3 du document"  # lifeCycle/version → schema:version
    levels = [c["id"] for c in record["educationalLevel"]]
    assert KIM_LEVEL + "level_2" in levels  # collège → ISCED 2 through the ScoLOMFR mapping
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
    # LOMv1.0 learner → LRMI student (shared), and the LOM concept itself
    assert [c["id"] for c in record["audience"]] == [
        "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/student",
        OEH + "lom_intended_end_user_role/learner",
    ]
    # Dutch HBO (vdex context and begrippenkader) → ISCED 2011 level 6 / tertiary (KIM), source concepts kept
    levels = [c["id"] for c in record["educationalLevel"]]
    assert KIM_LEVEL + "level_6" in levels and "https://w3id.org/eduhub/vocab/nl-lom/context/hbo" in levels


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
    assert {"type": "Concept", "prefLabel": {"en": "printed serial"}, "sourceVocabulary": "dc:type"} in record[
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
    with pytest.raises(UnknownCrosswalk, match=r"unknown crosswalk 'marc'.*known: .*imsmd, lom, lom-es, lomfr"):
        crosswalks.get("marc")
    with pytest.raises(UnknownCrosswalk):
        crosswalks.for_namespace("http://www.loc.gov/MARC21/slim")
    assert crosswalks.for_prefix("lom").name == "lom"
    assert crosswalks.for_prefix("marcxml") is None
    assert crosswalks.known()[0].richness == max(c.richness for c in crosswalks.known())  # richest first


def test_dc_identifier_that_is_a_broken_url_stays_as_text() -> None:
    payload = etree.fromstring(
        b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>T</dc:title>'
        b"<dc:identifier>http://example.org/a#b#c</dc:identifier></oai_dc:dc>"
    )
    record = validate(crosswalks.get("oai_dc").to_record(payload, context("oai_dc")))
    assert "url" not in record and record["identifier"] == ["http://example.org/a#b#c"]
