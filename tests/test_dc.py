"""Dublin Core variants (oai_dc, nsdl_dc, qualified DC) and DataCite on real records, field by field.

Fixtures are in tests/fixtures/dc/ and tests/fixtures/real/oai_dc/ (PROVENANCE.md in each);
``synthetic_*`` files are marked as such.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from lxml import etree

from exchange import crosswalks
from exchange.crosswalks import datacite, dcterms, oai_dc, trace
from exchange.crosswalks.base import CrosswalkError, RecordContext, UnknownCrosswalk
from exchange.model import Record, to_ntriples, validate
from exchange.model.amb import to_amb
from exchange.normalize import language_tag, licence_uri
from harvesters import xml
from harvesters.oaipmh import parse_page, read_record
from tests.test_model import amb_validator

FIXTURES = Path(__file__).parent / "fixtures"
DC = FIXTURES / "dc"
REAL_DC = FIXTURES / "real" / "oai_dc"  # real oai_dc pages, shared with tests/test_writers.py
OAI = "{http://www.openarchives.org/OAI/2.0/}"
ORCID = "https://orcid.org/"
#: real and synthetic files in tests/fixtures/dc, plus oai_dc pages other tests keep
ALL_FILES = [
    *sorted(DC.glob("*.xml")),
    REAL_DC / "anonymized_getrecord_oai_dc_cjk_creator.xml",
    REAL_DC / "dspace-xoai_mit_getrecord_oai_dc.xml",
    REAL_DC / "dspace_helda_getrecord_oai_dc.xml",
    REAL_DC / "dspace_helda_getrecord_oai_dc_2.xml",
    REAL_DC / "invenio-zenodo_getrecord_oai_dc.xml",
    REAL_DC / "librecat-pub-bielefeld_getrecord_oai_dc.xml",
    REAL_DC / "oaicat-dspace_eur_listrecords_oai_dc_from.xml",
    REAL_DC / "tudelft_listrecords_oai_dc_newlines_in_text.xml",
    FIXTURES / "oai_bnf_ns_on_root.xml",
    FIXTURES / "oai" / "tudelft" / "page1.xml",
    FIXTURES / "oai" / "zenodo" / "page1.xml",
]


def context(identifier: str, prefix: str) -> RecordContext:
    return RecordContext(
        base="http://hub.test",
        source="test",
        oai_identifier=identifier,
        datestamp="2020-01-01T00:00:00Z",
        metadata_prefix=prefix,
        source_record_url=f"http://example.org/oai?verb=GetRecord&identifier={identifier}",
    )


def payloads(path: Path) -> dict[str, etree._Element]:
    """Live records' payloads: ListRecords pages through parse_page, GetRecord answers through read_record."""
    body = path.read_bytes()
    root = xml.parse(body)
    if root.find(f"{OAI}ListRecords") is not None:
        records = parse_page(body, 1).records
    else:
        records = [read_record(r) for r in root.iter(f"{OAI}record")]
    return {r.identifier: r.payload for r in records if not r.deleted and r.payload is not None}


def crosswalked(path: Path) -> dict[str, Record]:
    """Every record of a file, through the crosswalk the registry picks for its payload."""
    out = {}
    for identifier, payload in payloads(path).items():
        crosswalk = crosswalks.for_payload(payload)
        out[identifier] = validate(crosswalk.to_record(payload, context(identifier, crosswalk.name)))
    return out


def only(path: Path) -> Record:
    [record] = crosswalked(path).values()
    return record


def literal(label: str, vocabulary: str | None, language: str = "@none") -> dict:
    value: dict = {"type": "Concept", "prefLabel": {language: label}}
    if vocabulary:
        value["sourceVocabulary"] = vocabulary
    return value


# ---------------------------------------------------------------- nsdl_dc


