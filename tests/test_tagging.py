"""The tagging engine (exchange/tagging.py): rules as data, run set-at-a-time inside harvests and by
`eduhub retag`, explained by the assessments endpoint. The shipped rules are tested in test_rules.py;
here a rule written in the test (SYNTHETIC, a data file) drives the engine."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from exchange import reports, tagging
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.model import record_iri
from exchange.pipeline import harvest
from tests.conftest import BASE, LiveServer
from tests.test_cli import EDUHUB

KEYWORDS_RULE = """# rule: test-has-keywords
# label: Has keywords
# definition: The record gives at least one keyword; the score is how many.
# scope: record
PREFIX schema: <http://schema.org/>
SELECT ?record ?result ?score ?evidence WHERE {
  { SELECT ?record (COUNT(?keyword) AS ?n) WHERE {
      GRAPH ?record { ?record a schema:LearningResource ; schema:keywords ?keyword } } GROUP BY ?record }
  BIND(<https://w3id.org/eduhub/vocab/tags/test/has-keywords> AS ?result)
  BIND(?n AS ?score)
  BIND(CONCAT(STR(?n), " keywords") AS ?evidence)
}
"""
TAG = "https://w3id.org/eduhub/vocab/tags/test/has-keywords"
NOW = tagging.timestamp(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))


def write_rule(folder: Path, text: str = KEYWORDS_RULE, name: str = "test-has-keywords.rq") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def assessed(hub: Hub, source: str) -> dict[str, list[str]]:
    graph = tagging.assessments_graph(BASE, source)
    rows = hub.store.select(
        f"SELECT ?r ?t WHERE {{ GRAPH <{graph}> {{ ?r <{tagging.HUB}assessment> ?a . ?a <{tagging.HUB}result> ?t }} }}"
    )
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["r"], []).append(row["t"])
    return out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT ?record ?result WHERE { }", "header lacks definition, label, rule, scope"),
        (KEYWORDS_RULE.replace("scope: record", "scope: page"), "scope must be one of record, source"),
        (KEYWORDS_RULE.replace("test-has-keywords", "Has Keywords"), "must be lower-case"),
        (KEYWORDS_RULE.replace("?record", "?r"), r"must bind \?record"),
        (KEYWORDS_RULE.replace("SELECT ?record ?result ?score ?evidence WHERE", "ASK"), "one SELECT"),
    ],
)
def test_a_rule_file_that_breaks_the_contract_is_refused_with_its_path(tmp_path: Path, text: str, message: str) -> None:
    path = write_rule(tmp_path, text)
    with pytest.raises(tagging.RuleError, match=message) as error:
        tagging.read_rule(path)
    assert str(path) in str(error.value)


def test_unknown_parameter_is_named(tmp_path: Path) -> None:
    broken = tagging.read_rule(
        write_rule(tmp_path, KEYWORDS_RULE.replace("BIND(?n AS ?score)", "BIND({{nope}} AS ?score)"))
    )
    with pytest.raises(tagging.RuleError, match=r"unknown parameter \{\{nope\}\}"):
        tagging.insert_operation(broken, "http://g", now=NOW, parameters={})


def test_rules_run_set_at_a_time_and_explain_themselves(hub: Hub, replay: ReplayServer, tmp_path: Path) -> None:
    hub.state.add_source("edurep", replay.url("edurep"), None, None)
    summary = harvest(hub, "edurep", tag=False)
    assert summary.status == "ok" and assessed(hub, "edurep") == {}  # --no-tag: nothing assessed yet
    rule = tagging.read_rule(write_rule(tmp_path))
    prefix = record_iri(BASE, "edurep", "")
    hub.store.update(tagging.source_operations(BASE, "edurep", prefix, rules=[rule], parameters={}, now=NOW))
    tags = assessed(hub, "edurep")
    records = hub.store.graphs(prefix)
    with_keywords = {
        r["r"]
        for r in hub.store.select(
            "SELECT DISTINCT ?r WHERE { GRAPH ?r { ?r <http://schema.org/keywords> ?k } "
            f'FILTER(STRSTARTS(STR(?r), "{prefix}")) }}'
        )
    }
    assert with_keywords and set(tags) == with_keywords <= set(records)
    assert all(found == [TAG] for found in tags.values())  # one assessment per (record, result)

    record = sorted(with_keywords)[0]
    explained = reports.assessments(hub.store, BASE, record)
    [item] = explained["assessments"]
    assert item["tag"]["id"] == TAG and item["rule"]["id"] == tagging.RULES + "test-has-keywords"
    assert item["rule"]["definition"] is None  # a rule passed in, not one in force: no definition to show
    assert item["score"] >= 1 and item["evidence"] == f"{int(item['score'])} keywords"
    assert item["created"] == "2026-11-28T12:00:00Z"

    # retagging replaces, never accumulates
    hub.store.update(tagging.source_operations(BASE, "edurep", prefix, rules=[rule], parameters={}, now=NOW))
    assert assessed(hub, "edurep") == tags


def test_a_page_is_tagged_in_its_own_update_and_deletions_take_their_tags(
    hub: Hub, replay: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(tagging.RULES_ENV, str(tmp_path / "rules"))
    write_rule(tmp_path / "rules")
    hub.state.add_source("edurep", replay.url("edurep"), None, None)
    assert harvest(hub, "edurep").status == "ok"
    before = assessed(hub, "edurep")
    records = set(hub.store.graphs(record_iri(BASE, "edurep", "")))
    assert set(before) == records  # every record is assessed (the shipped rules give each a tier)
    assert any(TAG in found for found in before.values())  # and the rule from the data file ran
    # the incremental run gets the recorded delta, which deletes records: their assessments go with them
    summary = harvest(hub, "edurep")
    assert summary.deleted >= 1
    after = assessed(hub, "edurep")
    gone = set(before) - set(hub.store.graphs(record_iri(BASE, "edurep", "")))
    assert gone and not gone & set(after)


def eduhub_with_rules(*args: str, data: Path, rules: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "EDUHUB_DATA": str(data), "EDUHUB_BASE": BASE, tagging.RULES_ENV: str(rules)}
    result = subprocess.run([EDUHUB, *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_a_rule_added_as_a_data_file_is_picked_up_by_retag(tmp_path: Path, replay: ReplayServer) -> None:
    data, rules = tmp_path / "hub", tmp_path / "rules"
    rules.mkdir()
    eduhub_with_rules("sources", "add", "edurep", replay.url("edurep"), data=data, rules=rules)
    eduhub_with_rules("harvest", "edurep", data=data, rules=rules)
    before = json.loads(eduhub_with_rules("report", "edurep", "--json", data=data, rules=rules).stdout)
    assert "has-keywords" not in json.dumps(before)

    write_rule(rules)  # no code changes: a file
    [result] = json.loads(eduhub_with_rules("retag", "--source", "edurep", "--json", data=data, rules=rules).stdout)
    assert result["source"] == "edurep" and result["records"] > 0 and result["seconds"] >= 0
    report = json.loads(eduhub_with_rules("report", "edurep", "--json", data=data, rules=rules).stdout)
    assert report["records"] == result["records"]
    assert report["tagged_records"] >= 1

    unknown = eduhub_with_rules("report", "nowhere", data=data, rules=rules, check=False)
    assert unknown.returncode == 1 and "nowhere" in unknown.stderr


def test_assessments_endpoint_and_source_report(hub: Hub, replay: ReplayServer, tmp_path: Path) -> None:
    hub.state.add_source("edurep", replay.url("edurep"), None, None)
    harvest(hub, "edurep", tag=False)
    rule = tagging.read_rule(write_rule(tmp_path))
    prefix = record_iri(BASE, "edurep", "")
    hub.store.update(tagging.source_operations(BASE, "edurep", prefix, rules=[rule], parameters={}, now=NOW))
    record = sorted(assessed(hub, "edurep"))[0]
    path = record.removeprefix(f"{BASE}/resources/")
    with LiveServer(hub) as live:
        answer = httpx.get(f"{live.url}/api/resources/{path}/assessments")
        assert answer.status_code == 200
        body = answer.json()
        assert body["record"] == record and body["assessments"][0]["tag"]["id"] == TAG
        assert body["assessments"][0]["explanation"].endswith("keywords")
        missing = httpx.get(f"{live.url}/api/resources/edurep/nope/assessments")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not-found"
        report = httpx.get(f"{live.url}/api/sources/edurep/report")
        assert report.status_code == 200 and report.json()["records"] == len(hub.store.graphs(prefix))
        nowhere = httpx.get(f"{live.url}/api/sources/nowhere/report")
        assert nowhere.status_code == 404 and nowhere.json()["error"]["status"] == 404


def readme_query(marker: str) -> str:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    after = readme.split(f"<!-- readme: {marker} -->", 1)[1]
    return after.split("```sparql", 1)[1].split("```", 1)[0]


def test_the_readme_tag_query_finds_a_captioned_swedish_video(hub: Hub) -> None:
    """SYNTHETIC record (no real record is a captioned Swedish video): the shipped rules tag it as the
    README's example query expects, inside the page's own update."""
    from exchange.model import to_ntriples, validate
    from exchange.store.base import GraphWrite

    record = validate(
        {
            "id": record_iri(BASE, "synthetic", "video-1"),
            "type": ["LearningResource"],
            "name": {"sv": "Fotosyntes förklarad"},
            "description": {"sv": "En kort video om fotosyntes för gymnasiet, med undertexter."},
            "inLanguage": ["sv"],
            "url": "https://example.org/fotosyntes",
            "license": {"id": "https://creativecommons.org/licenses/by/4.0/"},
            "learningResourceType": [{"type": "Concept", "id": "https://w3id.org/kim/hcrt/video"}],
            "educationalLevel": [{"type": "Concept", "id": "https://w3id.org/kim/educationalLevel/level_3"}],
            "about": [{"type": "Concept", "id": "https://w3id.org/eduhub/vocab/isced-f/051"}],
            "audience": [{"type": "Concept", "id": "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/student"}],
            "encodingFormat": ["video/mp4"],
            "accessibilityFeature": [
                {"type": "Concept", "id": "http://purl.org/dcx/lrmi-vocabs/accessibilityFeature/captions"}
            ],
            "mainEntityOfPage": [
                {
                    "id": "https://example.org/oai?verb=GetRecord&identifier=video-1",
                    "type": "WebContent",
                    "provider": {"id": f"{BASE}/sources/synthetic", "name": "synthetic"},
                    "oaiIdentifier": "video-1",
                    "metadataFormat": "lrmi",
                }
            ],
        }
    )
    graph = record["id"]
    hub.store.write_page(
        [GraphWrite(graph, to_ntriples(record))], then=tagging.page_operations(BASE, "synthetic", [graph], [])
    )
    rows = hub.store.select(readme_query("tag-query"))
    assert [(r["resource"], r["title"]) for r in rows] == [(graph, "Fotosyntes förklarad")]
