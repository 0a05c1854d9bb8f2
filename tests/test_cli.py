"""The `eduhub` command, run as a user runs it: a subprocess against real loopback servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from exchange.demo.replay import ReplayServer
from tests.conftest import free_port, sparql_count

EDUHUB = str(Path(sys.executable).parent / "eduhub")


def eduhub(*args: str, data: Path, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "EDUHUB_DATA": str(data), "EDUHUB_BASE": "http://hub.test"}
    result = subprocess.run([EDUHUB, *args], capture_output=True, text=True, env=env, input=stdin, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_help_documents_every_command(tmp_path: Path) -> None:
    out = eduhub("--help", data=tmp_path).stdout
    for command in ("sources", "harvest", "quarantine", "raw", "crosswalk-report", "query", "serve", "demo"):
        assert command in out
    assert "--metadata-prefix" in eduhub("sources", "add", "--help", data=tmp_path).stdout
    harvest_help = eduhub("harvest", "--help", data=tmp_path).stdout
    assert "--full" in harvest_help and "--json" in harvest_help and "--all" in harvest_help


def test_sources_add_list_remove(tmp_path: Path, replay: ReplayServer) -> None:
    eduhub("sources", "add", "edurep", replay.url("edurep"), "--set", "surf", data=tmp_path)
    listed = json.loads(eduhub("sources", "list", "--json", data=tmp_path).stdout)
    assert [(s["name"], s["base_url"], s["set_spec"]) for s in listed] == [("edurep", replay.url("edurep"), "surf")]
    duplicate = eduhub("sources", "add", "edurep", replay.url("edurep"), data=tmp_path, check=False)
    assert duplicate.returncode == 1 and "exists already" in duplicate.stderr
    bad = eduhub("sources", "add", "bad name", "http://x", data=tmp_path, check=False)
    assert bad.returncode == 1 and "source name" in bad.stderr
    eduhub("harvest", "edurep", data=tmp_path)
    identifier = "surfsharekit:oai:surfsharekit.nl:b500d389-2fda-4696-ae51-9cd0603a48af"
    assert "COOC (Community of Open Online Course)" in eduhub("raw", "edurep", identifier, data=tmp_path).stdout
    removed = eduhub("sources", "remove", "edurep", data=tmp_path)
    assert "11 records" in removed.stdout
    assert json.loads(eduhub("sources", "list", "--json", data=tmp_path).stdout) == []
    eduhub("sources", "add", "edurep", replay.url("edurep"), data=tmp_path)
    gone = eduhub("raw", "edurep", identifier, data=tmp_path, check=False)
    assert gone.returncode == 1 and "no stored record" in gone.stderr
    count = eduhub(
        "query",
        "SELECT (COUNT(?r) AS ?n) WHERE { ?r a <http://schema.org/LearningResource> }",
        "--format",
        "csv",
        data=tmp_path,
    )
    assert count.stdout.split() == ["n", "0"]


def test_harvest_json_summary_progress_and_exit_codes(tmp_path: Path, replay: ReplayServer) -> None:
    eduhub("sources", "add", "edurep", replay.url("edurep"), data=tmp_path)
    eduhub("sources", "add", "zenodo-bad", replay.url("zenodo-422"), "--metadata-prefix", "XXX", data=tmp_path)
    ok = eduhub("harvest", "edurep", "--json", data=tmp_path)
    [summary] = json.loads(ok.stdout)
    assert {k: summary[k] for k in ("source", "status", "added", "updated", "deleted", "quarantined", "pages")} == {
        "source": "edurep",
        "status": "ok",
        "added": 11,
        "updated": 0,
        "deleted": 0,
        "quarantined": 0,
        "pages": 2,
    }
    assert isinstance(summary["seconds"], float)
    assert "[edurep] page 2" in ok.stderr  # progress on stderr, JSON alone on stdout

    both = eduhub("harvest", "--all", "--json", data=tmp_path, check=False)
    assert both.returncode == 1
    summaries = {s["source"]: s for s in json.loads(both.stdout)}
    assert summaries["edurep"]["mode"] == "incremental" and summaries["edurep"]["status"] == "ok"
    assert summaries["zenodo-bad"]["status"] == "failed"
    assert "zenodo-bad could not be harvested" in both.stderr and "badArgument" in both.stderr

    table = eduhub("harvest", "edurep", "--full", data=tmp_path).stdout
    assert table.splitlines()[0].split() == [
        "source",
        "status",
        "mode",
        "prefix",
        "added",
        "updated",
        "deleted",
        "quarantined",
        "pages",
        "seconds",
    ]


def test_harvest_usage_errors(tmp_path: Path) -> None:
    nothing = eduhub("harvest", data=tmp_path, check=False)
    assert nothing.returncode == 2 and "--all" in nothing.stderr
    unknown = eduhub("harvest", "nope", data=tmp_path, check=False)
    assert unknown.returncode == 1 and "no source named 'nope'" in unknown.stderr


def test_quarantine_listing(tmp_path: Path, replay: ReplayServer) -> None:
    eduhub("sources", "add", "broken", replay.url("malformed-record"), data=tmp_path)
    eduhub("harvest", "broken", data=tmp_path)
    [item] = json.loads(eduhub("quarantine", "--json", data=tmp_path).stdout)
    assert item["stage"] == "parse" and "bogus" in item["reason"]
    assert "bogus" in eduhub("quarantine", "broken", data=tmp_path).stdout


def test_query_formats_and_errors(tmp_path: Path, replay: ReplayServer) -> None:
    eduhub("sources", "add", "tudelft", replay.url("tudelft"), data=tmp_path)
    eduhub("harvest", "tudelft", data=tmp_path)
    query = "SELECT (COUNT(?r) AS ?n) WHERE { ?r a <http://schema.org/LearningResource> }"
    assert json.loads(eduhub("query", query, data=tmp_path).stdout)["results"]["bindings"][0]["n"]["value"] == "6"
    assert eduhub("query", query, "--format", "tsv", data=tmp_path).stdout.split() == ["?n", "6"]
    assert "<sparql" in eduhub("query", query, "--format", "xml", data=tmp_path).stdout
    assert eduhub("query", "-", "--format", "csv", data=tmp_path, stdin=query).stdout.split() == ["n", "6"]
    turtle = eduhub("query", "CONSTRUCT WHERE { ?r a <http://schema.org/LearningResource> }", data=tmp_path).stdout
    assert turtle.count("LearningResource") == 6
    bad = eduhub("query", "SELECT nonsense", data=tmp_path, check=False)
    assert bad.returncode == 1 and "malformed query" in bad.stderr
    missing = eduhub("query", query, data=tmp_path / "nowhere", check=False)
    assert missing.returncode == 1 and "no hub data" in missing.stderr


def test_base_iri_is_fixed_when_the_data_folder_is_created(tmp_path: Path) -> None:
    eduhub("sources", "list", data=tmp_path)
    env = {**os.environ, "EDUHUB_DATA": str(tmp_path)}
    other = subprocess.run(
        [EDUHUB, "--base", "http://other.example", "sources", "list"], capture_output=True, text=True, env=env
    )
    assert other.returncode == 1 and "created with base IRI http://hub.test" in other.stderr


def test_demo_serves_exactly_the_live_records_of_its_feeds(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ)
    process = subprocess.Popen(
        [EDUHUB, "demo", "--port", str(port), "--data", str(tmp_path / "demo")],  # the demo ignores $EDUHUB_DATA
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "demo did not start serving"
            time.sleep(0.2)
        # the bundled feeds, read independently: Edurep 11 live + MIT 58 live
        assert sparql_count(url) == 69
        # a fresh demo folder takes the served address as its base: the links work
        identify = httpx.get(f"{url}/oai", params={"verb": "Identify"}).text
        assert f"<baseURL>{url}/oai</baseURL>" in identify
        rows = httpx.get(
            f"{url}/sparql",
            params={"query": "SELECT ?r WHERE { ?r a <http://schema.org/LearningResource> } LIMIT 1"},
            headers={"Accept": "application/sparql-results+json"},
        ).json()["results"]["bindings"]
        record = rows[0]["r"]["value"]
        assert record.startswith(f"{url}/resources/")
        assert httpx.get(record, headers={"Accept": "text/turtle"}).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    assert "69 learning resources" in out and f"{url}/sparql?query=" in out


@pytest.mark.parametrize("feed", ["edurep", "mit-ems"])
def test_demo_feed_counts_match_the_recordings(feed: str) -> None:
    from lxml import etree

    from exchange.demo.run import FEEDS

    live = set()
    for page in (FEEDS / feed).glob("*.xml"):
        for header in etree.parse(str(page)).getroot().iter("{http://www.openarchives.org/OAI/2.0/}header"):
            if header.get("status") != "deleted":
                live.add(header.findtext("{http://www.openarchives.org/OAI/2.0/}identifier").strip())
    assert len(live) == {"edurep": 11, "mit-ems": 58}[feed]