def test_nsdl_dc_real_record() -> None:
    record = only(DC / "nsdl_getrecord_nsdl_dc.xml")
    assert record["mainEntityOfPage"][0]["metadataFormat"] == "nsdl_dc"
    assert record["name"] == {"@none": "Molecular Structure of Dinitrophenol"}
    assert record["description"]["@none"].startswith("During the 1930s, 2,4-Dinitrophenol was used as a diet pill")
    assert record["keywords"] == {
        "@none": ["diet pill", "dyes", "explosives", "pesticide", "Ecology, Forestry and Agriculture", "Geoscience"]
    }
    assert [a["name"] for a in record["contributor"]] == [
        "Common molecules",
        "Obtained courtesy of the Cambridge Structural Database",
    ]
    # the metadata handle and the partner's OAI id name metadata records, not the resource
    assert record["identifier"] == [
        "Reciprocal Net Sample id 27344140",
        "Common molecules Sample 50743",
        "http://www.reciprocalnet.org/recipnet/showsample.jsp?sampleId=27344140",
        "hdl:2200/20080423151356635T",
    ]
    assert record["url"] == "http://www.reciprocalnet.org/recipnet/showsample.jsp?sampleId=27344140"
    assert record["learningResourceType"] == [
        literal("Dataset", "nsdl_dc:NSDLType"),
        literal("Interactive Simulation", "nsdl_dc:NSDLType"),
        literal("Instructional Material", "nsdl_dc:NSDLType"),
        {
            "type": "Concept",
            "id": "http://purl.org/dc/dcmitype/Text",
            "notation": "Text",
            "sourceVocabulary": "dcterms:DCMIType",
        },
    ]
    assert record["dateCreated"] == "2002-09-19T18:01:07Z"  # the earlier of two dc:date values
    # 'English' is a language name: whatever the normalizer makes of it (a code, or nothing)
    assert record.get("inLanguage") == ([language_tag("English")] if language_tag("English") else None)


def test_nsdl_dc_single_page_of_162_records() -> None:
    records = crosswalked(DC / "nsdl_listrecords_nsdl_dc_singlepage.xml")
    assert len(records) == 162
    for record in records.values():
        assert record["url"].startswith("http://www.reciprocalnet.org/recipnet/showsample.jsp?sampleId=")
        assert record["name"]["@none"].startswith("Molecular Structure of ")
        dcmi = [c for c in record["learningResourceType"] if "id" in c]
        assert dcmi == [
            {
                "type": "Concept",
                "id": "http://purl.org/dc/dcmitype/Text",
                "notation": "Text",
                "sourceVocabulary": "dcterms:DCMIType",
            }
        ]
        assert not any(i.startswith(("oai:reciprocalnet.org", "hdl:2200/2006")) for i in record["identifier"])


def test_nsdl_dc_educational_terms() -> None:
    """SYNTHETIC record: the dct:/ieee: terms the real NSDL page does not use."""
    record = only(DC / "synthetic_nsdl_dc_educational.xml")
    assert record["name"] == {"en": "Momentum and Collisions"}  # the second English title is reported dropped
    assert record["educationalLevel"] == [
        literal("High School", "nsdl_dc:NSDLEdLevel"),
        literal("Grade 9", "nsdl_dc:NSDLEdLevel"),
        literal("Introductory college", None),
    ]
    # dct:mediator (who mediates access) is an audience too
    assert record["audience"] == [
        literal("Learner", "nsdl_dc:NSDLAudience"),
        literal("Educator", "nsdl_dc:NSDLAudience"),
    ]
    # the LOMv1.0 token is mapped like LOM's own: the source concept is the shipped LOM scheme's
    lom_active = "http://w3id.org/openeduhub/vocabs/lom_interactivity_type/active"
    assert [c for c in record["interactivityType"] if c.get("id") == lom_active] == [
        {
            "type": "Concept",
            "id": lom_active,
            "notation": "active",
            "inScheme": "http://w3id.org/openeduhub/vocabs/lom_interactivity_type/",
            "sourceVocabulary": "LOMv1.0",
        }
    ]
    assert record["timeRequired"] == "PT45M"
    assert record["learningResourceType"][0]["id"] == "http://purl.org/dc/dcmitype/InteractiveResource"
    assert record["learningResourceType"][1] == literal("Instructional Material", "nsdl_dc:NSDLType")
    assert record["about"] == [literal("Physics", "nsdl_dc:GEM")]
    assert record["keywords"] == {"@none": ["momentum"]}
    assert record["license"] == {"id": licence_uri("http://creativecommons.org/licenses/by/3.0/us/")}
    assert record["license"]["id"].startswith("https://creativecommons.org/licenses/by/3.0/")
    assert record["copyrightNotice"] == {"@none": "Copyright 2008, Example University"}
    assert record["conditionsOfAccess"] == [literal("Free access", "nsdl_dc:NSDLAccess")]
    assert record["isAccessibleForFree"] is True
    assert (record["dateCreated"], record["datePublished"], record["dateModified"]) == (
        "2008-03-01",
        "2008-04",
        "2011-05-02T10:00:00Z",
    )
    assert record["inLanguage"] == ["en-US"]
    assert record["encodingFormat"] == ["text/html"]  # 'plain' is not a media type
    assert record["identifier"] == ["https://example.org/sims/momentum"]  # the metadata handle is not the resource's


