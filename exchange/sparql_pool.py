"""Public SPARQL queries in worker processes that can be stopped: time budget, caps, a queue.

pyoxigraph cannot interrupt a query it is evaluating (an ``ORDER BY`` or ``COUNT`` over a
cross product runs inside one call for as long as it takes). So the endpoint's queries run in
a small pool of worker processes; a query past its budget has its worker killed and replaced,
and the client gets ``query-timeout`` while the other workers go on serving.

Workers cannot open the embedded store itself: RocksDB allows one writer process, and
opening it read-only beside a writer is undefined behaviour (pyoxigraph's ``Store.read_only``).
They open a *snapshot* instead: a RocksDB checkpoint of the store (``Store.backup``: hard links
to the immutable table files, ~10 ms), which no one writes. A new snapshot is made when a query
arrives and the store has been written since the last one, so a query sees every write that
finished before it was received. A snapshot is deleted once no worker has it open.

Concurrency: as many queries run at once as there are workers; up to ``queue`` more wait for
one (their wait counts against nothing but is bounded by the budget); beyond that, ``too-busy``.
Internal queries of the hub (pages, OAI-PMH, reports) are the hub's own and run in-process.
"""

from __future__ import annotations

import contextlib
import os
import queue
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from exchange import sparql_run
from exchange.config import ConfigError
from exchange.sparql_run import Answer, Job, QueryTimeout
from exchange.store import Store
from exchange.store.embedded import EmbeddedStore


class TooBusy(RuntimeError):
    """Every worker is busy and the queue is full (or the wait for a worker ran out)."""


class WorkerDied(RuntimeError):
    """The worker process ended while answering (killed from outside, out of memory)."""


