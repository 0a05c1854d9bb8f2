"""The shipped rules against hand-labelled expectations for real records (issue 4's done-when).

tests/fixtures/tagging/expectations.json was written by hand from docs/tagging.md, before the
rules ran (README.md there). Each golden file (tests/fixtures/golden/, the hub records of the real
test records) is loaded as one source, tagged as a harvest tags (every page in its own update,
then the source-wide rules), at the labelled time, and every labelled record must carry exactly
the expected tags, with the expected scores.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from exchange import tagging
from exchange.hub import Hub
from exchange.model import record_iri, to_ntriples, validate
from exchange.store.base import GraphWrite
from tests.conftest import BASE

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTATIONS = json.loads((FIXTURES / "tagging" / "expectations.json").read_text(encoding="utf-8"))
NOW = tagging.timestamp(datetime.fromisoformat(EXPECTATIONS["time"].replace("Z", "+00:00")).astimezone(UTC))


def source_name(golden_file: str) -> str:
    """One source per golden file (duplicate titles are judged within a source)."""
    return re.sub(r"[^a-z0-9]+", "-", golden_file.removesuffix(".json").lower()).strip("-")[:60]


def load(hub: Hub, golden_file: str) -> dict[str, str]:
    """Write every record of a golden file as its own source's records; identifier → record IRI."""
    source = source_name(golden_file)
    golden = json.loads((FIXTURES / "golden" / golden_file).read_text(encoding="utf-8"))
    writes, iris = [], {}
    for identifier, result in golden["records"].items():
        if "record" not in result:
            continue
        record: dict[str, Any] = {k: v for k, v in result["record"].items() if k != "@context"}
        record["id"] = iris[identifier] = record_iri(BASE, source, quote(identifier, safe=""))
        writes.append(GraphWrite(record["id"], to_ntriples(validate(record))))
    hub.store.write_page(writes, then=tagging.page_operations(BASE, source, [w.graph for w in writes], [], now=NOW))
    prefix = record_iri(BASE, source, "")
    hub.store.update(tagging.source_operations(BASE, source, prefix, scopes=("source",), now=NOW))
    return iris


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, float | None]]:
    """(golden file, identifier) → {tag IRI: score} for every record of every labelled golden file."""
    from exchange.config import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("tagging") / "hub", base=BASE)
    out: dict[tuple[str, str], dict[str, float | None]] = {}
    with Hub.open(settings) as hub:
        for golden_file in sorted({r["golden"] for r in EXPECTATIONS["records"]}):
            for identifier, iri in load(hub, golden_file).items():
                graph = tagging.assessments_graph(BASE, source_name(golden_file))
                rows = hub.store.select(
                    f"SELECT ?tag ?score WHERE {{ GRAPH <{graph}> {{ <{iri}> <{tagging.HUB}assessment> ?a . "
                    f"?a <{tagging.HUB}result> ?tag OPTIONAL {{ ?a <{tagging.HUB}score> ?score }} }} }}"
                )
                out[(golden_file, identifier)] = {r["tag"]: float(r["score"]) if "score" in r else None for r in rows}
    return out


def test_enough_records_from_several_formats_and_countries() -> None:
    records = EXPECTATIONS["records"]
    assert len(records) >= 15
    assert len({r["country"] for r in records}) >= 6 and len({r["crosswalk"] for r in records}) >= 6


@pytest.mark.parametrize(
    "expected", EXPECTATIONS["records"], ids=lambda r: f"{r['golden'].removesuffix('.json')}#{r['identifier']}"
)
def test_record_gets_exactly_the_labelled_tags(
    tagged: dict[tuple[str, str], dict[str, float | None]], expected: dict[str, Any]
) -> None:
    got = tagged[(expected["golden"], expected["identifier"])]
    missing = sorted(set(expected["tags"]) - set(got))
    unexpected = sorted(set(got) - set(expected["tags"]))
    reasons = {tag: expected["reasoning"].get(tag, "") for tag in missing}
    assert not missing and not unexpected, f"missing {reasons}, unexpected {unexpected}"
    assert not set(expected.get("not", [])) & set(got)
    for tag, score in expected.get("scores", {}).items():
        assert got[tag] == pytest.approx(score, rel=1e-3, abs=0.006), tag