# ---------------------------------------------------------------- qualified DC


def test_qualified_dc_record() -> None:
    """SYNTHETIC record: no real qualified-DC record is in the shared data."""
    record = only(DC / "synthetic_qdc.xml")
    assert record["mainEntityOfPage"][0]["metadataFormat"] == "qdc"
    assert record["name"] == {"de": "Einführung in die Statistik", "en": "Introduction to statistics"}
    # dcterms:abstract and dcterms:tableOfContents refine dc:description
    assert record["description"] == {
        "de": "Grundbegriffe der beschreibenden Statistik.\n\n1. Lagemaße\n2. Streuungsmaße"
    }
    assert record["creator"] == [{"type": "Person", "name": "Muster, Erika"}]
    assert record["contributor"] == [{"type": "Organization", "name": "Beispiel-Hochschule, Institut für Statistik"}]
    assert record["about"] == [
        {"type": "Concept", "notation": "519.5", "sourceVocabulary": "dcterms:DDC"},
        literal("Mathematical statistics", "dcterms:LCSH", "en"),
    ]
    assert record["keywords"] == {"de": ["Statistik"]}
    assert record["learningResourceType"] == [
        {
            "type": "Concept",
            "id": "http://purl.org/dc/dcmitype/Text",
            "notation": "Text",
            "sourceVocabulary": "dcterms:DCMIType",
        },
        literal("Vorlesungsskript", "dc:type"),
    ]
    # dcterms:created beats the plain dc:date; dcterms:available stands in for the missing dcterms:issued
    assert (record["dateCreated"], record["datePublished"]) == ("2017-09-15", "2017-10-01")
    assert "dateModified" not in record
    assert record["educationalLevel"] == [literal("Bachelor", None)]
    assert record["audience"] == [literal("Studierende", None)]
    assert record["inLanguage"] == ["de-AT"]
    assert record["encodingFormat"] == ["application/pdf"]
    assert record["url"] == "https://example.org/handle/123/7"
    assert record["license"] == {"id": "https://creativecommons.org/licenses/by-sa/4.0/"}
    assert record["conditionsOfAccess"] == [
        {"type": "Concept", "id": "info:eu-repo/semantics/openAccess", "notation": "openAccess"}
    ]
    assert record["isAccessibleForFree"] is True


@pytest.mark.parametrize("namespace", dcterms.QualifiedDcCrosswalk.namespaces)
def test_qualified_dc_wrappers_of_real_repositories(namespace: str) -> None:
    payload = etree.fromstring(
        f'<qdc:qualifieddc xmlns:qdc="{namespace}" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/"><dcterms:title>T</dcterms:title>'
        "<dcterms:issued>2001-02</dcterms:issued></qdc:qualifieddc>".encode()
    )
    crosswalk = crosswalks.for_payload(payload)
    record = validate(crosswalk.to_record(payload, context("oai:x:1", "qdc")))
    assert crosswalk.name == "qdc"
    assert (record["name"], record["datePublished"]) == ({"@none": "T"}, "2001-02")


# ---------------------------------------------------------------- DataCite


