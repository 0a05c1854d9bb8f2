"""Many sources at once: a bounded pool of harvests, polite per host, and a schedule.

:class:`Harvester` runs harvests of different sources in parallel threads, at most
``concurrency`` at a time, never two of one source. Every client shares one
:class:`~harvesters.http.HostGate`, so sources on the same server wait their turn (one
request at a time per host by default) while sources elsewhere go on; every request has
the policy's deadline, so a hung server ends its own run with an error and holds up no one.

:class:`Scheduler` is the clock of ``eduhub serve``: each source is harvested again when
its interval has passed since its last run; a source whose server does not keep deletions
(``deletedRecord`` no or transient, OAI-PMH 2.0 §4.2) gets a full harvest every
``full_interval``, because an incremental harvest never hears of its deletions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from exchange.hub import Hub
from exchange.pipeline import Progress, RunSummary, harvest
from exchange.state import Source
from harvesters.http import HostGate, RetryPolicy
from harvesters.oaipmh import OaiClient

log = logging.getLogger(__name__)

DAY = 86_400


class AlreadyRunning(RuntimeError):
    """A harvest of this source is in progress; a second one would race it."""


class Harvester:
    """A pool of harvest threads over one hub."""

    def __init__(
        self,
        hub: Hub,
        *,
        concurrency: int = 4,
        gate: HostGate | None = None,
        policy: RetryPolicy | None = None,
        tag: bool = True,
        progress: Progress | None = None,
        on_done: Callable[[RunSummary], None] | None = None,
    ) -> None:
        self.hub = hub
        self.gate = gate or HostGate()
        self.policy = policy
        self.tag = tag
        self.progress = progress
        self.on_done = on_done
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="harvest")
        self._lock = threading.Lock()
        self._running: dict[str, Future[RunSummary]] = {}
        #: set when the pool is closed without waiting: running harvests end after their page
        self.stopping = threading.Event()

    def submit(self, name: str, *, full: bool = False, trigger: str = "cli") -> Future[RunSummary]:
        """Queue a harvest of ``name``; raises AlreadyRunning if one is queued or running."""
        source = self.hub.state.source(name)  # unknown names fail here, before anything is queued
        with self._lock:
            if name in self._running:
                raise AlreadyRunning(f"a harvest of {name} is already queued or running")
            future = self._pool.submit(self._run, source, full, trigger)
            self._running[name] = future
        return future

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

    def run(self, names: Sequence[str], *, full: bool = False, trigger: str = "cli") -> list[RunSummary]:
        """Harvest ``names`` in parallel and wait; summaries in the order of ``names``."""
        futures = [self.submit(name, full=full, trigger=trigger) for name in names]
        return [future.result() for future in futures]

    def close(self, wait: bool = True) -> None:
        """Stop taking work. ``wait=False`` also cancels queued harvests and ends running ones after
        their current page (they are recorded as interrupted; the next run redoes the rest)."""
        if not wait:
            self.stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=not wait)

    def _run(self, source: Source, full: bool, trigger: str) -> RunSummary:
        try:
            with OaiClient(source.base_url, policy=self.policy, gate=self.gate) as client:
                summary = harvest(
                    self.hub,
                    source.name,
                    full=full,
                    client=client,
                    tag=self.tag,
                    progress=self.progress,
                    trigger=trigger,
                    stop=self.stopping,
                )
        finally:
            with self._lock:
                self._running.pop(source.name, None)
        if self.on_done:
            self.on_done(summary)
        return summary


@dataclass(frozen=True)
class Due:
    source: str
    full: bool
    reason: str


def due(
    sources: Sequence[Source],
    now: datetime,
    *,
    default_interval: int = DAY,
    full_interval: int = 7 * DAY,
    retry_interval: int = 3600,
) -> list[Due]:
    """The sources to harvest at ``now``: never harvested, or their interval has passed since the
    last run (``retry_interval`` after a failed run, if shorter). A pure function, so the
    schedule can be tested without waiting for a clock."""
    found: list[Due] = []
    for source in sources:
        interval = default_interval if source.harvest_interval is None else source.harvest_interval
        if interval <= 0:
            continue
        last = _parse(source.last_run_at)
        failed = bool(source.last_status and source.last_status.startswith("failed"))
        wait = min(interval, retry_interval) if failed else interval
        if last is not None and (now - last).total_seconds() < wait:
            continue
        last_full = _parse(source.last_full_at)
        keeps_deletions = source.deleted_record == "persistent"
        stale = last_full is None or (now - last_full).total_seconds() >= full_interval
        # (a source without next_from gets a full harvest anyway: it never completed one)
        full = source.next_from is not None and not keeps_deletions and stale
        reason = "never harvested" if last is None else ("retry after failure" if failed else "interval passed")
        if full:
            reason += f"; full, the source does not keep deletions ({source.deleted_record or 'unknown'})"
        found.append(Due(source.name, full, reason))
    return found


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


class Scheduler:
    """A thread that looks for due sources every ``tick`` seconds and hands them to the harvester."""

    def __init__(
        self,
        harvester: Harvester,
        *,
        default_interval: int = DAY,
        full_interval: int = 7 * DAY,
        tick: float = 30.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.harvester = harvester
        self.default_interval = default_interval
        self.full_interval = full_interval
        self.tick = tick
        self.clock = clock or _utcnow
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> list[Due]:
        """Submit every due source that is not already running; returns what was submitted."""
        running = set(self.harvester.running())
        submitted = []
        for item in due(
            self.harvester.hub.state.sources(),
            self.clock(),
            default_interval=self.default_interval,
            full_interval=self.full_interval,
        ):
            if item.source in running:
                continue
            try:
                self.harvester.submit(item.source, full=item.full, trigger="schedule")
            except AlreadyRunning:
                continue
            log.info("scheduled harvest of %s (%s)", item.source, item.reason)
            submitted.append(item)
        return submitted

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self._loop, name="harvest-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.tick + 5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # the schedule must outlive one bad tick (a locked state file...)
                log.exception("harvest scheduler tick failed")
            self._stop.wait(self.tick)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def wait_idle(harvester: Harvester, timeout: float = 60.0) -> bool:
    """Wait until no harvest runs (for tests and orderly shutdown); False on timeout."""
    deadline = time.monotonic() + timeout
    while harvester.running():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
