"""Every fault scenario (tests/fixtures/faults/scenarios.json) against ground truth.

For each scenario the same feed is harvested twice per run, over real HTTP from one
:class:`~tests.faultserver.FaultServer` (same URL, so record graphs agree): once with the
faults off into the ground-truth hub, once with them on into the hub under test. After the
runs that ask for it, and always after the last one, the two hubs must hold the same record
graphs with the same triples (canonical N-Triples), the same assessments, a publication log
whose live items are exactly the stored graphs, one archived payload per stored record, and
in quarantine exactly the records the scenario says cannot be repaired. Each faulty run's
summary must say what happened (status, counts, notes, error), and the server counts the
requests, which is how bounded retries are checked (never by the clock).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from lxml import etree

from exchange.config import Settings
from exchange.hub import Hub
from exchange.model import record_iri
from exchange.pipeline import RunSummary, harvest
from harvesters.http import RetryPolicy
from harvesters.oaipmh import OaiClient
from tests.conftest import BASE
from tests.faultserver import (
    ANSWER_KINDS,
    DAMAGE_KINDS,
    LIST_KINDS,
    OAI,
    Fault,
    FaultServer,
    Run,
    Scenario,
    assert_matches_truth,
    load_scenarios,
    snapshot,
)

FEEDS, SCENARIOS = load_scenarios()
SOURCE = "src"
#: small and fast: four tries, 50 ms first backoff, 2 s longest wait, 2 s per try (a normal
#: page takes milliseconds; the margin keeps a loaded machine from timing out by accident)
POLICY = {"attempts": 4, "backoff": 0.05, "max_wait": 2.0, "timeout": 2.0}


# ---------------------------------------------------------------------- checks


def assert_summary(summary: RunSummary, run: Run, server: FaultServer, number: int) -> None:
    """The faulty run's summary says what happened; the server saw the requests it should have."""
    context = f"run {number}: error={summary.error!r} notes={summary.notes}"
    assert summary.status == run.status, context
    if run.mode is not None:
        assert summary.mode == run.mode, context
    for key, value in run.counts.items():
        assert getattr(summary, key) == value, f"{key}={getattr(summary, key)}, expected {value}; {context}"
    notes = " | ".join(summary.notes).lower()
    for needle in run.notes:
        assert needle.lower() in notes, f"no note mentions {needle!r}; {context}"
    if run.status == "failed":
        assert summary.error, context
        for needle in run.error:
            assert needle.lower() in summary.error.lower(), f"error does not mention {needle!r}; {context}"
    for expected in run.requests:
        seen = server.count(run=number, verb=expected.get("verb"), page=expected.get("page"))
        assert seen == expected["count"], f"server saw {seen} requests for {dict(expected)}; {context}"


# ---------------------------------------------------------------------- the test


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[tuple[Hub, Hub]]:
    with (
        Hub.open(Settings(data_dir=tmp_path / "faulty", base=BASE)) as faulty,
        Hub.open(Settings(data_dir=tmp_path / "truth", base=BASE)) as truth,
    ):
        yield faulty, truth


def harvest_once(hub: Hub, server: FaultServer, scenario: Scenario, full: bool) -> RunSummary:
    with OaiClient(server.url, policy=RetryPolicy(**{**POLICY, **scenario.policy})) as client:
        return harvest(hub, SOURCE, full=full, client=client)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault_scenario_reaches_ground_truth(scenario: Scenario, hubs: tuple[Hub, Hub]) -> None:
    faulty, truth = hubs
    feed = scenario.feed_of(FEEDS)
    with FaultServer(feed, scenario.faults) as server:
        for hub in hubs:
            hub.state.add_source(SOURCE, server.url)
        for number, run in enumerate(scenario.runs, start=1):
            server.begin_run(number, run.phase, faults=False)
            expected = harvest_once(truth, server, scenario, run.full)
            assert expected.status == "ok", f"ground truth run {number} failed: {expected.error}"
            server.begin_run(number, run.phase, faults=True)
            summary = harvest_once(faulty, server, scenario, run.full)
            assert_summary(summary, run, server, number)
            if run.status == "failed":
                assert (snapshot(faulty, SOURCE).last_status or "").startswith("failed"), (
                    "the source's state hides the failure"
                )
            if run.compare or number == len(scenario.runs):
                truth_now = snapshot(truth, SOURCE)
                # ground truth itself is what the feed lists in this phase
                listed = {record_iri(BASE, SOURCE, i) for i in feed.phase(run.phase).live()}
                assert set(truth_now.graphs) == listed, "ground truth does not hold what the feed lists"
                assert_matches_truth(snapshot(faulty, SOURCE), truth_now, set(run.quarantine), f"after run {number}")
        assert snapshot(faulty, SOURCE).last_status == "ok"