def test_datacite_real_zenodo_record() -> None:
    record = only(DC / "invenio-zenodo_getrecord_datacite.xml")
    assert record["mainEntityOfPage"][0]["metadataFormat"] == "datacite"
    assert record["name"] == {"@none": "Research Data Management Organiser (RDMO)"}
    assert record["version"] == "2.1.0"  # schema:version
    assert len(record["creator"]) == 9
    assert record["creator"][0] == {"type": "Person", "name": "Klar, Jochen", "id": ORCID + "0000-0002-5883-4273"}
    assert record["creator"][1]["id"] == ORCID + "0000-0002-5282-703X"  # check digit X
    assert {"type": "Person", "name": "Martínez Muñoz, David"} in record["creator"]  # no nameIdentifier
    assert sum("id" in agent for agent in record["creator"]) == 8
    assert record["publisher"] == [{"type": "Organization", "name": "Zenodo"}]
    # the DOI as a resolver URL; the alternate identifier is the record's own OAI identifier
    assert record["identifier"] == ["https://doi.org/10.5281/zenodo.10357859"]
    assert record["url"] == "https://doi.org/10.5281/zenodo.10357859"
    assert (record["datePublished"], record["dateModified"]) == ("2023-12-11", "2023-12-11")
    # Software is not a learning resource type, and the record is still a hub record
    assert record["learningResourceType"] == [
        {"type": "Concept", "notation": "Software", "sourceVocabulary": "DataCite resourceTypeGeneral"}
    ]
    uri = "http://www.apache.org/licenses/LICENSE-2.0"
    assert record["license"] == {"id": licence_uri("apache-2.0") or licence_uri(uri) or uri}
    assert record["conditionsOfAccess"] == [
        {"type": "Concept", "id": "info:eu-repo/semantics/openAccess", "notation": "openAccess"}
    ]
    assert record["isAccessibleForFree"] is True
    assert "copyrightNotice" not in record  # 'Apache License 2.0' names the licence
    description = record["description"]["@none"]
    assert description.startswith("RDMO 2.1.0 (Dec 11, 2023)\n\nRefactor progress bar and overview")
    assert description.endswith("If you refer to this software in a publication, please cite it as below.")
    assert "\n\n\n" not in description


def test_datacite_and_oai_dc_of_one_zenodo_record_agree() -> None:
    datacite_record = only(DC / "invenio-zenodo_getrecord_datacite.xml")
    dc_record = only(REAL_DC / "invenio-zenodo_getrecord_oai_dc.xml")
    assert datacite_record["name"] == dc_record["name"]
    assert [a["name"] for a in datacite_record["creator"]] == [a["name"] for a in dc_record["creator"]]
    assert datacite_record["url"] == dc_record["url"]
    assert datacite_record["conditionsOfAccess"] == dc_record["conditionsOfAccess"]
    assert datacite_record["id"] == dc_record["id"]  # same OAI identifier, same hub record


def test_oai_datacite_wrapper_with_the_whole_kernel() -> None:
    """SYNTHETIC record: kernel-4.5 properties the real Zenodo record lacks, in the oai_datacite wrapper."""
    record = only(DC / "synthetic_oai_datacite_kernel4.xml")
    assert record["name"] == {"en": "Fractions for beginners", "de": "Brüche für Einsteiger"}  # Subtitle dropped
    assert record["creator"] == [
        {"type": "Person", "name": "Mustermann, Max", "id": ORCID + "0000-0002-1825-0097"},
        {"type": "Organization", "name": "Open Learning Lab", "id": "https://ror.org/01abcde23"},
    ]
    assert record["contributor"] == [{"type": "Person", "name": "Beispiel, Berta"}]  # a local id has no IRI
    assert record["publisher"] == [
        {"type": "Organization", "name": "Example University Library", "id": "https://ror.org/04abcde56"}
    ]
    assert record["identifier"] == [
        "https://doi.org/10.1234/EXAMPLE.4711",
        "https://example.org/records/4711",
        "20.500.12345/4711",
    ]
    assert record["url"] == "https://example.org/records/4711"  # the landing page, not the DOI resolver
    # Available stands in for Issued; Collected (a range) has no field
    assert (record["dateCreated"], record["datePublished"], record["dateModified"]) == (
        "2022-11-03",
        "2023-02-01",
        "2023-09-12T08:15:00Z",
    )
    assert record["about"] == [
        {
            "type": "Concept",
            "id": "https://w3id.org/kim/hochschulfaechersystematik/n37",
            "prefLabel": {"de": "Mathematik"},
            "inScheme": "https://w3id.org/kim/hochschulfaechersystematik/scheme",
        },
        {"type": "Concept", "prefLabel": {"@none": "513"}, "sourceVocabulary": "DDC"},
    ]
    assert record["keywords"] == {"en": ["fractions"]}
    assert record["learningResourceType"] == [
        {"type": "Concept", "notation": "InteractiveResource", "sourceVocabulary": "DataCite resourceTypeGeneral"},
        literal("Self-study module", "DataCite resourceType"),
    ]
    assert record["license"] == {"id": "https://creativecommons.org/licenses/by/4.0/"}
    assert record["isAccessibleForFree"] is True
    # the abstract first, its <br/> a line break; SeriesInformation left out
    assert record["description"] == {
        "en": "Learn to add and compare fractions.\nWith 20 exercises.\n\nWorked examples, then exercises."
    }
    assert record["inLanguage"] == ["en"]
    assert record["encodingFormat"] == ["application/pdf"]


