"""The hub's native OAI-PMH format (``eduhub``): graph → record reader, writer, XSD and crosswalk.

* :func:`exchange.model.record_from_triples` is the inverse of :func:`exchange.model.to_ntriples`
  over every golden record and over generated records (SYNTHETIC) with the awkward cases: a
  nested node after repeated IRIs, one agent IRI with several names, a concept whose IRI is the
  fallback IRI of a nested node, every datatype;
* the writer's payload is valid against schemas/eduhub-native.xsd (offline);
* writer → crosswalk under another hub gives the same graph, renamed, plus one provenance page;
* bad and hostile payloads raise CrosswalkError.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from lxml import etree

from exchange import coverage, crosswalks, writers
from exchange.crosswalks import CrosswalkError, RecordContext
from exchange.crosswalks.native import NativeCrosswalk
from exchange.model import NotARecordGraph, record_from_triples, to_ntriples, validate
from exchange.namespaces import EDUHUB_NATIVE, HUB, OAI, RDF_TYPE, SCHEMA, SKOS, XSD
from exchange.resources import schema_path
from exchange.writers.native import NATIVE_SCHEMA, write_native
from harvesters import xml
from harvesters.oaipmh import parse_page

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def golden_records() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(GOLDEN.glob("*.json")):
        for identifier, result in json.loads(path.read_text(encoding="utf-8"))["records"].items():
            if "record" in result:
                record = dict(result["record"])
                record.pop("@context", None)
                found.append((f"{path.name[:-5]}{identifier}", record))
    return found


GOLDEN_RECORDS = golden_records()


def triples(lines: Iterable[str]) -> list[ox.Triple]:
    """N-Triples lines as pyoxigraph triples (what the store hands the reader)."""
    quads = ox.parse("\n".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def graph(record: dict[str, Any]) -> set[ox.Triple]:
    return set(triples(to_ntriples(record)))


def round_trip(record: dict[str, Any], provider_names: dict[str, str] | None = None) -> dict[str, Any]:
    return record_from_triples(record["id"], triples(to_ntriples(record)), provider_names)


def test_there_are_golden_records() -> None:
    assert len(GOLDEN_RECORDS) >= 300


# ---------------------------------------------------------------------- (a) the reader is the inverse


@pytest.mark.parametrize(("case", "record"), GOLDEN_RECORDS, ids=[case for case, _ in GOLDEN_RECORDS])
def test_golden_record_graph_round_trips(case: str, record: dict[str, Any]) -> None:
    lines = to_ntriples(record)
    rebuilt = record_from_triples(record["id"], triples(lines))
    validate(rebuilt)
    assert set(triples(to_ntriples(rebuilt))) == set(triples(lines))
    # Language tags come back in their BCP 47 case, so even the lines are the same.
    assert set(to_ntriples(rebuilt)) == set(lines)
    # The provider's name is not in the graph; the source name is the last segment of its IRI.
    assert [p["provider"] for p in rebuilt["mainEntityOfPage"]] == [p["provider"] for p in record["mainEntityOfPage"]]


def test_nested_nodes_go_back_to_their_positions() -> None:
    """SYNTHETIC: a nested node after repeated IRIs keeps its fragment IRI; one agent IRI with two names."""
    s = "https://hub.example/resources/src/r1"
    record = {
        "id": s,
        "type": ["LearningResource", "VideoObject"],
        "name": {"@none": "Plain", "en": "English", "zh-Hant-TW": "中文"},
        "about": [
            {"type": "Concept", "id": "https://concepts.example/b"},
            {"type": "Concept", "id": "https://concepts.example/b"},  # the same IRI twice: one triple
            {"type": "Concept", "notation": "x1", "sourceVocabulary": "local"},  # → #about-3
            {"type": "Concept", "id": "https://concepts.example/a"},
            {"type": "Concept", "prefLabel": {"de": "Wald"}, "inScheme": "https://schemes.example/s"},  # → #about-5
        ],
        # A concept whose own IRI is the fallback IRI of position 1: only a link, no nested node.
        "educationalLevel": [{"type": "Concept", "id": f"{s}#educationalLevel-1"}],
        "creator": [
            {"type": "Organization", "id": "https://orgs.example/o", "name": "Org A"},
            {"type": "Person", "name": "Nested Person", "email": "p@example.org"},  # → #creator-2
            {"type": "Organization", "id": "https://orgs.example/o", "name": "Org B"},  # same IRI, other name
        ],
        "mainEntityOfPage": [
            {
                "id": "https://src.example/oai?verb=GetRecord&identifier=r1",
                "type": "WebContent",
                "provider": {"id": "https://hub.example/sources/my%20source", "name": "my source"},
                "oaiIdentifier": "r1",
                "metadataFormat": "lom",
                "dateModified": "2024-02-29T12:00:00Z",
            }
        ],
    }
    validate(record)
    rebuilt = round_trip(record)
    validate(rebuilt)
    assert set(to_ntriples(rebuilt)) == set(to_ntriples(record))
    about = rebuilt["about"]
    assert about[2] == {"type": "Concept", "notation": "x1", "sourceVocabulary": "local"}
    assert about[4] == {"type": "Concept", "prefLabel": {"de": "Wald"}, "inScheme": "https://schemes.example/s"}
    assert {c.get("id") for c in about[:2] + about[3:4]} == {"https://concepts.example/a", "https://concepts.example/b"}
    assert rebuilt["educationalLevel"] == [{"type": "Concept", "id": f"{s}#educationalLevel-1"}]
    assert rebuilt["creator"][1] == {"type": "Person", "name": "Nested Person", "email": "p@example.org"}
    org = [c for c in rebuilt["creator"] if c.get("id") == "https://orgs.example/o"]
    assert sorted(c["name"] for c in org) == ["Org A", "Org B"]
    assert rebuilt["type"] == ["LearningResource", "VideoObject"]
    assert rebuilt["name"] == record["name"]  # language tags in their case, untagged text under @none
    assert rebuilt["mainEntityOfPage"][0]["provider"] == {
        "id": "https://hub.example/sources/my%20source",
        "name": "my source",
    }


def test_provider_names_come_from_the_mapping_when_given() -> None:
    [(_, record)] = GOLDEN_RECORDS[:1]
    provider = record["mainEntityOfPage"][0]["provider"]["id"]
    rebuilt = round_trip(record, {provider: "Golden Repository"})
    assert rebuilt["mainEntityOfPage"][0]["provider"] == {"id": provider, "name": "Golden Repository"}


def test_typed_literals_come_back_typed() -> None:
    record = {
        "id": "https://hub.example/resources/src/typed",
        "type": ["LearningResource"],
        "name": {"@none": "Typed"},
        "dateCreated": "2020",
        "datePublished": "2020-05",
        "dateModified": "2020-05-17T08:30:00+02:00",
        "contentSize": 0,
        "isAccessibleForFree": False,
        "timeRequired": "PT1H30M",
        "typicalAgeRange": "10-12",
        "version": "2.0",
        "license": {"id": "https://creativecommons.org/licenses/by/4.0/"},
        "url": "https://example.org/resource",
        "qualityLabel": [{"type": "Concept", "notation": "label-1"}],
        "mainEntityOfPage": GOLDEN_RECORDS[0][1]["mainEntityOfPage"],
    }
    rebuilt = round_trip(record)
    for key in ("dateCreated", "datePublished", "dateModified", "timeRequired", "license", "url", "qualityLabel"):
        assert rebuilt[key] == record[key], key
    assert rebuilt["contentSize"] == 0 and type(rebuilt["contentSize"]) is int
    assert rebuilt["isAccessibleForFree"] is False
    # timeRequired that is not an ISO 8601 duration is a plain literal both ways
    assert round_trip({**record, "timeRequired": "about an hour"})["timeRequired"] == "about an hour"
    assert round_trip({**record, "isAccessibleForFree": True})["isAccessibleForFree"] is True


# Generated records (SYNTHETIC): every field, repeated IRIs, nested nodes at any position.

TEXTS = [
    "plain",
    'quote " and \\ backslash',
    "line\nbreak",
    "cr\r\nlf",
    " padded ",
    "tab\there",
    "é ü 中文 🙂",
    "<&>]]>",
]
LANGUAGES = ["@none", "en", "de", "fr-CA", "zh-Hant-TW", "sr-Latn"]


def _language_map(rng: random.Random) -> dict[str, str]:
    return {lang: rng.choice(TEXTS) + str(rng.randint(0, 9)) for lang in rng.sample(LANGUAGES, rng.randint(1, 3))}


def _concepts(rng: random.Random) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.5:
            values.append({"type": "Concept", "id": f"https://concepts.example/{rng.randint(1, 3)}"})
            continue
        value: dict[str, Any] = {"type": "Concept"}
        if rng.random() < 0.6:
            value["notation"] = rng.choice(TEXTS)
        if "notation" not in value or rng.random() < 0.5:
            value["prefLabel"] = _language_map(rng)
        if rng.random() < 0.5:
            value["inScheme"] = "https://schemes.example/" + str(rng.randint(1, 2))
        if rng.random() < 0.5:
            value["sourceVocabulary"] = "LOMv1.0"
        values.append(value)
    return values


def _agents(rng: random.Random) -> list[dict[str, Any]]:
    agents: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 4)):
        agent: dict[str, Any] = {"type": rng.choice(["Person", "Organization"]), "name": rng.choice(TEXTS)}
        if rng.random() < 0.5:
            agent["id"] = f"https://agents.example/{rng.randint(1, 2)}"
        if rng.random() < 0.4:
            agent["email"] = f"a{rng.randint(1, 3)}@example.org"
        agents.append(agent)
    return agents


def generated_record(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    s = f"https://hub.example/resources/{quote('my source', safe='')}/oai:x:{seed}"
    record: dict[str, Any] = {
        "id": s,
        "type": ["LearningResource", *rng.sample(["CreativeWork", "Course"], rng.randint(0, 2))],
    }
    record["name"] = _language_map(rng)
    for key in ("description", "copyrightNotice", "accessibilitySummary"):
        if rng.random() < 0.5:
            record[key] = _language_map(rng)
    if rng.random() < 0.7:
        record["keywords"] = {lang: rng.sample(TEXTS, rng.randint(1, 3)) for lang in rng.sample(LANGUAGES, 2)}
    for key, pool in (
        ("inLanguage", ["en", "de", "fr-CA", "zxx"]),
        ("identifier", ["urn:isbn:1", "10.1000/x", "local id"]),
        ("encodingFormat", ["text/html", "video/mp4", "application/pdf"]),
    ):
        if rng.random() < 0.6:
            record[key] = rng.sample(pool, rng.randint(1, 3))
    for key, value in (
        ("url", "https://example.org/r?a=1&b=2"),
        ("license", {"id": "https://creativecommons.org/licenses/by-sa/4.0/"}),
        ("dateCreated", rng.choice(["1999", "1999-12", "1999-12-31", "1999-12-31T23:59:59Z", "1999-12-31T23:59:59.5"])),
        ("datePublished", "2001-01-01"),
        ("isAccessibleForFree", rng.random() < 0.5),
        ("contentSize", rng.randint(0, 10**12)),
        ("timeRequired", rng.choice(["PT45M", "P1DT2H", "two lessons", "P"])),
        ("typicalAgeRange", "6-"),
        ("version", "v1"),
    ):
        if rng.random() < 0.5:
            record[key] = value
    for key in ("creator", "contributor", "publisher"):
        if rng.random() < 0.6:
            record[key] = _agents(rng)
    for key in ("about", "learningResourceType", "educationalLevel", "audience", "qualityLabel", "accessMode"):
        if rng.random() < 0.6:
            record[key] = _concepts(rng)
    record["mainEntityOfPage"] = [
        {
            "id": f"https://src{n}.example/oai?verb=GetRecord&identifier=oai:x:{seed}",
            "type": "WebContent",
            "provider": {"id": f"https://hub{n}.example/sources/src-{n}", "name": f"src-{n}"},
            "oaiIdentifier": f"oai:x:{seed}",
            "metadataFormat": rng.choice(["lom", "oai_dc", "eduhub"]),
            **({"dateModified": f"2024-01-0{n + 1}T00:00:00Z"} if rng.random() < 0.7 else {}),
        }
        for n in range(rng.randint(1, 3))
    ]
    return validate(record)


GENERATED = [generated_record(seed) for seed in range(200)]


@pytest.mark.parametrize("seed", range(len(GENERATED)))
def test_generated_record_graph_round_trips(seed: int) -> None:
    record = GENERATED[seed]
    rebuilt = validate(round_trip(record))
    assert set(to_ntriples(rebuilt)) == set(to_ntriples(record))
    # Deterministic: the same triples in another order give the same record.
    shuffled = triples(to_ntriples(record))
    random.Random(seed).shuffle(shuffled)
    assert record_from_triples(record["id"], shuffled) == rebuilt


# ---------------------------------------------------------------------- unknown triples are refused


S = "https://hub.example/resources/src/r1"
MINIMAL = {
    "id": S,
    "type": ["LearningResource"],
    "name": {"en": "Minimal"},
    "creator": [{"type": "Person", "name": "P"}],
    "about": [{"type": "Concept", "notation": "n"}],
    "mainEntityOfPage": [
        {
            "id": "https://src.example/p",
            "type": "WebContent",
            "provider": {"id": "https://hub.example/sources/src", "name": "src"},
            "oaiIdentifier": "r1",
            "metadataFormat": "lom",
        }
    ],
}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (f'<{S}> <http://purl.org/dc/terms/title> "T" .', "unknown property of the record"),
        (f'<{S}#creator-1> <{SCHEMA}jobTitle> "Teacher" .', "unknown triple"),
        (f'<{S}#about-1> <{SKOS}altLabel> "alt" .', "unknown triple"),
        (f"<{S}#creator-1> <{RDF_TYPE}> <{SCHEMA}Thing> .", "unknown type"),
        ('<https://elsewhere.example/x> <https://elsewhere.example/p> "o" .', "links by IRI only, or not at all"),
        ('<https://hub.example/sources/src> <https://schema.org/name> "src" .', "links by IRI only, or not at all"),
        (f'<{S}> <{SCHEMA}inLanguage> "en"@en .', "expected a plain literal"),
        (f'<{S}> <{SCHEMA}name> "Zweiter"@en .', "a second name in language en"),
        (f"<{S}> <{SCHEMA}url> <https://a.example/> .\n<{S}> <{SCHEMA}url> <https://b.example/> .", "holds one value"),
        (f'<{S}> <{SCHEMA}url> "https://a.example/" .', "expected an IRI"),
        (f'<{S}> <{SCHEMA}dateCreated> "2020"^^<{XSD}date> .', "date literal matching its datatype"),
        (f'<{S}> <{SCHEMA}contentSize> "007"^^<{XSD}integer> .', "canonical form"),
        (f'<{S}> <{SCHEMA}isAccessibleForFree> "1"^^<{XSD}boolean> .', "xsd:boolean"),
        (f'<{S}> <{SCHEMA}timeRequired> "PT1H" .', "xsd:duration"),
        (f"<{S}> <{SCHEMA}keywords> _:b1 .", "plain or language-tagged literal"),
        (f'_:b1 <{SCHEMA}name> "blank" .', "no blank nodes"),
        (f"<{S}> <{SCHEMA}creator> <https://agents.example/unknown> .", "says nothing about"),
        (
            f"<{S}> <{HUB}qualityLabel> <{S}#qualityLabel-1> .\n<{S}#qualityLabel-1> <{RDF_TYPE}> <{SKOS}Concept> .",
            "neither notation nor prefLabel",
        ),
    ],
)
def test_a_triple_no_record_has_is_refused_and_named(extra: str, reason: str) -> None:
    lines = [*to_ntriples(MINIMAL), extra]
    assert record_from_triples(S, triples(to_ntriples(MINIMAL)))["about"] == MINIMAL["about"]  # the base graph reads
    with pytest.raises(NotARecordGraph, match=reason) as error:
        record_from_triples(S, triples(lines))
    assert isinstance(error.value, ValueError)
    # the message names the offending triple: its subject or its object
    subject, _, rest = extra.split("\n")[-1].partition(" ")
    obj = rest.partition(" ")[2].rsplit(" ", 1)[0]
    assert subject.strip("<>") in str(error.value) or obj.strip("<>") in str(error.value)


def test_repeated_iris_before_a_nested_node_are_filled_up_to_a_bound() -> None:
    """SYNTHETIC: [A] * n + [unmapped] is 2 links and a node at position n + 1; a hostile position is refused."""
    a = {"type": "Concept", "id": "https://concepts.example/a"}
    unmapped = {"type": "Concept", "notation": "x"}
    record = {**MINIMAL, "about": [a] * 40 + [unmapped]}
    rebuilt = round_trip(record)
    assert rebuilt["about"] == [a] * 40 + [unmapped]
    assert set(to_ntriples(rebuilt)) == set(to_ntriples(record))
    hostile = [line.replace(f"{S}#about-41", f"{S}#about-99999999") for line in to_ntriples(record)]
    with pytest.raises(NotARecordGraph, match="position 99999999 of a list of 2 values"):
        record_from_triples(S, triples(hostile))


def test_an_agent_iri_that_is_a_nested_node_iri_round_trips() -> None:
    """SYNTHETIC: an agent whose own id is the fallback IRI of another position (same node, two names)."""
    record = {
        **MINIMAL,
        "creator": [
            {"type": "Person", "id": f"{S}#creator-2", "name": "Given id"},
            {"type": "Person", "name": "Nested"},  # → #creator-2 as well
        ],
        "contributor": [{"type": "Organization", "id": f"{S}#creator-2", "name": "Given id"}],
    }
    rebuilt = validate(round_trip(record))
    assert set(to_ntriples(rebuilt)) == set(to_ntriples(record))
    assert len(rebuilt["creator"]) == 2 and "id" not in rebuilt["creator"][1]


def test_a_graph_without_the_record_is_refused() -> None:
    with pytest.raises(NotARecordGraph, match="no triple has the record"):
        record_from_triples("https://hub.example/resources/src/other", triples(to_ntriples(MINIMAL)))


# ---------------------------------------------------------------------- (b) the writer and its XSD


@cache
def native_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(schema_path("eduhub-native.xsd")), parser))


def test_writer_is_registered_after_oai_dc_and_lom() -> None:
    assert [f.prefix for f in writers.formats()][-1] == "eduhub"
    fmt = writers.get("eduhub")
    assert (fmt.namespace, fmt.schema, fmt.write) == (EDUHUB_NATIVE, NATIVE_SCHEMA, write_native)
    assert EDUHUB_NATIVE == "https://w3id.org/eduhub/ns/oai-native/"
    assert NATIVE_SCHEMA == "https://w3id.org/eduhub/schemas/eduhub-native.xsd"
    # the schema ships with the data folders (force-included in the wheel), under the name it is published as
    assert schema_path("eduhub-native.xsd").name == NATIVE_SCHEMA.rsplit("/", 1)[1]


@pytest.mark.parametrize(("case", "record"), GOLDEN_RECORDS[::7], ids=[case for case, _ in GOLDEN_RECORDS[::7]])
def test_writer_output_is_valid_and_holds_the_graph(case: str, record: dict[str, Any]) -> None:
    payload = write_native(record)
    assert native_schema().validate(payload), native_schema().error_log
    assert payload.tag == f"{{{EDUHUB_NATIVE}}}record" and payload.get("about") == record["id"]
    [rdf] = payload
    assert rdf.tag == f"{{{RDF_NS}}}RDF"
    parsed = ox.parse(etree.tostring(rdf), format=ox.RdfFormat.RDF_XML)
    assert {ox.Triple(q.subject, q.predicate, q.object) for q in parsed} == graph(record)
    languages = {e.get(XML_LANG) for e in rdf.iter() if e.get(XML_LANG)}
    assert languages <= _record_languages(record)  # BCP 47 case, not pyoxigraph's lower case


def _record_languages(record: dict[str, Any]) -> set[str]:
    found = set()
    for key in ("name", "description", "copyrightNotice", "accessibilitySummary", "keywords"):
        found |= set(record.get(key, {}))
    for values in record.values():
        if isinstance(values, list):
            found |= {lang for v in values if isinstance(v, dict) for lang in v.get("prefLabel", {})}
    return found


def test_writer_keeps_carriage_returns_and_refuses_what_xml_cannot_carry() -> None:
    record = GENERATED[0] | {"description": {"en": "one\r\ntwo\rthree"}}
    crosswalked = NativeCrosswalk().to_record(xml.parse(etree.tostring(write_native(record))), other_hub())
    assert crosswalked["description"] == {"en": "one\r\ntwo\rthree"}
    with pytest.raises(ValueError, match="cannot be written as XML"):
        write_native(GENERATED[0] | {"description": {"en": "bell \x07"}})


@pytest.mark.parametrize(
    "document",
    [
        f'<e:record xmlns:e="{EDUHUB_NATIVE}"><rdf:RDF xmlns:rdf="{RDF_NS}"/></e:record>',  # no about
        f'<e:record xmlns:e="{EDUHUB_NATIVE}" about="http://h/r"/>',  # no graph
        f'<e:record xmlns:e="{EDUHUB_NATIVE}" about="http://h/r"><rdf:RDF xmlns:rdf="{RDF_NS}"/>'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}"/></e:record>',  # two graphs
        f'<e:record xmlns:e="{EDUHUB_NATIVE}" about="http://h/r"><x:RDF xmlns:x="urn:other"/></e:record>',
        f'<e:record xmlns:e="{EDUHUB_NATIVE}" about="http://h/r" extra="1"><rdf:RDF xmlns:rdf="{RDF_NS}"/></e:record>',
    ],
)
def test_xsd_refuses_payloads_that_are_not_one_record_with_one_graph(document: str) -> None:
    good = f'<e:record xmlns:e="{EDUHUB_NATIVE}" about="http://h/r"><rdf:RDF xmlns:rdf="{RDF_NS}"/></e:record>'
    assert native_schema().validate(etree.fromstring(good))
    assert not native_schema().validate(etree.fromstring(document))


# ---------------------------------------------------------------------- (c) writer → crosswalk, another hub


def other_hub(identifier: str = "oai:hub.example:r1") -> RecordContext:
    return RecordContext(
        base="https://other-hub.example",
        source="hub-example",
        oai_identifier=identifier,
        datestamp="2025-03-04T05:06:07Z",
        metadata_prefix="eduhub",
        source_record_url=f"https://hub.example/oai?verb=GetRecord&metadataPrefix=eduhub&identifier={identifier}",
    )


def harvested(record: dict[str, Any], context: RecordContext) -> dict[str, Any]:
    """Writer → bytes on the wire → the harvester's hardened parser → the crosswalk it picks."""
    payload = xml.parse(etree.tostring(writers.write("eduhub", record)))
    crosswalk = crosswalks.for_payload(payload, "eduhub")
    assert isinstance(crosswalk, NativeCrosswalk)
    return validate(crosswalk.to_record(payload, context))


