"""LRMI / schema.org JSON-LD and AMB as a source format: real documents field by field, the
AMB examples (valid and invalid), trace coverage, and reading JSON-LD files (jsonld_source)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from lxml import etree

from exchange.crosswalks import base, trace
from exchange.crosswalks.base import CrosswalkError, RecordContext
from exchange.crosswalks.jsonld_source import Document, JsonLdSourceError, documents, read_jsonld
from exchange.crosswalks.lrmi import ACCESS_MODE, LrmiCrosswalk, merge_age_ranges, split_keywords
from exchange.model import to_ntriples, validate
from exchange.model.amb import to_amb
from exchange.normalize import iso_date, licence_uri
from tests.test_model import amb_validator

FIXTURES = Path(__file__).parent / "fixtures"
LRMI = FIXTURES / "lrmi"
AMB_EXAMPLES = LRMI / "amb" / "20231019" / "examples"
LRMI_VOCABS = "http://purl.org/dcx/lrmi-vocabs/"
CROSSWALK = LrmiCrosswalk()


def context(identifier: str = "oai:test:1") -> RecordContext:
    return RecordContext(
        base="http://hub.test",
        source="test",
        oai_identifier=identifier,
        datestamp="2020-01-01T00:00:00Z",
        metadata_prefix="amb",
        source_record_url=f"http://example.org/oai?verb=GetRecord&identifier={identifier}",
    )


def record_of(document: dict[str, Any]) -> dict[str, Any]:
    return validate(CROSSWALK.to_record(document, context()))


def fixture(name: str) -> dict[str, Any]:
    (document,) = read_jsonld(LRMI / name)
    return document


def traced(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[trace.Leaf]]]:
    """The record and the trace leaves of ``document`` by reported path."""
    with trace.tracing() as marks:
        record = validate(CROSSWALK.to_record(document, context()))
    leaves: dict[str, list[trace.Leaf]] = {}
    for leaf in trace.json_leaves(document, marks, CROSSWALK.dropped):
        leaves.setdefault(leaf.path, []).append(leaf)
    return record, leaves


def ids(concepts: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in concepts if "id" in c]


def labels(concepts: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [c["prefLabel"] for c in concepts if "id" not in c]


def real_documents() -> list[Document]:
    found: list[Document] = []
    for path in sorted(LRMI.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".jsonld", ".html") and "head-scripts" not in path.name:
            found += documents(path)
    return found


# ------------------------------------------------------------------ HOOU: schema.org with nulls


def test_hoou_creative_work_with_nulls() -> None:
    document = fixture("hoou_ifm-erzaehlung-wie_creativework.jsonld")
    record, leaves = traced(document)
    assert record["type"] == ["LearningResource"]  # CreativeWork is implied by LearningResource
    assert record["name"] == {"@none": "IFM - Erzählung. Wie?"}  # remote context, no @language
    description = record["description"]["@none"]
    assert description.startswith('Videolecture im Rahmen des Kurses "Innovatives Filme Machen"\nKapitel 1.2')
    assert description.endswith("Künstlerin Nikita Neufeld.")
    assert record["keywords"] == {"@none": ["Kunst", "filmemachen", "film"]}
    assert record["creator"] == [{"type": "Person", "name": "Prof. Robert Bramkamp"}]  # from schema:author
    assert record["dateCreated"] == "2017-09-14T16:25:55.948Z"
    assert record["datePublished"] == "2017-09-16T10:25:16.642Z"
    assert record["dateModified"] == "2018-03-27T22:30:14.555Z"
    assert record["license"] == {"id": "https://creativecommons.org/licenses/by-nc-sa/4.0/"}
    # every LRMI property is null: nothing of them reaches the record
    for key in ("learningResourceType", "audience", "educationalUse", "about", "timeRequired", "url"):
        assert key not in record
    assert leaves["provider/name"][0].status == trace.DROPPED
    assert "provider" in leaves["provider/name"][0].note
    assert leaves["audience/@type"][0].note == "a type and nothing else"
    assert leaves["educationalAlignment/@type"][0].note == "AlignmentObject without alignmentType"


def test_hoou_keywords_keep_the_commas_inside_ddc_classes() -> None:
    record = record_of(fixture("hoou_online-punkteabfrage_creativework.jsonld"))
    assert record["keywords"] == {
        "@none": [
            "Bildung und Erziehung",
            "Sozialwissenschaften",
            "Bibliotheks- und Informationswissenschaften",
            "Informatik, Wissen, Systeme",
            "Informatik, Informationswissenschaft, allgemeine Werke",
            "classroom response system",
            "responsive classroom",
        ]
    }
    assert record["creator"] == [{"type": "Person", "name": "HAW"}, {"type": "Person", "name": "Detlev Dannenberg"}]
    # http CC URI in the source, canonical https in the record
    assert record["license"] == {"id": "https://creativecommons.org/licenses/by-sa/4.0/"}


def test_split_keywords() -> None:
    assert split_keywords("Kunst,#filmemachen,#film") == ["Kunst", "filmemachen", "film"]
    assert split_keywords("Beispiel, OER, LRMI") == ["Beispiel", "OER", "LRMI"]
    assert split_keywords("Lernen,Informatik, Informationswissenschaft, allgemeine Werke") == [
        "Lernen",
        "Informatik, Informationswissenschaft, allgemeine Werke",
    ]
    assert split_keywords(" , #, ") == []


def test_hoou_page_with_three_script_blocks() -> None:
    found = list(documents(LRMI / "hoou_tutorial-lernen-lernen_head-scripts.html"))
    assert [d.data.get("@type") for d in found] == ["Organization", "BreadcrumbList", "CreativeWork"]
    assert found[2].origin.endswith("hoou_tutorial-lernen-lernen_head-scripts.html <script> #3 (line 7)")
    for block in found[:2]:
        with pytest.raises(CrosswalkError, match="describes no learning resource"):
            CROSSWALK.to_record(block.data, context())
    assert found[2].data == fixture("hoou_tutorial-lernen-lernen_creativework.jsonld")
    record = record_of(found[2].data)
    assert record["name"] == {"@none": "Tutorial: Lernen lernen"}
    assert record["creator"] == [{"type": "Person", "name": "Chris Brylla"}, {"type": "Person", "name": "Lena Oswald"}]
    assert "Informatik, Informationswissenschaft, allgemeine Werke" in record["keywords"]["@none"]


# ------------------------------------------------------------------ DCMI LRMI examples


def test_dcmi_lrexample01() -> None:
    record, leaves = traced(fixture("lrmi_dcmi_LRexample01.jsonld"))
    assert record["name"] == {"@none": "Tiles, Blocks, Sapphires & Gold: Designing a Treasure Map"}
    assert record["url"] == "http://dx.cooperhewitt.org/lessonplan/Tiles-Blocks-Sapphires-Gold-Designing-a-Treasure-Map"
    assert record["keywords"] == {"@none": ["teamwork", "collaboration", "classroom", "teacher", "activity"]}
    assert record["publisher"] == [
        {"type": "Organization", "name": "Cooper-Hewitt"},
        {"type": "Organization", "name": "National Design Museum"},
    ]
    assert record["dateCreated"] == "2006-10-04"
    assert record["timeRequired"] == "PT2H"
    assert record["typicalAgeRange"] == "2-8"  # ["2-5", "5-8"] joined
    assert record["license"] == {"id": "http://www.si.edu/termsofuse/"}  # LRMI 1.0 useRightsUrl
    assert record["inLanguage"] == ["en"]  # "English": normalize.language_tag reads language names
    # term strings found in the LRMI vocabularies become their concepts
    assert ids(record["audience"]) == [LRMI_VOCABS + "educationalAudienceRole/teacher"]  # top-level educationalRole
    assert ids(record["interactivityType"]) == [LRMI_VOCABS + "interactivityType/mixed"]
    assert ids(record["accessibilityFeature"]) == [LRMI_VOCABS + "accessibilityFeature/structuralNavigation"]
    assert ids(record["accessibilityControl"]) == [LRMI_VOCABS + "accessibilityControl/fullMouseControl"]
    assert ids(record["accessibilityHazard"]) == [
        LRMI_VOCABS + "accessibilityHazard/" + term
        for term in ("noFlashingHazard", "noMotionSimulationHazard", "noSoundHazard")
    ]
    assert LRMI_VOCABS + "educationalUse/assessment" in ids(record["educationalUse"])
    # others are kept as literals naming their property
    assert {"@none": "Guided questions"} in labels(record["educationalUse"])
    assert labels(record["learningResourceType"]) == [
        {"@none": "Activity"},
        {"@none": "Lesson Plan"},
        {"@none": "On-Line"},
    ]
    assert record["about"] == [
        {"type": "Concept", "prefLabel": {"@none": "Design"}, "sourceVocabulary": "schema:about"}
    ]
    assert {leaf.status for leaf in leaves["educationalUse"]} == {trace.MAPPED, trace.KEPT}
    # the 23 'teaches' alignments (under the class name used as a key) have no hub field
    alignments = leaves["AlignmentObject/targetName"]
    assert len(alignments) == 23
    assert {leaf.note for leaf in alignments} == {"alignment of type 'teaches': the hub record has no field for it"}


def test_dcmi_alignments_in_a_script_element() -> None:
    (document,) = read_jsonld(LRMI / "lrmi_dcmi_alignmentsUK.jsonld-script.html")
    record, leaves = traced(document)
    assert record["type"] == ["LearningResource", "WebPage"]
    assert record["name"] == {"@none": "The Declaration of Arbroath"}
    assert record["url"] == "http://example.org/lessonplan"
    assert record["timeRequired"] == "1 hour"
    assert record["typicalAgeRange"] == "10-12"
    subjects = {c.get("id"): c for c in record["about"]}
    assert subjects["http://example.org/CFE/subjects/3362"]["prefLabel"] == {
        "@none": "Social studies: people past events and societies"
    }
    assert subjects["http://example.org/CFE/subjects/3362"]["sourceVocabulary"] == "Curriculum for Excellence"
    assert "http://example.org/ENC/subjects/3102" in subjects
    assert subjects[None]["prefLabel"] == {"@none": "Wars of Scottish independence"}  # about as a string
    assert ids(record["educationalLevel"]) == ["http://example.org/SCQF/levels/2", "http://example.org/ENC/levels/KS3"]
    assert ids(record["audience"]) == [LRMI_VOCABS + "educationalAudienceRole/teacher"]
    assert labels(record["learningResourceType"]) == [{"@none": "lesson plan"}]
    assert leaves["video/duration"][0].status == trace.DROPPED
    assert leaves["isBasedOnUrl"][0].note.startswith("relation to another resource")


def test_dcmi_type_audience_level_in_a_script_element() -> None:
    (document,) = read_jsonld(LRMI / "lrmi_dcmi_type_audience_level.jsonld-script.html")
    record = record_of(document)
    assert record["name"] == {"@none": "Designing a treasure map"}
    assert labels(record["learningResourceType"]) == [{"@none": "lesson plan"}, {"@none": "learning activity"}]
    # alignmentType "Educational level" (spaced, capitalised) and targetUrl as {"@id"}
    (level,) = record["educationalLevel"]
    assert level["id"] == "http://purl.org/ASN/scheme/ASNEducationLevel/2"
    assert level["prefLabel"] == {"@none": "2"}
    assert level["sourceVocabulary"] == "US Grade Levels"


# ------------------------------------------------------------------ OERSI: concatenated AMB


def test_oersi_concatenated_amb_records() -> None:
    path = LRMI / "oersi_etl_duepublico_amb_records_concatenated.json"
    found = list(documents(path))
    assert len(found) == 2
    assert path.read_bytes()[found[1].offset : found[1].offset + 1] == b"{"
    first, second = (record_of(d.data) for d in found)
    assert first["name"] == {"de": "Der Streit, Episode 7 - Wagner-Pacifici: What is an Event?"}
    assert first["url"] == "https://duepublico2.uni-due.de/receive/duepublico_mods_00074441"
    assert first["identifier"] == ["https://duepublico2.uni-due.de/receive/duepublico_mods_00074441"]
    assert first["inLanguage"] == ["de"]
    assert first["keywords"] == {"de": ["Podcast", "Soziologie", "Review", "Besprechungen"]}
    # the source types Seyfert as an Organization; the crosswalk does not second-guess it
    assert first["creator"] == [
        {"type": "Person", "name": "Armbruster, André"},
        {"type": "Organization", "name": "Seyfert, Robert"},
    ]
    assert first["dateCreated"] == "2021-05-27"  # from the typo dataCreated
    assert second["dateCreated"] == "2021"
    assert first["license"] == {"id": "https://creativecommons.org/licenses/by-nc-sa/4.0/"}
    assert ids(first["learningResourceType"]) == ["https://w3id.org/kim/hcrt/audio"]
    # about.prefLabel repeats the IRI: a label that says nothing is left out
    (subject,) = first["about"]
    assert subject["id"] == "https://duepublico.uni-due.de/api/v1/classifications/destatis#2330"
    assert "prefLabel" not in subject
    assert second["creator"] == [{"type": "Person", "name": "Oeste, Bettina"}]


# ------------------------------------------------------------------ AMB examples


def by_id(concepts: list[dict[str, Any]], iri: str) -> dict[str, Any]:
    (found,) = [c for c in concepts if c.get("id") == iri]
    return found


def amb_example(kind: str, name: str) -> dict[str, Any]:
    return json.loads((AMB_EXAMPLES / kind / name).read_text(encoding="utf-8"))


def test_amb_tutory_example() -> None:
    record, leaves = traced(amb_example("valid", "tutoryExample.json"))
    assert record["name"] == {"de": "Arbeitsblatt - Mon avenir - Französisch - tutory.de"}
    assert record["url"] == "https://www.tutory.de/w/fbbadf1a"
    assert record["inLanguage"] == ["fr"]
    # Schulfächer keep http (their published spelling); conditionsOfAccess becomes https like its scheme
    # the school subject, and the ISCED-F field it maps onto (vocabularies/mappings/)
    subject = by_id(record["about"], "http://w3id.org/kim/schulfaecher/s1009")
    assert subject["prefLabel"] == {"de": "Französisch"}
    assert any(c["id"].startswith("https://w3id.org/eduhub/vocab/isced-f/") for c in record["about"])
    assert ids(record["conditionsOfAccess"]) == ["https://w3id.org/kim/conditionsOfAccess/no_login"]
    assert "https://w3id.org/kim/hcrt/worksheet" in ids(record["learningResourceType"])
    assert "http://w3id.org/openeduhub/vocabs/new_lrt/36e68792-6159-481d-a97b-2c00901f4f78" in ids(
        record["learningResourceType"]
    )
    assert ids(record["audience"]) == [LRMI_VOCABS + "educationalAudienceRole/student"]
    assert record["publisher"] == [{"type": "Organization", "name": "Tutory", "id": "https://www.tutory.de"}]
    assert record["license"] == {"id": "https://creativecommons.org/publicdomain/zero/1.0/"}
    assert leaves["image"][0].note.startswith("picture of the resource")
    amb = to_amb(record)
    assert amb["about"][0]["id"] == "http://w3id.org/kim/schulfaecher/s1009"
    assert not list(amb_validator().iter_errors(amb))


def test_amb_higher_education_course() -> None:
    record, leaves = traced(amb_example("valid", "highered-course.json"))
    assert record["type"] == ["LearningResource", "Course"]
    assert record["creator"] == [
        {"type": "Person", "name": "Jens Lechtenbörger", "id": "https://orcid.org/0000-0002-3064-147X"}
    ]
    assert leaves["creator/honorificPrefix"][0].status == trace.DROPPED
    assert record["isAccessibleForFree"] is True
    (level,) = record["educationalLevel"]
    assert level["id"] == "https://w3id.org/kim/educationalLevel/level_06"
    assert level["prefLabel"] == {"de": "Bachelor oder äquivalent", "en": "Bachelor or equivalent"}
    assert {leaf.note for leaf in leaves["hasPart/name"]} == {
        "relation to another resource; the hub record has no relation fields"
    }


def test_amb_affiliations_are_dropped_with_a_reason() -> None:
    record, leaves = traced(amb_example("valid", "affiliation.json"))
    assert record["creator"] == [
        {"type": "Person", "name": "Hans Dampf"},
        {"type": "Person", "name": "Bea B", "id": "https://example.org/bea-b"},
    ]
    assert record["contributor"] == [{"type": "Person", "name": "Caro C"}]
    for path in ("creator/affiliation/name", "contributor/affiliation/id"):
        assert {leaf.note for leaf in leaves[path]} == {"the hub's agents carry no affiliation"}


def test_amb_multilingual_concepts_and_encodings() -> None:
    record = record_of(amb_example("valid", "conceptsWithMultilingualLabels.json"))
    # the source's concept keeps its labels; the shared ISCED-F concept it maps to carries none (they are in the scheme)
    assert [c["prefLabel"] for c in record["about"] if "prefLabel" in c] == [
        {"de": "Französisch", "en": "French", "fr": "Français"}
    ]
    assert record["license"] == {"id": licence_uri("http://www.gnu.org/licenses/agpl-3.0")}
    video, leaves = traced(amb_example("valid", "videoWithEncodings.json"))
    assert video["encodingFormat"] == ["video/mp4"]
    assert leaves["encoding/encodingFormat"][0].status == trace.MAPPED
    assert leaves["encoding/sha256"][0].note == "media file details; the hub keeps the encoding format only"
    assert leaves["caption/id"][0].note.startswith("subtitle files")


def test_amb_competencies_and_metadata_pages_are_dropped_with_a_reason() -> None:
    record, leaves = traced(amb_example("valid", "competencies.json"))
    assert "about" not in record
    for path in ("teaches/id", "assesses/prefLabel/de", "competencyRequired/id"):
        assert {leaf.note for leaf in leaves[path]} == {
            "competency; the hub record has no teaches/assesses/competencyRequired field"
        }
    record, leaves = traced(amb_example("valid", "mainEntityOf.json"))
    assert [page["id"] for page in record["mainEntityOfPage"]] == [context().source_record_url]
    assert {leaf.status for path in leaves if path.startswith("mainEntityOfPage/") for leaf in leaves[path]} == {
        trace.DROPPED
    }


def test_concepts_without_an_iri_are_kept_as_literals() -> None:
    record, leaves = traced(amb_example("invalid", "interactivityType.json"))
    assert record["interactivityType"] == [
        {"type": "Concept", "prefLabel": {"de": "active"}, "sourceVocabulary": "schema:interactivityType"}
    ]
    assert leaves["interactivityType/prefLabel"][0].status == trace.KEPT
    record, leaves = traced(
        minimal(
            educationalAlignment={"alignmentType": "educationalSubject", "targetName": "Fractions"},
            educationalLevel={"@type": "DefinedTerm", "name": "Grade 2", "termCode": "G2"},
        )
    )
    assert record["about"] == [
        {"type": "Concept", "prefLabel": {"@none": "Fractions"}, "sourceVocabulary": "schema:educationalAlignment"}
    ]
    assert leaves["educationalAlignment/targetName"][0].status == trace.KEPT
    assert record["educationalLevel"] == [
        {
            "type": "Concept",
            "notation": "G2",
            "prefLabel": {"@none": "Grade 2"},
            "sourceVocabulary": "schema:educationalLevel",
        }
    ]
    assert {leaves[path][0].status for path in ("educationalLevel/name", "educationalLevel/termCode")} == {trace.KEPT}


def test_every_valid_amb_example_gives_valid_hub_and_amb_records() -> None:
    names = sorted(path.name for path in (AMB_EXAMPLES / "valid").glob("*.json"))
    assert len(names) == 33
    for name in names:
        document = amb_example("valid", name)
        record = record_of(document)
        assert record["name"] == {"de": document["name"]}, name
        errors = list(amb_validator().iter_errors(to_amb(record)))
        assert not errors, f"{name}: {errors[0].message}"


#: invalid AMB example → what the hub record makes of the defect (each yields a valid hub record:
#: AMB's strictness is about publishing; the crosswalk reads what the source meant)
INVALID_AMB: dict[str, Any] = {
    "Mozilla-Public-License.json": lambda r: (
        r["license"]
        == {"id": licence_uri("https://opensource.org/licenses/MPL-2.0") or "https://opensource.org/licenses/MPL-2.0"}
    ),
    "about.json": lambda r: ids(r["about"]) == ["http://example-subject-vocabulary.com/french"],
    "assessesWithoutURI.json": lambda r: "about" not in r,  # competencies have no hub field
    "captionInMultipleLanguages.json": lambda r: r["encodingFormat"] == ["video/mp4"],
    "captionWithoutArray.json": lambda r: r["encodingFormat"] == ["video/mp4"],
    "competencyRequiredAsObject.json": lambda r: r["type"] == ["LearningResource", "Course"],
    "conceptWithMonolingualLabels.json": lambda r: (
        by_id(r["about"], "https://w3id.org/kim/hochschulfaechersystematik/n059")["prefLabel"] == {"de": "Französisch"}
    ),
    "conditionsOfAccessStringInsteadObject.json": lambda r: labels(r["conditionsOfAccess"]) == [{"de": "kostenfrei"}],
    "contentSizeAndBitRateWithUnits.json": lambda r: r["encodingFormat"] == ["video/mp4"],
    "educationalLevelWithWrongID.json": lambda r: ids(r["educationalLevel"]) == ["https://w3id.org/kim/grundschule"],
    "funderInvalidType.json": lambda r: set(r) == {"id", "type", "name", "url", "identifier", "mainEntityOfPage"},
    "inLanguageWithoutArray.json": lambda r: r["inLanguage"] == ["fr"],
    "interactivityType.json": lambda r: labels(r["interactivityType"]) == [{"de": "active"}],
    "invalidAboutConceptUri.json": lambda r: ids(r["about"]) == ["https://example.org/not-in-scheme-or-namespace"],
    "isAccessibleForFree.json": lambda r: r["isAccessibleForFree"] is False,  # "no"
    "isBasedOn.json": lambda r: r["license"] == {"id": "https://creativecommons.org/publicdomain/zero/1.0/"},
    "keywordWithoutArray.json": lambda r: r["keywords"] == {"de": ["Beispiel", "OER", "LRMI"]},
    "learningResourceType-wihtout-any-valid-id.json": lambda r: (
        ids(r["learningResourceType"]) == [LRMI_VOCABS + "learningResourceType/course"]
    ),
    "license-as-string.json": lambda r: r["license"] == {"id": "https://creativecommons.org/publicdomain/zero/1.0/"},
    "lrtWithoutArray.json": lambda r: ids(r["learningResourceType"]) == ["https://w3id.org/kim/hcrt/course"],
    "mainEntityOf.json": lambda r: len(r["mainEntityOfPage"]) == 1,  # only the hub's provenance page
    "mainEntityOfPageInvalidType.json": lambda r: r["mainEntityOfPage"][0]["type"] == "WebContent",
    "missingDefaultLanguage.json": lambda r: r["name"] == {"@none": "Beispielkurs"},
    "missingDefaultLanguage2.json": lambda r: r["name"] == {"@none": "Beispielkurs"},
    "noContext.json": lambda r: r["description"] == {"@none": "Französisch-Arbeitsblatt"},
    "partWithoutId.json": lambda r: r["creator"] == [{"type": "Person", "name": "HansD"}],
    "teachesWithoutLocalizedPrefLabel.json": lambda r: "about" not in r,
    "typeAsURI.json": lambda r: r["type"] == ["LearningResource"],
    "typeWithoutArray.json": lambda r: r["type"] == ["LearningResource"],
    "typeWithoutLearningResource.json": lambda r: r["type"] == ["LearningResource", "Course"],
    "videoWithoutUrls.json": lambda r: "encodingFormat" not in r,
    "wrongContextLink.json": lambda r: r["name"] == {"de": "Beispielkurs"},
    # 04-10-2020 is ambiguous; 2020/11/05 is read if normalize.iso_date reads it
    "wrongDateTime.json": lambda r: "dateCreated" not in r and r.get("dateModified") == iso_date("2020/11/05"),
    "wrongDefaultLanguageTag.json": lambda r: r["name"] == {"de-AT": "Beispielkurs"},
    "wrongDuration.json": lambda r: "timeRequired" not in r,  # duration is the media's, not learning time
}


def test_every_invalid_amb_example_is_decided() -> None:
    assert sorted(INVALID_AMB) == sorted(path.name for path in (AMB_EXAMPLES / "invalid").glob("*.json"))


@pytest.mark.parametrize("name", sorted(INVALID_AMB))
def test_invalid_amb_example(name: str) -> None:
    record = record_of(amb_example("invalid", name))
    assert INVALID_AMB[name](record), record
    errors = list(amb_validator().iter_errors(to_amb(record)))
    assert not errors, errors[0].message


# ------------------------------------------------------------------ every real document


def test_real_documents_are_fully_accounted_for() -> None:
    """Each leaf of each real document is mapped, kept or dropped with a reason; records store."""
    found = real_documents()
    assert len(found) == 33 + 35 + 3 + 1 + 2 + 2  # AMB valid, invalid, HOOU, LRexample01, DCMI scripts, OERSI
    for document in found:
        record, leaves = traced(document.data)
        unread = [leaf for group in leaves.values() for leaf in group if leaf.note == trace.UNREAD]
        assert not unread, f"{document.origin}: {[(leaf.path, leaf.value) for leaf in unread]}"
        assert all(leaf.note for group in leaves.values() for leaf in group if leaf.status != trace.MAPPED)
        errors = list(amb_validator().iter_errors(to_amb(record)))
        assert not errors, f"{document.origin}: {errors[0].message}"
        triples = "\n".join(to_ntriples(record))
        assert len(list(ox.parse(triples.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))) > 3


# ------------------------------------------------------------------ reading rules (built documents)


def minimal(**fields: Any) -> dict[str, Any]:
    return {"@context": "https://schema.org/", "@type": "LearningResource", "name": "Fractions", **fields}


def test_nulls_and_empty_values_carry_nothing() -> None:
    record = record_of(
        minimal(
            description=None,
            keywords="",
            inLanguage=[],
            creator=[None, {"@type": "Person", "name": None}],
            about={},
            license="  ",
            audience=[{"@type": "EducationalAudience", "educationalRole": None}],
        )
    )
    assert set(record) == {"id", "type", "name", "mainEntityOfPage"}


def test_a_document_without_name_is_refused() -> None:
    with pytest.raises(CrosswalkError, match=r"no name \(schema:name\)"):
        CROSSWALK.to_record({"@context": "https://schema.org/", "@type": "LearningResource", "name": None}, context())
    with pytest.raises(CrosswalkError, match="describes no learning resource"):
        CROSSWALK.to_record({"@type": "Person", "name": "Ada"}, context())
    with pytest.raises(CrosswalkError, match="JSON object, not a list"):
        CROSSWALK.to_record([minimal()], context())


def test_languages_of_text() -> None:
    record = record_of(
        {
            "@context": ["https://w3id.org/kim/amb/context.jsonld", {"@language": "de"}],
            "type": ["LearningResource"],
            "name": [{"@value": "Fractions", "@language": "en"}, "Brüche", {"@value": "Frazioni", "@language": "it"}],
            "description": {"@value": "no language", "@language": None},
            "keywords": {"en": ["maths", "#fractions"], "fr": "fractions", "@none": "K12"},
            "accessibilitySummary": {"en": "Captioned video."},
        }
    )
    assert record["name"] == {"en": "Fractions", "de": "Brüche", "it": "Frazioni"}
    assert record["description"] == {"@none": "no language"}
    assert record["keywords"] == {"en": ["maths", "fractions"], "fr": ["fractions"], "@none": ["K12"]}
    assert record["accessibilitySummary"] == {"en": "Captioned video."}


def test_prefixed_and_full_iri_keys() -> None:
    record = record_of(
        {
            "@context": {"s": "http://schema.org/"},
            "@type": "s:LearningResource",
            "schema:name": "Fractions",
            "sdo:description": "Parts of a whole",
            "http://schema.org/keywords": ["maths"],
            "https://schema.org/inLanguage": "en-gb",
            "s:learningResourceType": "http://w3id.org/kim/hcrt/worksheet",
        }
    )
    assert record["name"] == {"@none": "Fractions"}
    assert record["description"] == {"@none": "Parts of a whole"}
    assert record["keywords"] == {"@none": ["maths"]}
    assert record["inLanguage"] == ["en-GB"]
    assert ids(record["learningResourceType"]) == ["https://w3id.org/kim/hcrt/worksheet"]  # http→https


def test_identifiers_and_agents() -> None:
    record = record_of(
        minimal(
            **{
                "@id": "urn:uuid:3f1c2d9e-0000-4000-8000-000000000001",
                "identifier": [
                    "doi:10.5281/zenodo.123",
                    {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.1000/xyz"},
                    {"@type": "PropertyValue", "propertyID": "ISBN", "value": "978-3-16-148410-0"},
                ],
                "creator": [
                    {"@type": "Person", "givenName": "Ada", "familyName": "Lovelace", "@id": "0000-0002-1825-0097"},
                    {
                        "@type": "CollegeOrUniversity",
                        "name": "Universität Hamburg",
                        "email": "mailto:info@uni-hamburg.de",
                    },
                    "Open University",
                ],
            }
        )
    )
    assert record["identifier"] == [
        "urn:uuid:3f1c2d9e-0000-4000-8000-000000000001",
        "https://doi.org/10.5281/zenodo.123",
        "https://doi.org/10.1000/xyz",
        "978-3-16-148410-0",
    ]
    assert record["url"] == "https://doi.org/10.5281/zenodo.123"  # no url, the IRI is a URN: the first web identifier
    assert "identifier" not in record_of(minimal(**{"@id": "_:b0"}))  # a blank node names nothing
    assert record["creator"] == [
        {"type": "Person", "name": "Ada Lovelace", "id": "https://orcid.org/0000-0002-1825-0097"},
        {"type": "Organization", "name": "Universität Hamburg", "email": "info@uni-hamburg.de"},
        {"type": "Organization", "name": "Open University"},
    ]


def test_accessibility_terms() -> None:
    record, leaves = traced(
        minimal(
            accessMode=["textual", "Visual", "smell"],
            accessibilityFeature=["captions", "madeUpFeature"],
            accessibilityAPI="ARIA",
            accessibilityHazard="http://purl.org/dcx/lrmi-vocabs/accessibilityHazard/noSoundHazard",
        )
    )
    assert ids(record["accessMode"]) == [ACCESS_MODE + "textual", ACCESS_MODE + "visual"]
    assert {"type": "Concept", "notation": "smell", "sourceVocabulary": "schema:accessMode"} in record["accessMode"]
    assert ids(record["accessibilityFeature"]) == [LRMI_VOCABS + "accessibilityFeature/captions"]
    assert record["accessibilityFeature"][1]["notation"] == "madeUpFeature"
    assert ids(record["accessibilityAPI"]) == [LRMI_VOCABS + "accessibilityAPI/ARIA"]
    assert ids(record["accessibilityHazard"]) == [LRMI_VOCABS + "accessibilityHazard/noSoundHazard"]
    assert leaves["accessibilityFeature"][1].status == trace.KEPT
    assert leaves["accessibilityFeature"][1].note == "no concept for this term in the accessibilityFeature vocabulary"


def test_age_ranges() -> None:
    assert merge_age_ranges(["10-12"]) == "10-12"
    assert merge_age_ranges(["5-8", "2-5"]) == "2-8"
    assert merge_age_ranges(["2-5", "6-9"]) == "2-9"  # whole years: 5 and 6 touch
    assert merge_age_ranges(["2-5", "10-12"]) is None
    assert merge_age_ranges(["adults", "2-5"]) is None
    record, leaves = traced(minimal(typicalAgeRange=["2-5", "10-12"]))
    assert record["typicalAgeRange"] == "2-5"
    assert leaves["typicalAgeRange"][1].status == trace.DROPPED


def test_a_deeply_nested_value_does_not_break_the_crosswalk() -> None:
    nested: Any = "deep"
    for _ in range(20_000):
        nested = [nested]
    record = record_of(minimal(about=nested, creator={"name": {"name": nested}}, keywords=[nested, "ok"]))
    assert record["keywords"] == {"@none": ["ok"]}
    assert "about" not in record and "creator" not in record


# ------------------------------------------------------------------ OAI-PMH payloads, registry


def test_json_text_of_an_oai_pmh_payload_element() -> None:
    text = (AMB_EXAMPLES / "valid" / "tutoryExample.json").read_text(encoding="utf-8")
    element = etree.Element("{http://example.org/amb}amb")
    element.text = text
    assert CROSSWALK.to_record(element, context()) == record_of(json.loads(text))
    element.text = text + text
    with pytest.raises(CrosswalkError, match="holds 2 JSON-LD objects, not one"):
        CROSSWALK.to_record(element, context())
    element.text = '{"name": "x",'
    with pytest.raises(CrosswalkError, match=r"<amb> payload: byte 13: malformed JSON"):
        CROSSWALK.to_record(element, context())


def test_registered_and_claims_json_ld() -> None:
    assert isinstance(base.get("lrmi"), LrmiCrosswalk)
    assert isinstance(base.for_prefix("amb"), LrmiCrosswalk)
    assert CROSSWALK.claims(amb_example("valid", "tutoryExample.json"))
    assert not CROSSWALK.claims({"general": {"title": "LOM-CH JSON"}})


# ------------------------------------------------------------------ jsonld_source


def test_array_graph_and_back_to_back_documents() -> None:
    data = (
        b'\xef\xbb\xbf[{"name": "a"}, {"name": "b"}]\n'
        b'{"@context": "https://schema.org/",\n'
        b' "@graph": [{"name": "c"}, {"name": "d", "@context": {"@language": "en"}}]}'
        b'{"name": "e"}'
    )
    found = list(documents(data, name="dump.json"))
    assert [d.data["name"] for d in found] == ["a", "b", "c", "d", "e"]
    assert found[2].data["@context"] == "https://schema.org/"  # the container's context
    assert found[3].data["@context"] == {"@language": "en"}  # its own wins
    graph = data.index(b'{"@context"')
    assert [d.offset for d in found] == [3, 3, graph, graph, data.index(b'{"name": "e"}')]
    assert {d.origin for d in found} == {"dump.json"}


def test_malformed_json_after_good_documents(tmp_path: Path) -> None:
    path = tmp_path / "dump.json"
    path.write_bytes('{"name": "ä"}\n{"name": "b"}\n{"name": }'.encode())
    found: list[str] = []
    with pytest.raises(JsonLdSourceError) as raised:
        found += (d["name"] for d in read_jsonld(path))
    assert found == ["ä", "b"]
    assert raised.value.origin == str(path)
    assert raised.value.offset == len('{"name": "ä"}\n{"name": "b"}\n{"name": '.encode())
    assert str(raised.value).startswith(f"{path}: byte {raised.value.offset}: malformed JSON: Expecting value")


def test_invalid_utf8_is_reported_at_its_byte() -> None:
    data = b'{"name": "ok"}\n{"name": "bad \xff byte"}'
    found: list[str] = []
    with pytest.raises(JsonLdSourceError, match="invalid UTF-8") as raised:
        found += (d["name"] for d in read_jsonld(data, name="dump.json"))
    assert found == ["ok"]
    assert raised.value.offset == data.index(b"\xff")
    outside = b'{"name": "ok"} \xfe {"name": "b"}'
    with pytest.raises(JsonLdSourceError, match="invalid UTF-8") as raised:
        list(read_jsonld(outside))
    assert raised.value.offset == outside.index(b"\xfe")


def test_non_objects_are_refused() -> None:
    found: list[dict[str, Any]] = []
    with pytest.raises(JsonLdSourceError, match="byte 15: the value is a JSON number, not an object"):
        found += read_jsonld(b'{"name": "ok"} 42')
    assert found == [{"name": "ok"}]
    with pytest.raises(JsonLdSourceError, match="array item 2 is a JSON string, not an object"):
        list(read_jsonld(b'[{"name": "ok"}, "x"]'))
    with pytest.raises(JsonLdSourceError, match="@graph node 1 is a JSON null"):
        list(read_jsonld(b'{"@graph": [null]}'))


def test_hostile_nesting_and_size() -> None:
    with pytest.raises(JsonLdSourceError, match="byte 0: JSON nested deeper than 64 levels"):
        list(read_jsonld(b"[" * 100_000 + b"]" * 100_000))
    just_too_deep = b'{"a":' * 65 + b"1" + b"}" * 65
    with pytest.raises(JsonLdSourceError, match="nested deeper than 64 levels"):
        list(read_jsonld(just_too_deep))
    assert list(read_jsonld(b'{"a":' * 64 + b"1" + b"}" * 64))
    huge = b'{"name": "ok"}\n{"name": "' + b"x" * 5000 + b'"}'
    found: list[dict[str, Any]] = []
    with pytest.raises(JsonLdSourceError, match=r"byte 15: document of 5012 bytes exceeds 1000"):
        found += read_jsonld(huge, max_document_bytes=1000)
    assert found == [{"name": "ok"}]
    with pytest.raises(JsonLdSourceError, match="input larger than 100 bytes"):
        list(read_jsonld(huge, max_input_bytes=100))


def test_script_errors_name_the_script() -> None:
    page = (
        b'<html><head>\n<script type="application/ld+json">{"name": "a"}</script>\n'
        b'<script type="text/javascript">x</script>\n'
        b'<script type="application/ld+json; charset=utf-8">{"name": </script></head></html>'
    )
    found: list[str] = []
    with pytest.raises(JsonLdSourceError, match=r"^page.html <script> #2 \(line 4\): byte 9: malformed JSON"):
        found += (d["name"] for d in read_jsonld(page, name="page.html"))
    assert found == ["a"]