def test_bare_kernel_3_resource() -> None:
    payload = etree.fromstring(
        b'<resource xmlns="http://datacite.org/schema/kernel-3">'
        b'<identifier identifierType="DOI">doi:10.5072/k3</identifier>'
        b"<creators><creator><creatorName>Example University Library</creatorName></creator>"
        b"<creator><creatorName>Doe, Jane</creatorName>"
        b'<nameIdentifier nameIdentifierScheme="ORCID">http://orcid.org/0000-0001-5109-3700</nameIdentifier>'
        b"</creator></creators>"
        b"<titles><title>Kernel three</title></titles><publicationYear>2014</publicationYear>"
        b'<rightsList><rights rightsURI="http://creativecommons.org/publicdomain/zero/1.0/">CC0</rights></rightsList>'
        b"</resource>"
    )
    crosswalk = crosswalks.for_payload(payload)
    record = validate(crosswalk.to_record(payload, context("oai:x:k3", "datacite3")))
    assert crosswalk.name == "datacite"
    assert record["creator"] == [
        {"type": "Organization", "name": "Example University Library"},  # no nameType: guessed
        {"type": "Person", "name": "Doe, Jane", "id": ORCID + "0000-0001-5109-3700"},
    ]
    assert record["identifier"] == ["https://doi.org/10.5072/k3"]
    assert record["datePublished"] == "2014"
    assert record["license"] == {"id": "https://creativecommons.org/publicdomain/zero/1.0/"}


def test_datacite_without_title_or_resource_is_a_crosswalk_error() -> None:
    untitled = etree.fromstring(b'<resource xmlns="http://datacite.org/schema/kernel-4"><titles/></resource>')
    with pytest.raises(CrosswalkError, match="no title"):
        crosswalks.get("datacite").to_record(untitled, context("oai:x:2", "datacite"))
    empty = etree.fromstring(b'<oai_datacite xmlns="http://schema.datacite.org/oai/oai-1.1/"><payload/></oai_datacite>')
    with pytest.raises(CrosswalkError, match="no DataCite <resource>"):
        crosswalks.get("datacite").to_record(empty, context("oai:x:3", "oai_datacite"))


def test_agent_identifiers() -> None:
    assert datacite.agent_iri("ORCID", " 0000-0002-5883-4273 ") == ORCID + "0000-0002-5883-4273"
    assert datacite.agent_iri("ROR", "https://ror.org/03yrm5c26") == "https://ror.org/03yrm5c26"
    assert datacite.agent_iri("ISNI", "0000 0001 2149 1740") == "https://isni.org/isni/0000000121491740"
    assert datacite.agent_iri("ORCID", "0000-0002-5883") is None  # truncated
    assert datacite.agent_iri("Local", "abc") is None
    assert datacite.agent_iri("Local", "abc", "https://example.org/people") == "https://example.org/people/abc"
    assert datacite.doi("https://dx.doi.org/10.1000/xyz123") == "10.1000/xyz123"
    assert datacite.doi("not a doi") is None


# ---------------------------------------------------------------- oai_dc after the refactoring