def renamed_back(triples_: set[ox.Triple], new: str, old: str) -> set[ox.Triple]:
    def term(t: Any) -> Any:
        if isinstance(t, ox.NamedNode) and (t.value == new or t.value.startswith(new + "#")):
            return ox.NamedNode(old + t.value[len(new) :])
        return t

    return {ox.Triple(term(t.subject), t.predicate, term(t.object)) for t in triples_}


CROSSWALK_CASES = [*GOLDEN_RECORDS, *((f"generated-{n}", r) for n, r in enumerate(GENERATED[:50]))]


@pytest.mark.parametrize(("case", "record"), CROSSWALK_CASES, ids=[case for case, _ in CROSSWALK_CASES])
def test_writer_then_crosswalk_gives_the_same_graph_plus_one_page(case: str, record: dict[str, Any]) -> None:
    context = other_hub()
    got = harvested(record, context)
    assert got["id"] == context.record_iri != record["id"]
    # the original pages are all kept, this hub's own is appended
    assert got["mainEntityOfPage"][:-1] == sorted(record["mainEntityOfPage"], key=lambda p: p["id"])
    added = got["mainEntityOfPage"][-1]
    assert added == context.new_record()["mainEntityOfPage"][0]
    assert added["metadataFormat"] == "eduhub" and added["dateModified"] == "2025-03-04T05:06:07Z"

    new_graph = graph(got)
    page = ox.NamedNode(added["id"])
    page_triples = {t for t in new_graph if t.subject == page}
    link = ox.Triple(ox.NamedNode(got["id"]), ox.NamedNode(SCHEMA + "mainEntityOfPage"), page)
    assert len(page_triples) == 5 and link in new_graph  # type, provider, date, identifier, format; and the link
    rest = renamed_back(new_graph - page_triples - {link}, got["id"], record["id"])
    assert rest == graph(record)


