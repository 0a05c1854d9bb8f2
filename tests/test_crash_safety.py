"""SIGKILL at random moments: a killed harvest, rerun, ends with the hub of an uninterrupted one.

The feed is fixed (the ``crash`` feed of tests/fixtures/faults/scenarios.json: 182 real
oai_dc records and a deleted header, 19 pages of 10, 10 ms per page), served over real HTTP
by :class:`~tests.faultserver.FaultServer` in this process. ``eduhub harvest`` runs as a
subprocess and is killed with SIGKILL at seeded random moments spread over the whole run
(as measured on one uninterrupted run, process start-up included), plus a few very early
and very late ones; every fourth rerun is killed again. Two plans:

1. the first harvest of a registered source (full);
2. an incremental harvest after a complete one, of a second phase of the feed in which a
   third of the records changed and some were deleted.

After the final rerun the hub must equal the uninterrupted ground truth of its plan: the
same record graphs with the same triples, the same assessments, the publication log's live
items and the payload archive exactly the stored graphs, an empty quarantine, the source's
state ok and no run left 'running'. Where each kill landed (graphs in the store, the last
progress line) is printed, and part of every failure message.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from exchange.config import Settings
from exchange.hub import Hub
from exchange.model import record_iri
from tests.conftest import BASE
from tests.faultserver import FaultServer, Feed, Snapshot, assert_matches_truth, load_feed, load_scenarios, snapshot

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "src"
SEED = 20260808
#: kill points per plan (the issue asks for at least 20 in all)
KILLS = {1: 14, 2: 8}
#: every n-th rerun is killed too before the last, complete rerun
KILL_RERUN_EVERY = 4


def second_phase(feed: dict[str, Any]) -> dict[str, Any]:
    """Phase 2 of the crash feed: every third live record re-stamped with other content in its
    datestamp (dc:date untouched), every thirteenth deleted; a deterministic patch."""
    live = [r for r in load_feed(feed).phases[0].records if not r.deleted]
    upsert, delete = {}, {}
    for index, record in enumerate(live):
        if index % 13 == 5:
            delete[record.identifier] = f"2026-07-10T00:{index // 60:02d}:{index % 60:02d}Z"
        elif index % 3 == 0:
            upsert[record.identifier] = {"datestamp": f"2026-07-11T00:{index // 60:02d}:{index % 60:02d}Z"}
    return {"now": "2026-08-01T00:00:00Z", "upsert": upsert, "delete": delete}


FEED_SPEC = load_scenarios()[0]["crash"]


@pytest.fixture(scope="module")
def feed() -> Feed:
    return load_feed(FEED_SPEC, [second_phase(FEED_SPEC)])


@pytest.fixture(scope="module")
def server(feed: Feed) -> Iterator[FaultServer]:
    with FaultServer(feed) as running:
        yield running


def command(data: Path) -> list[str]:
    return [sys.executable, "-m", "exchange.cli", "harvest", SOURCE, "--data", str(data)]


ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("EDUHUB_")}, "EDUHUB_BASE": BASE}


def run_to_end(data: Path) -> tuple[float, int]:
    """Harvest to completion; returns the wall time of the whole process (start-up included)
    and the number of the last page it reported."""
    started = time.monotonic()
    done = subprocess.run(command(data), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"harvest failed ({done.returncode}): {done.stdout}\n{done.stderr[-2000:]}"
    pages = PAGE.findall(done.stderr)
    return time.monotonic() - started, int(pages[-1]) if pages else 0


PAGE = re.compile(rf"^\[{SOURCE}\] page (\d+):", re.MULTILINE)


@dataclass(frozen=True)
class KillPoint:
    """When to kill: ``at`` seconds after the start, or ``delay`` seconds after the harvest
    reports page ``after_page`` (committed), which lands in the same stage on any machine."""

    plan: int
    at: float | None = None
    after_page: int | None = None
    delay: float = 0.0
    #: the rerun after a kill, killed in its turn
    rerun: bool = False

    def __str__(self) -> str:
        when = (
            f"at {self.at:4.2f}s"
            if self.at is not None
            else f"{self.delay * 1000:2.0f} ms after page {self.after_page}"
        )
        return f"{'rerun ' if self.rerun else ''}{when}"


@dataclass
class Landing:
    """Where one kill landed."""

    point: KillPoint
    seconds: float
    duration: float
    killed: bool
    graphs: int
    live: int
    progress: str

    def __str__(self) -> str:
        what = "killed" if self.killed else "ended before the kill"
        return (
            f"plan {self.point.plan} {self.point!s:>25}: {what} after {self.seconds:4.2f}s of a "
            f"{self.duration:4.2f}s run; graphs {self.graphs:3d}, live in log {self.live:3d}; "
            f"{self.progress or 'no page reported'}"
        )


def read(data: Path) -> Snapshot:
    with Hub.open(Settings(data_dir=data, base=BASE), read_only=True) as hub:
        return snapshot(hub, SOURCE)


def count_graphs(data: Path) -> tuple[int, int]:
    with Hub.open(Settings(data_dir=data, base=BASE), read_only=True) as hub:
        return len(hub.store.graphs(record_iri(BASE, SOURCE, ""))), len(hub.publication.live_items(SOURCE))


def kill(data: Path, point: KillPoint, duration: float) -> Landing:
    """Start a harvest, SIGKILL it at ``point``, and see what it left."""
    started = time.monotonic()
    process = subprocess.Popen(
        command(data), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines: list[str] = []
    killed = False
    if point.at is not None:
        try:
            process.wait(timeout=point.at)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            killed = True
    else:
        for line in process.stderr:
            lines.append(line)
            match = PAGE.match(line)
            if match and int(match.group(1)) == point.after_page:
                time.sleep(point.delay)
                killed = process.poll() is None
                process.send_signal(signal.SIGKILL)
                break
    process.wait()
    seconds = time.monotonic() - started
    lines += process.stderr.read().splitlines()
    process.stderr.close()
    if killed:
        assert process.returncode == -signal.SIGKILL
    progress = [line.strip() for line in lines if PAGE.match(line)]
    graphs, live = count_graphs(data)
    return Landing(point, seconds, duration, killed, graphs, live, progress[-1] if progress else "")


def kill_points(rng: random.Random, plan: int, duration: float, pages: int, count: int) -> list[KillPoint]:
    """Very early (at once), very late (as the last page is reported, and a little after,
    when the run reconciles, tags source-wide and saves its state), after random pages, and
    the rest at random times over the whole run."""
    points = [
        KillPoint(plan, at=0.0),
        KillPoint(plan, after_page=pages),
        KillPoint(plan, after_page=pages, delay=0.03),
        KillPoint(plan, after_page=1),
    ]
    by_page = (count - len(points)) // 2
    points += [KillPoint(plan, after_page=rng.randint(2, pages), delay=rng.uniform(0, 0.05)) for _ in range(by_page)]
    points += [KillPoint(plan, at=rng.uniform(0.0, duration)) for _ in range(count - len(points))]
    return points


def test_harvest_killed_at_random_points_reruns_to_ground_truth(
    server: FaultServer, feed: Feed, tmp_path: Path
) -> None:
    registered = tmp_path / "registered"
    with Hub.open(Settings(data_dir=registered, base=BASE)) as hub:
        hub.state.add_source(SOURCE, server.url)

    # ground truth of each plan, from uninterrupted runs, which also measure how long a run takes
    truth1 = tmp_path / "truth1"
    shutil.copytree(registered, truth1)
    server.begin_run(1, 0, faults=False)
    duration, pages = {}, {}
    duration[1], pages[1] = run_to_end(truth1)
    harvested = tmp_path / "harvested"  # where plan 2 starts: the first harvest complete
    shutil.copytree(truth1, harvested)
    truth2 = tmp_path / "truth2"
    shutil.copytree(harvested, truth2)
    server.begin_run(2, 1, faults=False)
    duration[2], pages[2] = run_to_end(truth2)
    truth = {1: read(truth1), 2: read(truth2)}
    for plan, phase in ((1, 0), (2, 1)):
        listed = {record_iri(BASE, SOURCE, i) for i in feed.phase(phase).live()}
        assert set(truth[plan].graphs) == listed, f"ground truth of plan {plan} is not what the feed lists"
        assert truth[plan].quarantine == set() and truth[plan].last_status == "ok"
    assert truth[1].graphs != truth[2].graphs  # plan 2 changes something
    assert pages[1] > 10 and pages[2] > 3

    rng = random.Random(SEED)
    points = [p for plan in (1, 2) for p in kill_points(rng, plan, duration[plan], pages[plan], KILLS[plan])]
    landings: list[Landing] = []
    work = tmp_path / "work"
    for number, point in enumerate(points, start=1):
        plan = point.plan
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(registered if plan == 1 else harvested, work)
        server.begin_run(number, plan - 1, faults=False)
        landings.append(kill(work, point, duration[plan]))
        if number % KILL_RERUN_EVERY == 0:  # the rerun is killed too
            landings.append(
                kill(work, KillPoint(plan, at=rng.uniform(0.0, duration[plan]), rerun=True), duration[plan])
            )
        run_to_end(work)
        got = read(work)
        where = f"kill point {number}\n" + "\n".join(map(str, landings[-2:]))
        assert_matches_truth(got, truth[plan], set(), where)
        assert got.last_status == "ok", where
        assert "running" not in got.runs and got.runs[0] == "ok", f"{where}\nruns: {got.runs}"

    table = "\n".join(map(str, landings))
    print(f"\nkill landings (uninterrupted: first harvest {duration[1]:.2f}s, second {duration[2]:.2f}s):\n{table}")
    real = [landing for landing in landings if landing.killed]
    assert len(real) >= 20, f"only {len(real)} kills landed before the harvest ended:\n{table}"
    # the kills hit the runs in many different places, or the test would prove little
    assert any(landing.graphs == 0 for landing in real if landing.point.plan == 1), table
    assert len({landing.progress for landing in real}) >= 8, table