@dataclass(frozen=True)
class QueryLimits:
    """What one public query may use. Env: ``EDUHUB_QUERY_TIMEOUT`` (seconds),
    ``EDUHUB_QUERY_MAX_ROWS``, ``EDUHUB_QUERY_MAX_BYTES``, ``EDUHUB_QUERY_WORKERS``,
    ``EDUHUB_QUERY_QUEUE``, ``EDUHUB_QUERY_MAX_MEMORY``; ``eduhub serve`` flags override them."""

    timeout: float = 5.0
    max_rows: int = 100_000
    max_bytes: int = 64 * 1024 * 1024
    workers: int = 2
    queue: int = 16
    #: address space of one worker process (RLIMIT_AS), 0 for none: a query that sorts or groups
    #: a huge intermediate result ends its worker (503 ``query-failed``), not the machine
    max_memory: int = 4 * 1024 * 1024 * 1024

    @classmethod
    def from_env(cls, **overrides: Any) -> QueryLimits:
        values: dict[str, Any] = {}
        for name, kind in (
            ("timeout", float),
            ("max_rows", int),
            ("max_bytes", int),
            ("workers", int),
            ("queue", int),
            ("max_memory", int),
        ):
            text = os.environ.get(f"EDUHUB_QUERY_{name.upper()}", "").strip()
            if text:
                try:
                    values[name] = kind(text)
                except ValueError:
                    raise ConfigError(f"EDUHUB_QUERY_{name.upper()} must be a number, got {text!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        limits = cls(**values)
        limits.check()
        return limits

    def check(self) -> None:
        if not self.timeout > 0 or min(self.max_rows, self.max_bytes, self.workers) < 1:
            raise ConfigError("query limits: timeout, max rows, max bytes and workers must be above 0")
        if self.queue < 0 or self.max_memory < 0:
            raise ConfigError("query limits: the queue and max memory must be at least 0")


class QueryPool:
    """Runs :class:`~exchange.sparql_run.Job` s for the ``/sparql`` endpoint (thread-safe)."""

    def __init__(self, store: Store, limits: QueryLimits, work_dir: Path) -> None:
        self.limits = limits
        self.work_dir = work_dir
        self.spool_dir = work_dir / "spool"
        if not isinstance(store, EmbeddedStore):
            raise ConfigError("the query pool serves the embedded store; a remote store enforces limits itself")
        self._store = store
        # a store only in this process's memory, or opened read-only (a writer elsewhere), cannot
        # be snapshotted: its queries run here and stop only between result rows
        self._in_process = store.path is None or store.read_only
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: list[_Worker] = []
        self._waiting = 0
        self._count = 0  # workers running or starting
        self._lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._snapshots: dict[Path, int] = {}  # snapshot folder → store generation it holds
        self._latest: Path | None = None
        self._started = False
        self._closed = False
        self._serial = 0
        self.killed = 0  # workers stopped for running past the budget

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        """Prepare the work folder (clearing snapshots a killed process left). Workers are
        started as queries need them, up to ``limits.workers``."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.spool_dir.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()
        shutil.rmtree(self.work_dir, ignore_errors=True)

    # ------------------------------------------------------------------ queries

    def run(self, job: Job) -> Answer:
        """Answer ``job`` within the budget. Raises what :func:`exchange.sparql_run.run` raises,
        :class:`QueryTimeout`, :class:`TooBusy` or :class:`WorkerDied`."""
        self.start()
        job = replace(
            job, max_rows=self.limits.max_rows, max_bytes=self.limits.max_bytes, spool_dir=str(self.spool_dir)
        )
        worker = self._acquire()
        if worker.process is None:  # in-process: stopped only between rows
            try:
                deadline = time.monotonic() + self.limits.timeout
                return sparql_run.run(self._store.raw, replace(job, deadline=deadline))
            finally:
                self._idle.put(worker)
        return self._run_in(worker, job)

    def _acquire(self) -> _Worker:
        """An idle worker; a new one while there are fewer than ``limits.workers``; else wait in
        the queue (if it has room) at most the time budget."""
        with self._lock:
            if self._closed:
                raise TooBusy("the endpoint is shutting down")
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            if self._count < self.limits.workers:
                self._count += 1
                grow = True
            elif self._waiting >= self.limits.queue:
                raise TooBusy(f"{self.limits.workers} queries are running and {self.limits.queue} waiting")
            else:
                self._waiting += 1
                grow = False
        if grow:
            try:
                worker = _Worker(None, None) if self._in_process else _Worker.spawn(self.limits.max_memory)
            except BaseException:
                with self._lock:
                    self._count -= 1
                raise
            with self._lock:
                self._workers.append(worker)
            return worker
        try:
            return self._idle.get(timeout=self.limits.timeout)
        except queue.Empty:
            raise TooBusy(f"no query worker became free within {self.limits.timeout:g} s") from None
        finally:
            with self._lock:
                self._waiting -= 1

    def _run_in(self, worker: _Worker, job: Job) -> Answer:
        snapshot = self._snapshot_for(worker)
        conn: Connection = worker.conn  # type: ignore[assignment]
        try:
            conn.send((str(snapshot), job))
            answered = conn.poll(self.limits.timeout)
            outcome, value = conn.recv() if answered else (None, None)
        except (EOFError, ConnectionError):
            self._replace(worker)
            raise WorkerDied(
                "the query's worker process ended while answering (most likely it ran out of the memory one query "
                "may use); make the query lighter: fewer results to sort or group, or a LIMIT"
            ) from None
        if not answered:
            self._replace(worker)
            self.killed += 1
            raise QueryTimeout(
                f"the query ran longer than this endpoint's budget of {self.limits.timeout:g} s and was stopped; "
                "make it more selective or add a LIMIT"
            )
        self._idle.put(worker)
        self._collect()
        if outcome == "ok":
            return value
        raise value

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now; a fresh one joins the pool as soon as it has started."""
        worker.stop()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            if self._closed:
                self._count -= 1
                return

        def start_fresh() -> None:
            try:
                fresh = _Worker.spawn(self.limits.max_memory)
            except Exception:  # the next query that finds no idle worker starts one itself
                with self._lock:
                    self._count -= 1
                raise
            with self._lock:
                if self._closed:
                    fresh.stop()
                    return
                self._workers.append(fresh)
            self._idle.put(fresh)
            self._collect()

        threading.Thread(target=start_fresh, name="sparql-worker-start", daemon=True).start()

    # ------------------------------------------------------------------ snapshots

    def _snapshot_for(self, worker: _Worker) -> Path:
        """The newest snapshot, made now if the store was written since the last one, and
        marked as ``worker``'s (under the lock, so :meth:`_collect` cannot delete it first)."""
        store = self._store
        with self._snapshot_lock:
            if self._latest is None or self._snapshots[self._latest] != store.generation:
                self._serial += 1
                folder = self.work_dir / f"snapshot-{self._serial}"
                self._snapshots[folder] = store.snapshot(folder)
                self._latest = folder
            worker.snapshot = self._latest
            return self._latest

    def _collect(self) -> None:
        """Delete snapshots no worker has open (a worker keeps its last one open)."""
        with self._snapshot_lock, self._lock:
            in_use = {worker.snapshot for worker in self._workers} | {self._latest}
            for folder in [f for f in self._snapshots if f not in in_use]:
                del self._snapshots[folder]
                shutil.rmtree(folder, ignore_errors=True)


class _Worker:
    """One worker process, spoken to over a socket pair with pickled messages.

    Started as ``python -m exchange.sparql_pool FD`` rather than through ``multiprocessing``,
    whose spawn method re-imports the parent's main module (a script without a ``__main__``
    guard would start serving again in the worker)."""

    def __init__(self, process: subprocess.Popen[bytes] | None, conn: Connection | None) -> None:
        self.process = process
        self.conn = conn
        self.snapshot: Path | None = None

    @classmethod
    def spawn(cls, max_memory: int = 0) -> _Worker:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "exchange.sparql_pool", str(theirs.fileno()), str(max_memory)],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
            return cls(process, Connection(ours.detach()))

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        if self.conn is not None:
            self.conn.close()


def _serve(conn: Connection) -> None:
    """A worker's loop: open the snapshot a job names (keeping it open for the next job), run the
    job, send back ``("ok", Answer)`` or ``("error", exception)``. Ends when the pool closes
    the connection (or its process ends)."""
    opened: tuple[str, ox.Store] | None = None
    while True:
        try:
            snapshot, job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if opened is None or opened[0] != snapshot:
                opened = None  # close the old snapshot before opening the new one
                opened = (snapshot, ox.Store.read_only(snapshot))
            conn.send(("ok", sparql_run.run(opened[1], job)))
        except Exception as error:  # sent back and raised in the serving process
            conn.send(("error", _portable(error)))


def _portable(error: Exception) -> Exception:
    """The error as one of the builtin types the endpoint maps to answers (pyoxigraph's own
    exceptions may not pickle)."""
    for kind in (SyntaxError, sparql_run.ResultTooLarge, ValueError, OSError):
        if isinstance(error, kind):
            return kind(str(error))
    return RuntimeError(f"{type(error).__name__}: {error}")


if __name__ == "__main__":
    if int(sys.argv[2]) > 0:
        resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C on `eduhub serve` reaches its workers too
        _serve(Connection(int(sys.argv[1])))