def test_every_fault_kind_is_exercised() -> None:
    """The scenario data covers each kind of fault the server knows, and each HTTP status asked for."""
    kinds = {fault.kind for scenario in SCENARIOS for fault in scenario.faults}
    assert kinds == ANSWER_KINDS | DAMAGE_KINDS | LIST_KINDS
    statuses = {f.status for s in SCENARIOS for f in s.faults if f.kind == "status"}
    assert {500, 502, 503, 504} <= statuses
    assert any(f.retry_after_date for s in SCENARIOS for f in s.faults)
    assert any(s.phases and any(p.get("delete") for p in s.phases) for s in SCENARIOS)


def test_fault_server_misbehaves_as_described() -> None:
    """The server itself, read with a plain HTTP client: the faults are really on the wire."""
    feed = SCENARIOS[0].feed_of(FEEDS)  # the clean lom feed
    faults = [
        Fault.of({"kind": "reset", "page": 1, "attempts": [1], "run": 1}),
        Fault.of({"kind": "truncate", "page": 1, "attempts": [2], "fraction": 0.5, "run": 1}),
        Fault.of({"kind": "status", "status": 503, "retry_after_date": 30, "page": 1, "attempts": [3], "run": 1}),
        Fault.of({"kind": "expire_tokens", "page": 2, "attempts": [1], "run": 1}),
        Fault.of({"kind": "encoding", "declare": "UTF-8", "encode": "latin-1", "page": 3, "run": 2}),
    ]
    first = {"verb": "ListRecords", "metadataPrefix": "lom"}
    with FaultServer(feed, faults) as server, httpx.Client() as http:
        server.begin_run(1, 0)
        with pytest.raises(httpx.TransportError):  # RST after half the announced body
            http.get(server.url, params=first)
        cut = http.get(server.url, params=first)
        assert int(cut.headers["content-length"]) == len(cut.content)
        assert not cut.content.rstrip().endswith(b"</OAI-PMH>")
        busy = http.get(server.url, params=first)
        assert busy.status_code == 503
        assert parsedate_to_datetime(busy.headers["retry-after"]) > datetime.now(UTC)
        page1 = etree.fromstring(http.get(server.url, params=first).content)
        token = page1.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
        expired = http.get(server.url, params={"verb": "ListRecords", "resumptionToken": token})
        assert b'code="badResumptionToken"' in expired.content
        assert [r.fault for r in server.requests] == ["reset", "truncate", "status", None, "expire_tokens"]

        server.begin_run(2, 0)  # a new run: attempts count again, old tokens are gone
        tokens = [etree.fromstring(http.get(server.url, params=first).content)]
        for _ in range(2):
            token = tokens[-1].findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
            answer = http.get(server.url, params={"verb": "ListRecords", "resumptionToken": token})
            if len(tokens) == 2:  # page 3: declared UTF-8, sent as Latin-1
                with pytest.raises(UnicodeDecodeError):
                    answer.content.decode("utf-8")
                break
            tokens.append(etree.fromstring(answer.content))
        deleted = [h for h in tokens[0].iter(f"{OAI}header") if h.get("status") == "deleted"]
        assert [h.findtext(f"{OAI}identifier") for h in deleted] == [
            "surfsharekit:oai:surfsharekit.nl:3d2940a0-9573-412e-8fa2-067c55e2a72f"
        ]

        window = {**first, "from": "2020-10-28T01:00:00Z", "until": "2020-10-28T01:25:03Z"}
        within = etree.fromstring(http.get(server.url, params=window).content)
        assert [h.findtext(f"{OAI}datestamp") for h in within.iter(f"{OAI}header")] == [
            "2020-10-28T01:12:44Z",
            "2020-10-28T01:21:29Z",
            "2020-10-28T01:25:03Z",
        ]
        none = http.get(server.url, params={**first, "from": "2027-01-01"})
        assert none.status_code == 200 and b'code="noRecordsMatch"' in none.content