def test_native_is_found_by_namespace_and_prefix_and_ranks_first() -> None:
    assert crosswalks.for_prefix("eduhub").name == "eduhub"
    assert crosswalks.for_namespace(EDUHUB_NATIVE).name == "eduhub"
    assert crosswalks.known()[0].name == "eduhub"
    assert all(c.richness < NativeCrosswalk.richness for c in crosswalks.known() if c.name != "eduhub")


def test_coverage_report_counts_every_value_as_mapped(tmp_path: Path) -> None:
    """The crosswalk-report reads a native page: nothing dropped, nothing unexplained."""
    page = tmp_path / "native_page.xml"
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI})
    etree.SubElement(root, f"{{{OAI}}}responseDate").text = "2025-01-01T00:00:00Z"
    etree.SubElement(
        root, f"{{{OAI}}}request", verb="ListRecords", metadataPrefix="eduhub"
    ).text = "https://hub.example/oai"
    listing = etree.SubElement(root, f"{{{OAI}}}ListRecords")
    for n, (_, record) in enumerate(GOLDEN_RECORDS[:5]):
        item = etree.SubElement(listing, f"{{{OAI}}}record")
        header = etree.SubElement(item, f"{{{OAI}}}header")
        etree.SubElement(header, f"{{{OAI}}}identifier").text = f"oai:hub.example:{n}"
        etree.SubElement(header, f"{{{OAI}}}datestamp").text = "2025-01-01"
        etree.SubElement(item, f"{{{OAI}}}metadata").append(write_native(record))
    page.write_bytes(etree.tostring(root))
    report = coverage.build(coverage.items_from_file(page)).to_json()
    assert report["records"] == 5 and report["crosswalks"] == {"eduhub": 5}, report
    assert report["unexplained_drops"] == 0 and report["mapped_share"] == 1.0
    assert {p["path"].split("/")[1] for p in report["paths"]} == {"rdf"}


