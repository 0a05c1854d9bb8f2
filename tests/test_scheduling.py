"""Many sources at once, the schedule, triggered harvests and harvest runs as PROV activities.

Real loopback servers: the replay server of recorded real responses (with latency where a
test needs harvests to overlap), a socket that accepts and never answers (a hung server),
and the hub's own app under uvicorn.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from exchange import tokens
from exchange.cli import main
from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.state import Source
from harvesters.http import HostGate, RetryPolicy
from harvesters.scheduler import AlreadyRunning, Harvester, Scheduler, due, wait_idle
from tests.conftest import BASE, OAI_FEEDS, LiveServer

FEEDS = ["edurep", "tudelft", "zenodo"]
FAST = RetryPolicy(attempts=2, backoff=0.01, max_wait=1.0, timeout=0.5)


@pytest.fixture
def slow_replay() -> Iterator[ReplayServer]:
    """The recorded feeds, each answer 0.2 s late, as from a distant server."""
    with ReplayServer([OAI_FEEDS / name for name in FEEDS], latency=0.2) as server:
        yield server


@pytest.fixture
def hung_url() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/oai"


def stored(hub: Hub, source: str) -> int:
    rows = hub.store.select(
        f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?r a <http://schema.org/LearningResource> }} "
        f'FILTER(STRSTARTS(STR(?g), "{BASE}/resources/{source}/")) }}'
    )
    return int(rows[0]["n"])


# ---------------------------------------------------------------------- many sources at once


def test_sources_on_one_host_are_harvested_one_request_at_a_time(hub: Hub, slow_replay: ReplayServer) -> None:
    for name in FEEDS:
        hub.state.add_source(name, slow_replay.url(name), "oai_dc" if name == "zenodo" else None)
    harvester = Harvester(hub, concurrency=3, gate=HostGate(per_host=1), policy=FAST)
    summaries = harvester.run(FEEDS)
    harvester.close()
    assert [s.status for s in summaries] == ["ok", "ok", "ok"], [s.error for s in summaries]
    assert slow_replay.max_in_flight == 1  # three sources, one server: never two requests at once
    assert all(stored(hub, name) == s.added > 0 for name, s in zip(FEEDS, summaries, strict=True))


def test_sources_on_different_hosts_are_harvested_in_parallel(hub: Hub) -> None:
    with (
        ReplayServer([OAI_FEEDS / "edurep"], latency=0.2) as one,
        ReplayServer([OAI_FEEDS / "zenodo"], latency=0.2) as two,
    ):
        hub.state.add_source("edurep", one.url("edurep"))
        hub.state.add_source("zenodo", two.url("zenodo"), "oai_dc")  # the feed records oai_dc only
        seen: list[tuple[str, float]] = []
        lock = threading.Lock()

        def progress(summary, page) -> None:  # type: ignore[no-untyped-def]
            with lock:
                seen.append((summary.source, time.monotonic()))

        harvester = Harvester(hub, concurrency=2, policy=FAST, progress=progress)
        summaries = harvester.run(["edurep", "zenodo"])
        harvester.close()
    assert [s.status for s in summaries] == ["ok", "ok"]
    order = [source for source, _ in sorted(seen, key=lambda item: item[1])]
    # pages of the two sources interleave: the second source did not wait for the first to end
    assert order != sorted(order) and order != sorted(order, reverse=True), order


def test_a_hung_server_ends_its_own_run_and_holds_up_no_one(hub: Hub, hung_url: str, slow_replay: ReplayServer) -> None:
    hub.state.add_source("hung", hung_url)
    hub.state.add_source("edurep", slow_replay.url("edurep"))
    harvester = Harvester(hub, concurrency=2, policy=FAST)
    hung, fine = harvester.run(["hung", "edurep"])
    harvester.close()
    assert fine.status == "ok" and stored(hub, "edurep") == fine.added > 0
    assert hung.status == "failed"
    assert "Identify" in hung.error and "timed out" in hung.error and "2 tries" in hung.error
    assert hub.state.source("hung").last_status.startswith("failed")


def test_a_second_harvest_of_a_running_source_is_refused(hub: Hub, slow_replay: ReplayServer) -> None:
    hub.state.add_source("edurep", slow_replay.url("edurep"))
    harvester = Harvester(hub, concurrency=2, policy=FAST)
    first = harvester.submit("edurep")
    with pytest.raises(AlreadyRunning):
        harvester.submit("edurep")
    assert first.result().status == "ok"
    assert harvester.submit("edurep").result().status == "ok"  # free again once the first ended
    harvester.close()


def test_stopping_the_pool_interrupts_runs_after_their_page(hub: Hub, slow_replay: ReplayServer) -> None:
    hub.state.add_source("edurep", slow_replay.url("edurep"))  # two pages
    started = threading.Event()

    def progress(summary, page) -> None:  # type: ignore[no-untyped-def]
        started.set()
        harvester.stopping.wait(10)  # the page is in; hold the run here until the pool is closed

    harvester = Harvester(hub, concurrency=1, policy=FAST, progress=progress)
    future = harvester.submit("edurep")
    assert started.wait(10)
    harvester.close(wait=False)
    summary = future.result()
    assert summary.status == "interrupted" and summary.pages == 1
    assert hub.state.source("edurep").next_from is None  # the next run is full again
    assert hub.state.runs("edurep")[0]["status"] == "interrupted"


# ---------------------------------------------------------------------- the schedule


def source(name: str, **fields: object) -> Source:
    if fields.get("last_status") == "ok":
        fields.setdefault("next_from", "2026-11-01")  # harvested: the next run would be incremental
    return Source(name=name, base_url="http://127.0.0.1:9/oai", **fields)  # type: ignore[arg-type]


NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def stamp(delta: timedelta) -> str:
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_due_follows_each_sources_interval() -> None:
    sources = [
        source("new"),
        source("fresh", last_run_at=stamp(timedelta(hours=1)), last_status="ok", deleted_record="persistent"),
        source("stale", last_run_at=stamp(timedelta(hours=25)), last_status="ok", deleted_record="persistent"),
        source("hourly", harvest_interval=3600, last_run_at=stamp(timedelta(minutes=61)), last_status="ok"),
        source("off", harvest_interval=0),
        source("failed", last_run_at=stamp(timedelta(minutes=90)), last_status="failed: HTTP 500"),
    ]
    found = {d.source: d for d in due(sources, NOW)}
    assert set(found) == {"new", "stale", "hourly", "failed"}
    assert found["new"].reason == "never harvested" and not found["new"].full
    assert found["failed"].reason == "retry after failure"


def test_sources_that_forget_deletions_get_a_periodic_full_harvest() -> None:
    old = stamp(timedelta(days=8))
    sources = [
        source(
            "keeps",
            last_run_at=stamp(timedelta(days=2)),
            last_status="ok",
            last_full_at=old,
            deleted_record="persistent",
        ),
        source(
            "forgets", last_run_at=stamp(timedelta(days=2)), last_status="ok", last_full_at=old, deleted_record="no"
        ),
        source(
            "legacy", last_run_at=stamp(timedelta(days=2)), last_status="ok", deleted_record="no"
        ),  # before last_full_at
        source(
            "recent",
            last_run_at=stamp(timedelta(days=2)),
            last_status="ok",
            last_full_at=stamp(timedelta(days=2)),
            deleted_record="transient",
        ),
    ]
    found = {d.source: d.full for d in due(sources, NOW)}
    assert found == {"keeps": False, "forgets": True, "legacy": True, "recent": False}


def test_the_scheduler_submits_due_sources_once(hub: Hub, slow_replay: ReplayServer) -> None:
    hub.state.add_source("edurep", slow_replay.url("edurep"))
    hub.state.add_source("zenodo", slow_replay.url("zenodo"), "oai_dc")
    hub.state.update_source("zenodo", harvest_interval=0)  # never scheduled
    harvester = Harvester(hub, concurrency=2, policy=FAST)
    scheduler = Scheduler(harvester)
    submitted = scheduler.check()
    assert [d.source for d in submitted] == ["edurep"]
    assert scheduler.check() == []  # running: not submitted twice
    assert wait_idle(harvester)
    assert scheduler.check() == []  # just harvested: not due for a day
    later = Scheduler(harvester, clock=lambda: datetime.now(UTC) + timedelta(days=1, minutes=1))
    assert [d.source for d in later.check()] == ["edurep"]
    assert wait_idle(harvester)
    harvester.close()
    assert [r["trigger"] for r in hub.state.runs("edurep")] == ["schedule", "schedule"]
    assert hub.state.runs("edurep")[0]["mode"] == "incremental"


# ---------------------------------------------------------------------- runs as PROV, API, tokens


def test_a_run_is_a_prov_activity_in_the_store(hub: Hub, slow_replay: ReplayServer) -> None:
    hub.state.add_source("edurep", slow_replay.url("edurep"))
    [summary] = Harvester(hub, policy=FAST).run(["edurep"])
    rows = hub.store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX hub: <https://w3id.org/eduhub/ns#> "
        "SELECT ?run ?start ?end ?added ?pages ?status ?date ?source WHERE { GRAPH ?g { "
        "?run a prov:Activity ; prov:startedAtTime ?start ; prov:endedAtTime ?end ; prov:used ?source ; "
        "hub:added ?added ; hub:pages ?pages ; hub:status ?status ; hub:sourceResponseDate ?date } "
        f"FILTER(?g = <{BASE}/harvests>) }}"
    )
    assert len(rows) == 1
    [row] = rows
    assert (int(row["added"]), int(row["pages"]), row["status"]) == (summary.added, summary.pages, "ok")
    assert row["source"] == f"{BASE}/sources/edurep"
    assert row["start"] <= row["end"]
    assert row["date"].startswith("20")  # the source's own responseDate


def test_triggering_a_harvest_needs_a_token_with_the_right(hub: Hub, slow_replay: ReplayServer) -> None:
    hub.state.add_source("edurep", slow_replay.url("edurep"))
    harvest_token = tokens.create(hub.state, "robot", ("harvest",))
    vocab_token = tokens.create(hub.state, "editor", ("vocabularies",))
    with LiveServer(hub) as live:
        url = f"{live.url}/api/sources/edurep/harvest"
        missing = httpx.post(url)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = httpx.post(url, headers={"Authorization": "Bearer eduhub_not-a-token"})
        assert wrong.status_code == 401 and "invalid_token" in wrong.headers["www-authenticate"]
        lacking = httpx.post(url, headers={"Authorization": f"Bearer {vocab_token}"})
        assert lacking.status_code == 403 and "harvest" in lacking.json()["error"]["message"]
        unknown = httpx.post(
            f"{live.url}/api/sources/nope/harvest", headers={"Authorization": f"Bearer {harvest_token}"}
        )
        assert unknown.status_code == 404
        accepted = httpx.post(url, headers={"Authorization": f"Bearer {harvest_token}"})
        assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
        again = httpx.post(url, headers={"Authorization": f"Bearer {harvest_token}"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "already-running"
        assert wait_idle(live.server.config.app.state.harvester)
        listed = httpx.get(f"{live.url}/api/harvests", params={"source": "edurep"}).json()
        [run] = listed["harvests"]
        assert run["status"] == "ok" and run["trigger"] == "api:robot" and run["added"] > 0
        assert run["iri"] == f"{BASE}/harvests/{run['id']}"
        assert httpx.get(f"{live.url}/api/harvests/{run['id']}").json()["source"] == "edurep"
        bad = httpx.get(f"{live.url}/api/harvests", params={"status": "great"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad-parameter"
        assert httpx.get(f"{live.url}/api/sources").json()["sources"][0]["name"] == "edurep"
    [entry] = tokens.audit_log(hub.state)
    assert (entry["token"], entry["action"], entry["target"]) == ("robot", "harvest", "edurep")


@pytest.mark.parametrize(
    "path",
    [
        "/api/harvests/23178510102617792512",  # found by tests/test_fuzz_api.py: an OverflowError from SQLite, a 500
        f"/api/harvests/{2**63}",
        f"/api/harvests/{-(2**63) - 1}",
        "/api/harvests?before=23178510102617792512",
    ],
)
def test_run_ids_sqlite_cannot_hold_are_a_bad_parameter(live: LiveServer, path: str) -> None:
    response = httpx.get(live.url + path)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == 400 and response.json()["error"]["code"] == "bad-parameter"
    assert httpx.get(f"{live.url}/api/harvests/{2**63 - 1}").status_code == 404  # the largest id is just unknown


def test_token_cli_keeps_only_a_hash(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = ["--data", str(tmp_path / "hub"), "--base", BASE]
    assert main(["tokens", "create", "ci", "--right", "harvest", *data]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("eduhub_") and len(secret) > 40
    state = (tmp_path / "hub" / "hub.sqlite").read_bytes()
    assert secret.encode() not in state
    with sqlite3.connect(tmp_path / "hub" / "hub.sqlite") as db:
        [(stored_hash, rights)] = db.execute("SELECT hash, rights FROM tokens").fetchall()
    assert stored_hash == tokens.digest(secret) and json.loads(rights) == ["harvest"]
    assert main(["tokens", "list", "--json", *data]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == "ci" and secret not in json.dumps(listed)
    assert main(["tokens", "create", "ci", *data]) == 1  # names are unique
    assert main(["tokens", "create", *data, "--", "-ci"]) == 1  # the source-name rule: starts with a letter or digit
    assert main(["tokens", "create", "rôbot", *data]) == 1  # ASCII only: names go into logs and commands
    assert main(["tokens", "create", "x", "--right", "root", *data]) == 1
    assert main(["tokens", "revoke", "ci", *data]) == 0
    with Hub.open(Settings(data_dir=tmp_path / "hub", base=BASE)) as hub:
        assert tokens.authenticate(hub.state, secret) is None


def test_harvests_cli_lists_runs(tmp_path, capsys, slow_replay: ReplayServer) -> None:  # type: ignore[no-untyped-def]
    data = ["--data", str(tmp_path / "hub"), "--base", BASE]
    assert main(["sources", "add", "edurep", slow_replay.url("edurep"), "--interval", "6h", *data]) == 0
    assert main(["harvest", "edurep", "--concurrency", "2", "--timeout", "5", *data]) == 0
    capsys.readouterr()
    assert main(["harvests", "--json", *data]) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert run["source"] == "edurep" and run["status"] == "ok" and run["trigger"] == "cli"
    assert main(["sources", "list", "--json", *data]) == 0
    assert json.loads(capsys.readouterr().out)[0]["harvest_interval"] == 6 * 3600
    with pytest.raises(SystemExit) as refused:  # argparse: too often to be polite
        main(["sources", "set", "edurep", "--interval", "5s", *data])
    assert refused.value.code == 2