def test_oai_dc_real_records_field_by_field() -> None:
    cjk = only(REAL_DC / "anonymized_getrecord_oai_dc_cjk_creator.xml")
    assert cjk["creator"] == [{"type": "Person", "name": "某人"}]
    assert cjk["inLanguage"] == [language_tag("eng")]
    assert cjk["dateCreated"] == "2011"

    helda = only(REAL_DC / "dspace_helda_getrecord_oai_dc.xml")
    assert [a["name"] for a in helda["creator"]] == ["Khriachtchev, Leonid", "Lignell, Antti", "Räsänen, Markku"]
    assert helda["url"] == "http://link.aip.org/link/?jcp/123/064507"
    assert helda["identifier"] == ["http://link.aip.org/link/?jcp/123/064507", "http://hdl.handle.net/10138/1074"]
    assert helda["copyrightNotice"]["@none"].startswith("Copyright 2005 American Institute of Physics.")

    image = only(REAL_DC / "dspace_helda_getrecord_oai_dc_2.xml")
    assert len(image["keywords"]["@none"]) == 8
    assert image["encodingFormat"] == ["image/jpeg"]
    assert image["description"] == {"@none": "Kansantanssijat esiintyvät juhlakentällä Seurasaaren juhannusjuhlassa."}

    # default namespace re-declared on oai_dc:dc; an OpenAIRE access token is not a copyright notice
    librecat = only(REAL_DC / "librecat-pub-bielefeld_getrecord_oai_dc.xml")
    assert librecat["conditionsOfAccess"] == [
        {"type": "Concept", "id": "info:eu-repo/semantics/closedAccess", "notation": "closedAccess"}
    ]
    assert "isAccessibleForFree" not in librecat and "copyrightNotice" not in librecat
    assert len(librecat["learningResourceType"]) == 3

    # MIT DSpace: accession dates beside the issue date, two descriptions, three rights statements
    mit = only(REAL_DC / "dspace-xoai_mit_getrecord_oai_dc.xml")
    assert mit["dateCreated"] == "2023-06"
    assert mit["description"]["@none"].startswith("X-ray microscopes have opened")
    assert mit["description"]["@none"].endswith("\n\nPh.D.")
    statement = "https://rightsstatements.org/page/InC-EDU/1.0/"
    notices = ["In Copyright - Educational Use Permitted", "Copyright retained by author(s)"]
    if licence_uri(statement):  # a rights statement URL the normalizer knows is the licence, not a notice
        assert mit["license"] == {"id": licence_uri(statement)}
    else:
        notices.append(statement)
    assert mit["copyrightNotice"]["@none"].split("\n\n") == notices

    zenodo = only(REAL_DC / "invenio-zenodo_getrecord_oai_dc.xml")
    assert zenodo["isAccessibleForFree"] is True
    assert "info:eu-repo" not in zenodo.get("copyrightNotice", {}).get("@none", "")


def test_oai_dc_crlf_and_newline_padded_text() -> None:
    crlf = crosswalked(REAL_DC / "oaicat-dspace_eur_listrecords_oai_dc_from.xml")
    assert len(crlf) == 16
    descriptions = [text for r in crlf.values() for text in r.get("description", {}).values()]
    assert not any("\r" in text for text in descriptions)
    assert any("mathematically\noriented research" in text for text in descriptions)
    padded = crosswalked(REAL_DC / "tudelft_listrecords_oai_dc_newlines_in_text.xml")
    for record in padded.values():
        assert all(name == name.strip() for name in record["name"].values())
        assert record["inLanguage"] == ["en"]


# ---------------------------------------------------------------- every record: schema, AMB, coverage


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_records_validate_store_and_project_to_valid_amb(path: Path) -> None:
    records = crosswalked(path)  # crosswalked() validates against the hub schema
    assert records
    for record in records.values():
        # the store takes the triples: every IRI (ORCID, DOI, info:eu-repo tokens) parses
        triples = list(ox.parse("\n".join(to_ntriples(record)).encode(), format=ox.RdfFormat.N_TRIPLES))
        assert any(t.subject.value == record["id"] for t in triples)
        amb = to_amb(record)
        errors = sorted(amb_validator().iter_errors(amb), key=str)
        assert not errors, f"{record['id']}: {errors[0].message}"


def test_amb_projection_keeps_orcid_ids() -> None:
    amb = to_amb(only(DC / "invenio-zenodo_getrecord_datacite.xml"))
    assert amb["creator"][0] == {"type": "Person", "name": "Klar, Jochen", "id": ORCID + "0000-0002-5883-4273"}


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_leaf_is_left_unread(path: Path) -> None:
    """Every non-empty leaf is mapped, kept as a literal or dropped with a reason (trace.xml_leaves)."""
    statuses: dict[str, int] = {}
    for identifier, payload in payloads(path).items():
        crosswalk = crosswalks.for_payload(payload)
        with trace.tracing() as marks:
            crosswalk.to_record(payload, context(identifier, crosswalk.name))
        for leaf in trace.xml_leaves(payload, marks, crosswalk.dropped):
            assert leaf.note != trace.UNREAD, f"{path.name} {identifier}: {leaf.path} = {leaf.value[:60]!r}"
            assert leaf.status == trace.MAPPED or leaf.note, leaf
            statuses[leaf.status] = statuses.get(leaf.status, 0) + 1
    assert statuses.get(trace.MAPPED, 0) > 0


