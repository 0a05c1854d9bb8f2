"""The real records in tests/fixtures/real/ (PROVENANCE.md there), enumerated once for every test that
walks all of them: the LOM round trip (test_writers), the golden files (test_golden)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from harvesters.oaipmh import parse_page, read_record

REAL = Path(__file__).parent / "fixtures" / "real"
OAI = "http://www.openarchives.org/OAI/2.0/"
SRU_RESPONSE = "{http://www.loc.gov/zing/srw/}searchRetrieveResponse"

#: Files of real/lom/ that hold no LOM record, and why (everything else is round-tripped).
#: lom/lomch_dsb_api_description_example.json (LOM-CH in its JSON binding) is not copied: not XML.
NOT_RECORDS = {
    "hs-oer-lom_de_fragment_datetime.xml": "four sibling <datetime> elements: not well-formed, no <lom>",
    **{
        f"hs-oer-lom_de_fragment_{part}.xml": f"element-level example of the HS-OER-LOM documentation: only <{part}>"
        ", without namespace or title, so not a record as any repository publishes it"
        for part in ("classification", "educational", "general", "lifecycle", "metametadata", "rights", "technical")
    },
}


def parse(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False)).getroot()


def oai_payloads(path: Path) -> Iterator[tuple[str, etree._Element]]:
    """(case id, payload) of every live record of a recorded ListRecords or GetRecord response."""
    root = parse(path)
    if root.find(f"{{{OAI}}}GetRecord") is not None:
        records = [read_record(r) for r in root.iterfind(f"{{{OAI}}}GetRecord/{{{OAI}}}record")]
    else:
        records = parse_page(path.read_bytes(), 1).records
    for record in records:
        if record.payload is not None:
            yield f"{path.parent.name}/{path.name}#{record.identifier}", record.payload


def lom_file_payloads(path: Path) -> Iterator[tuple[str, etree._Element]]:
    """(case id, payload): the file's root, or each <lom> of an SRU response (Edurep's CZP records)."""
    root = parse(path)
    if root.tag != SRU_RESPONSE:
        yield f"lom/{path.name}", root
        return
    for number, lom in enumerate(root.iterfind(".//{*}recordData/{*}lom")):
        yield f"lom/{path.name}#{number}", lom


def lom_cases() -> dict[str, etree._Element]:
    cases: dict[str, etree._Element] = {}
    for path in sorted((REAL / "lom").glob("*.xml")):
        if path.name not in NOT_RECORDS:
            cases.update(lom_file_payloads(path))
    for path in sorted((REAL / "oai-pmh").glob("*.xml")):
        cases.update(oai_payloads(path))
    return cases


def oai_dc_cases() -> dict[str, etree._Element]:
    return {case: payload for path in sorted((REAL / "oai_dc").glob("*.xml")) for case, payload in oai_payloads(path)}