# ---------------------------------------------------------------------- (d) bad payloads


def native_document(rdf: str, about: str = "http://h.example/r") -> str:
    return (
        f'<e:record xmlns:e="{EDUHUB_NATIVE}" about="{about}"><rdf:RDF xmlns:rdf="{RDF_NS}" '
        f'xmlns:schema="{SCHEMA}">{rdf}</rdf:RDF></e:record>'
    )


def valid_graph_xml(about: str = "http://h.example/r", extra: str = "") -> str:
    return (
        f'<schema:LearningResource rdf:about="{about}"><schema:name>T</schema:name>{extra}'
        '<schema:mainEntityOfPage><schema:WebContent rdf:about="http://src.example/p">'
        '<schema:provider rdf:resource="http://h.example/sources/s"/>'
        f'<oaiIdentifier xmlns="{HUB}">x</oaiIdentifier><metadataFormat xmlns="{HUB}">lom</metadataFormat>'
        "</schema:WebContent></schema:mainEntityOfPage></schema:LearningResource>"
    )


def test_the_valid_base_payload_reads() -> None:
    record = NativeCrosswalk().to_record(etree.fromstring(native_document(valid_graph_xml())), other_hub())
    assert record["name"] == {"@none": "T"}
    assert record["mainEntityOfPage"][0]["provider"] == {"id": "http://h.example/sources/s", "name": "s"}


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (native_document(valid_graph_xml()).replace(' about="http://h.example/r"', "", 1), "no about attribute"),
        (native_document(valid_graph_xml()).replace('about="http://h.example/r"', 'about=" "', 1), "no about"),
        (
            f'<e:record xmlns:e="{EDUHUB_NATIVE}" about="http://h.example/r"/>',
            "exactly one rdf:RDF element, it holds nothing",
        ),
        (
            f'<e:record xmlns:e="{EDUHUB_NATIVE}" about="http://h.example/r"><x:graph xmlns:x="urn:x"/></e:record>',
            "exactly one rdf:RDF",
        ),
        (
            native_document(valid_graph_xml()).replace("</e:record>", f'<rdf:RDF xmlns:rdf="{RDF_NS}"/></e:record>'),
            "exactly one",
        ),
        (f'<oai_dc:dc xmlns:oai_dc="{OAI}oai_dc/"/>', "must be <eduhub:record>"),
        (native_document('<schema:LearningResource rdf:about="relative/iri"/>'), "does not parse"),
        (
            native_document('<rdf:Description rdf:about="http://h.example/r" rdf:resource="x" rdf:parseType="Bogus"/>'),
            "does not parse",
        ),
        (
            native_document(valid_graph_xml(extra='<title xmlns="http://purl.org/dc/terms/">T</title>')),
            "not a hub record graph",
        ),
        (
            native_document(valid_graph_xml(extra="<schema:creator><schema:Person/></schema:creator>")),
            "not a hub record graph",
        ),
        (native_document(valid_graph_xml(about="http://h.example/other")), "no triple has the record"),
        (native_document(valid_graph_xml().replace("<schema:name>T</schema:name>", "")), "not a valid hub record"),
    ],
)
def test_bad_payloads_raise_crosswalk_error(document: str, reason: str) -> None:
    payload = etree.fromstring(document)
    with pytest.raises(CrosswalkError, match=reason):
        NativeCrosswalk().to_record(payload, other_hub())