def test_coverage_verdicts_of_the_synthetic_nsdl_record() -> None:
    [(identifier, payload)] = payloads(DC / "synthetic_nsdl_dc_educational.xml").items()
    crosswalk = crosswalks.for_payload(payload)
    with trace.tracing() as marks:
        crosswalk.to_record(payload, context(identifier, "nsdl_dc"))
    verdicts = {(leaf.path, leaf.value): leaf for leaf in trace.xml_leaves(payload, marks, crosswalk.dropped)}
    assert verdicts["nsdl_dc/educationlevel", "High School"].status == trace.KEPT
    assert verdicts["nsdl_dc/type", "InteractiveResource"].status == trace.MAPPED
    assert verdicts["nsdl_dc/format", "plain"].note.startswith("not a media type")
    assert verdicts["nsdl_dc/title", "Collisions Lab"].status == trace.DROPPED
    assert verdicts["nsdl_dc/extent", "1.2 MB"].status == trace.DROPPED  # from the `dropped` table
    assert "metadata record" in verdicts["nsdl_dc/identifier", "hdl:2200/00000000000000000T"].note


# ---------------------------------------------------------------- registry


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("http://ns.nsdl.org/nsdl_dc_v1.02/", "nsdl_dc"),
        ("http://epubs.cclrc.ac.uk/xmlns/qdc/", "qdc"),
        ("http://dspace.org/qualifieddc/", "qdc"),
        ("http://worldcat.org/xmlschemas/qdc-1.0/", "qdc"),
        ("http://datacite.org/schema/kernel-4", "datacite"),
        ("http://datacite.org/schema/kernel-3", "datacite"),
        ("http://schema.datacite.org/oai/oai-1.1/", "datacite"),
        ("http://schema.datacite.org/oai/oai-1.0/", "datacite"),
        ("http://www.openarchives.org/OAI/2.0/oai_dc/", "oai_dc"),
    ],
)
def test_registry_by_namespace(namespace: str, name: str) -> None:
    payload = etree.Element(f"{{{namespace}}}root")
    assert crosswalks.for_payload(payload).name == name
    assert crosswalks.for_namespace(namespace).name == name


@pytest.mark.parametrize(
    ("prefix", "name"),
    [
        ("nsdl_dc", "nsdl_dc"),
        ("qdc", "qdc"),
        ("oai_qdc", "qdc"),
        ("dcterms", "qdc"),
        ("qualified-dublin-core", "qdc"),
        ("datacite", "datacite"),
        ("oai_datacite", "datacite"),
        ("datacite3", "datacite"),
        ("datacite4", "datacite"),
        ("oai_datacite4", "datacite"),
        ("oai_dc", "oai_dc"),
    ],
)
def test_registry_by_prefix(prefix: str, name: str) -> None:
    assert crosswalks.for_prefix(prefix).name == name


def test_unknown_namespace_fails_loudly() -> None:
    payload = etree.Element("{http://www.loc.gov/mods/v3}mods")
    with pytest.raises(UnknownCrosswalk, match=r"no crosswalk reads payload <\{http://www.loc.gov/mods/v3\}mods>"):
        crosswalks.for_payload(payload, "mods")
    # a qualified-DC wrapper in a namespace not listed is still read when its prefix names the format
    other = etree.Element("{http://example.org/appqualifieddc/}qualifieddc")
    assert crosswalks.for_payload(other, "oai_qdc").name == "qdc"


def test_richness_ranks_the_formats() -> None:
    ranks = {name: crosswalks.get(name).richness for name in ("lom", "datacite", "nsdl_dc", "qdc", "oai_dc")}
    assert ranks["lom"] > ranks["datacite"] > ranks["nsdl_dc"] == ranks["qdc"] > ranks["oai_dc"]


def test_dc_handlers_are_shared_not_copied() -> None:
    """nsdl_dc and qualified DC extend oai_dc's handler table; every entry names a method."""
    base = oai_dc.DublinCoreCrosswalk.HANDLERS
    for crosswalk in (dcterms.QualifiedDcCrosswalk, dcterms.NsdlDcCrosswalk):
        assert base.items() <= crosswalk.HANDLERS.items()
        assert all(callable(getattr(crosswalk, method)) for method in crosswalk.HANDLERS.values())
