"""Golden files: every real record the tests use → the hub record the crosswalks make of it.

One golden file per input file, in tests/fixtures/golden/, holding each record's hub JSON-LD
(the hub record under the hub's JSON-LD context). A crosswalk change that alters any field of
any real record fails here until the golden files are regenerated and the diff reviewed:

    python -m tests.test_golden --update     # then: git diff tests/fixtures/golden/

Records are made with a fixed context (base https://hub.example, source "golden"), so the
files do not depend on where the tests run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exchange import crosswalks
from exchange.crosswalks import RecordContext
from exchange.crosswalks.jsonld_source import read_jsonld
from exchange.model import validate
from tests.realdata import REAL, lom_file_payloads, oai_payloads

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"
HUB_CONTEXT = "https://w3id.org/eduhub/context.jsonld"

#: Input files, relative to tests/fixtures/: the real LOM records, the LOM, DC and DataCite pages,
#: and the LRMI/AMB documents (the AMB examples are the specification's, covered by test_lrmi).
INPUTS = sorted(
    [
        *(p for p in (REAL / "lom").glob("*.xml") if not p.name.startswith("hs-oer-lom_de_fragment_")),
        *(REAL / "oai-pmh").glob("*.xml"),
        *(REAL / "oai_dc").glob("*.xml"),
        *(p for p in (FIXTURES / "dc").glob("*.xml") if not p.name.startswith("synthetic_")),
        *(p for p in (FIXTURES / "lrmi").iterdir() if p.suffix in (".jsonld", ".json", ".html")),
    ]
)


def context(identifier: str, prefix: str) -> RecordContext:
    return RecordContext(
        base="https://hub.example",
        source="golden",
        oai_identifier=identifier,
        datestamp=None,
        metadata_prefix=prefix,
        source_record_url=f"https://source.example/oai?verb=GetRecord&identifier={identifier}",
    )


def payloads(path: Path) -> Iterator[tuple[str, Any, str]]:
    """(identifier, payload, metadataPrefix) of every record in an input file."""
    if path.parent.name == "lrmi":
        for number, document in enumerate(read_jsonld(path), start=1):
            yield f"#{number}", document, "lrmi"
        return
    if path.parent.name == "lom":
        for case, payload in lom_file_payloads(path):
            yield case.split("#", 1)[1] if "#" in case else "#1", payload, "lom"
        return
    for case, payload in oai_payloads(path):
        yield case.split("#", 1)[1], payload, ""


def crosswalk_file(path: Path) -> dict[str, Any]:
    records: dict[str, Any] = {}
    for identifier, payload, prefix in payloads(path):
        crosswalk = crosswalks.for_payload(payload, prefix)
        try:
            record = validate(crosswalk.to_record(payload, context(identifier, prefix or crosswalk.name)))
        except crosswalks.CrosswalkError as error:
            records[identifier] = {"crosswalk": crosswalk.name, "error": str(error)}
            continue
        records[identifier] = {"crosswalk": crosswalk.name, "record": {"@context": HUB_CONTEXT, **record}}
    return {"input": str(path.relative_to(FIXTURES)), "records": records}


def golden_path(path: Path) -> Path:
    return GOLDEN / (str(path.relative_to(FIXTURES)).replace("/", "__") + ".json")


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_crosswalk_output_matches_the_golden_file(path: Path) -> None:
    expected = golden_path(path)
    assert expected.exists(), f"no golden file for {path.name}: run python -m tests.test_golden --update"
    actual = crosswalk_file(path)
    golden = json.loads(expected.read_text(encoding="utf-8"))
    assert actual["records"].keys() == golden["records"].keys()
    for identifier, result in actual["records"].items():
        # field by field, so a failure names the field
        want = golden["records"][identifier]
        assert result.get("crosswalk") == want.get("crosswalk"), identifier
        assert result.get("error") == want.get("error"), identifier
        got_record, want_record = result.get("record", {}), want.get("record", {})
        for field in sorted(got_record.keys() | want_record.keys()):
            assert got_record.get(field) == want_record.get(field), f"{identifier}: {field}"


def test_every_golden_file_has_an_input() -> None:
    expected = {golden_path(path).name for path in INPUTS}
    assert {p.name for p in GOLDEN.glob("*.json")} == expected


def test_golden_records_without_errors_are_most() -> None:
    """A crosswalk that starts refusing real records shows here, not only as changed golden files."""
    refused = [
        (path.name, identifier)
        for path in INPUTS
        for identifier, result in json.loads(golden_path(path).read_text(encoding="utf-8"))["records"].items()
        if "error" in result
    ]
    assert len(refused) <= 5, refused


def test_golden_records_are_json_ld_under_the_hub_context() -> None:
    """The hub context (schemas/hub-context.jsonld) makes a record JSON-LD with schema.org/SKOS terms;
    expanded offline (no context is fetched), language maps and concept links come out as they should."""
    from pyld import jsonld

    from exchange.resources import schema_path

    local = json.loads(schema_path("hub-context.jsonld").read_text(encoding="utf-8"))

    def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url != HUB_CONTEXT:
            raise jsonld.JsonLdError(f"refusing to fetch {url}", "loading remote context failed")
        return {"contextUrl": None, "documentUrl": url, "document": local}

    golden = json.loads(golden_path(REAL / "lom" / "lomfr_canal-u_67.xml").read_text(encoding="utf-8"))
    record = next(iter(golden["records"].values()))["record"]
    [node] = [n for n in jsonld.expand(record, {"documentLoader": loader}) if n["@id"] == record["id"]]
    assert node["@type"] == ["http://schema.org/LearningResource"]
    names = node["http://schema.org/name"]
    assert {(n.get("@language"), n["@value"]) for n in names} == {
        (None if lang == "@none" else lang, text) for lang, text in record["name"].items()
    }
    types = node["http://schema.org/learningResourceType"]
    assert [t.get("@id") for t in types] == [c.get("id") for c in record["learningResourceType"]]


def update() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for stale in GOLDEN.glob("*.json"):
        stale.unlink()
    for path in INPUTS:
        golden_path(path).write_text(render(crosswalk_file(path)), encoding="utf-8")
    print(f"wrote {len(INPUTS)} golden files to {GOLDEN}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.test_golden --update")
    update()