# ---------------------------------------------------------------------- (e) hostile XML


HOSTILE_PAGE = """<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [
  <!ENTITY secret SYSTEM "file://{path}">
  <!ENTITY lol "lollollollollollollollollollol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01T00:00:00Z</responseDate>
<ListRecords><record><header><identifier>oai:x:1</identifier><datestamp>2024-01-01</datestamp></header>
<metadata>{payload}</metadata></record></ListRecords></OAI-PMH>"""


def test_entities_in_the_payload_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    graph_xml = valid_graph_xml().replace("<schema:name>T", "<schema:name>Title &secret; &lol2;")
    page = parse_page(HOSTILE_PAGE.format(path=secret, payload=native_document(graph_xml)).encode(), 1)
    [record] = page.records
    assert record.error is None
    assert "TOP-SECRET-CONTENT" not in record.raw and "lollol" not in record.raw
    with pytest.raises(CrosswalkError, match="entity reference &secret;") as error:
        crosswalks.for_payload(record.payload, "eduhub").to_record(record.payload, other_hub())
    assert "TOP-SECRET" not in str(error.value)


def test_an_external_entity_in_an_attribute_makes_the_record_unreadable(tmp_path: Path) -> None:
    """XML forbids external entities in attribute values: the record is quarantined, nothing is read."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    graph_xml = valid_graph_xml(extra='<schema:url rdf:resource="http://h.example/&secret;"/>')
    page = parse_page(HOSTILE_PAGE.format(path=secret, payload=native_document(graph_xml)).encode(), 1)
    [record] = page.records
    assert record.payload is None and "entity" in (record.error or "").lower()
    assert "TOP-SECRET-CONTENT" not in record.raw


def test_a_doctype_in_a_standalone_payload_is_not_followed(tmp_path: Path) -> None:
    """The same through the hardened parser alone (harvesters/xml.py), the way the crosswalk-report reads files."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    document = (
        f'<?xml version="1.0"?>\n<!DOCTYPE e:record [<!ENTITY secret SYSTEM "file://{secret}">]>\n'
        + native_document(valid_graph_xml().replace("<schema:name>T", "<schema:name>T &secret;"))
    )
    payload = xml.parse(document.encode())
    assert b"TOP-SECRET" not in etree.tostring(payload)
    with pytest.raises(CrosswalkError, match="entity reference"):
        NativeCrosswalk().to_record(payload, other_hub())
