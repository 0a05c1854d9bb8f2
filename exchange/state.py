"""Operational state of the hub in SQLite: sources, harvest runs and quarantined records.

The RDF store holds what the hub publishes; this file holds how it got there. SQLite
gives transactions and survives a killed process (WAL journal).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    base_url TEXT NOT NULL,
    metadata_prefix TEXT,          -- as registered (NULL: the hub chooses)
    set_spec TEXT,
    added_at TEXT NOT NULL,
    granularity TEXT,              -- from Identify
    earliest_datestamp TEXT,
    deleted_record TEXT,
    harvest_prefix TEXT,           -- the prefix last harvested with
    next_from TEXT,                -- `from` for the next incremental run
    last_run_at TEXT,
    last_status TEXT,
    harvest_interval INTEGER,      -- seconds between scheduled harvests (NULL: the hub default, 0: never)
    last_full_at TEXT              -- when the last complete full harvest ended
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    mode TEXT NOT NULL,
    from_date TEXT,
    metadata_prefix TEXT,
    status TEXT NOT NULL,
    added INTEGER DEFAULT 0, updated INTEGER DEFAULT 0, deleted INTEGER DEFAULT 0,
    quarantined INTEGER DEFAULT 0, recovered INTEGER DEFAULT 0, pages INTEGER DEFAULT 0,
    seconds REAL DEFAULT 0, error TEXT,
    records INTEGER DEFAULT 0,     -- records the source sent (all pages)
    response_date TEXT,            -- the source's responseDate at the start of the list
    notes TEXT,                    -- JSON list of what the run had to work around
    trigger TEXT                   -- cli | schedule | api:{token name}
);
CREATE TABLE IF NOT EXISTS tokens (  -- API tokens for write endpoints; only a hash is kept
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    rights TEXT NOT NULL,          -- JSON list
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS audit (   -- every write through the API: who, when, what
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    token TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS raw_records (  -- the payload each stored record was made from
    source TEXT NOT NULL,
    oai_identifier TEXT NOT NULL,
    datestamp TEXT,
    metadata_prefix TEXT,
    payload BLOB NOT NULL,         -- zlib-compressed UTF-8 XML
    PRIMARY KEY (source, oai_identifier)
);
CREATE TABLE IF NOT EXISTS quarantine (
    source TEXT NOT NULL,
    oai_identifier TEXT NOT NULL,
    datestamp TEXT,
    metadata_prefix TEXT,
    stage TEXT NOT NULL,           -- parse | crosswalk | validate | store
    reason TEXT NOT NULL,
    raw TEXT,
    run_id INTEGER,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (source, oai_identifier)
);
"""

#: Names of sources and API tokens: they appear in IRIs, logs and command lines.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: Columns added after a table was first shipped: (table, column, declaration). A state file
#: made by an older version gets them on open.
_ADDED_COLUMNS = [
    ("sources", "harvest_interval", "INTEGER"),
    ("sources", "last_full_at", "TEXT"),
    ("runs", "records", "INTEGER DEFAULT 0"),
    ("runs", "response_date", "TEXT"),
    ("runs", "notes", "TEXT"),
    ("runs", "trigger", "TEXT"),
]


def _migrate(db: sqlite3.Connection) -> None:
    for table, column, declaration in _ADDED_COLUMNS:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


class StateError(ValueError):
    """A request against the registry that cannot be honoured (unknown or duplicate source...)."""


@dataclass
class Source:
    name: str
    base_url: str
    metadata_prefix: str | None = None
    set_spec: str | None = None
    added_at: str = ""
    granularity: str | None = None
    earliest_datestamp: str | None = None
    deleted_record: str | None = None
    harvest_prefix: str | None = None
    next_from: str | None = None
    last_run_at: str | None = None
    last_status: str | None = None
    harvest_interval: int | None = None
    last_full_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RawRecord:
    """A harvested payload as the source sent it, kept so records can be re-crosswalked."""

    source: str
    oai_identifier: str
    datestamp: str | None
    metadata_prefix: str | None
    xml: str


@dataclass
class Quarantined:
    source: str
    oai_identifier: str
    datestamp: str | None
    metadata_prefix: str | None
    stage: str
    reason: str
    raw: str | None


class HubState:
    """The state file, with one SQLite connection per thread.

    Harvests of several sources run in threads beside the API's request threads; a shared
    connection would put one thread's statements inside another's transaction. SQLite
    itself serializes writers across connections (WAL: readers never wait).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.db.executescript(_SCHEMA)
        _migrate(self.db)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a killed process loses nothing committed; only a power cut may lose the
            # last transactions, which the next harvest fetches again. FULL costs an fsync per page.
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    # ------------------------------------------------------------------ settings

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_setting(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    def setting_or_create(self, key: str, make: Callable[[], str]) -> str:
        """The setting, created with ``make()`` if absent; when two processes race, both get the
        first one's value (a signing secret must be one per hub)."""
        self.db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, make()))
        value = self.setting(key)
        assert value is not None
        return value

    # ------------------------------------------------------------------ sources

    def add_source(
        self, name: str, base_url: str, metadata_prefix: str | None = None, set_spec: str | None = None
    ) -> Source:
        if not NAME.match(name):
            raise StateError(
                f"source name {name!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        if not re.match(r"^https?://[^\s]+$", base_url):
            raise StateError(f"base URL must be an http(s) URL, got {base_url!r}")
        try:
            self.db.execute(
                "INSERT INTO sources (name, base_url, metadata_prefix, set_spec, added_at) VALUES (?, ?, ?, ?, ?)",
                (name, base_url, metadata_prefix, set_spec, now()),
            )
        except sqlite3.IntegrityError:
            raise StateError(f"a source named {name!r} exists already; remove it first or pick another name") from None
        return self.source(name)

    def update_source(self, name: str, **changes: Any) -> None:
        allowed = {f.name for f in fields(Source)} - {"name", "added_at"}
        unknown = set(changes) - allowed
        if unknown:
            raise StateError(f"unknown source fields: {sorted(unknown)}")
        assignments = ", ".join(f"{key} = ?" for key in changes)
        self.db.execute(f"UPDATE sources SET {assignments} WHERE name = ?", (*changes.values(), name))

    def source(self, name: str) -> Source:
        row = self.db.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            known = ", ".join(s.name for s in self.sources()) or "none yet"
            raise StateError(f"no source named {name!r} (registered: {known})")
        return Source(**dict(row))

    def sources(self) -> list[Source]:
        return [Source(**dict(row)) for row in self.db.execute("SELECT * FROM sources ORDER BY name")]

    def remove_source(self, name: str) -> None:
        self.source(name)  # raises if unknown
        with self.transaction():
            self.db.execute("DELETE FROM sources WHERE name = ?", (name,))
            self.db.execute("DELETE FROM quarantine WHERE source = ?", (name,))
            self.db.execute("DELETE FROM raw_records WHERE source = ?", (name,))

    # ------------------------------------------------------------------ runs

    def start_run(self, source: str, mode: str, from_date: str | None, prefix: str | None, trigger: str = "cli") -> int:
        with self.transaction() as db:
            # A run still 'running' here was cut off by a killed process: nothing else harvests
            # this source now (one process holds the store; the scheduler runs a source once).
            db.execute(
                "UPDATE runs SET status = 'abandoned', error = 'the process ended before the run finished' "
                "WHERE source = ? AND status = 'running'",
                (source,),
            )
            cursor = db.execute(
                "INSERT INTO runs (source, started_at, mode, from_date, metadata_prefix, status, trigger) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?)",
                (source, now(), mode, from_date, prefix, trigger),
            )
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int, status: str, error: str | None = None, **fields: Any) -> None:
        if isinstance(fields.get("notes"), list):
            fields["notes"] = json.dumps(fields["notes"], ensure_ascii=False)
        assignments = "".join(f", {key} = ?" for key in fields)
        self.db.execute(
            f"UPDATE runs SET status = ?, ended_at = ?, error = ?{assignments} WHERE id = ?",
            (status, now(), error, *fields.values(), run_id),
        )

    def run(self, run_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def runs(
        self, source: str | None = None, limit: int = 20, *, status: str | None = None, before: int | None = None
    ) -> list[dict[str, Any]]:
        """Harvest runs, newest first; ``before`` (a run id) pages back through older ones."""
        where, args = [], []
        for column, value, op in (("source", source, "="), ("status", status, "="), ("id", before, "<")):
            if value is not None:
                where.append(f"{column} {op} ?")
                args.append(value)
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?"
        return [_run(row) for row in self.db.execute(sql, (*args, limit))]

    # ------------------------------------------------------------------ quarantine

    def quarantine(self, item: Quarantined, run_id: int | None) -> None:
        stamp = now()
        self.db.execute(
            "INSERT INTO quarantine (source, oai_identifier, datestamp, metadata_prefix, stage, reason, raw, "
            "run_id, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source, oai_identifier) DO UPDATE SET datestamp = excluded.datestamp, "
            "metadata_prefix = excluded.metadata_prefix, stage = excluded.stage, reason = excluded.reason, "
            "raw = excluded.raw, run_id = excluded.run_id, last_seen = excluded.last_seen",
            (
                item.source,
                item.oai_identifier,
                item.datestamp,
                item.metadata_prefix,
                item.stage,
                item.reason,
                item.raw,
                run_id,
                stamp,
                stamp,
            ),
        )

    def release(self, source: str, identifiers: list[str]) -> None:
        """Forget quarantine entries for records that are now stored or deleted."""
        self.db.executemany(
            "DELETE FROM quarantine WHERE source = ? AND oai_identifier = ?", [(source, i) for i in identifiers]
        )

    def quarantined(self, source: str | None = None) -> list[Quarantined]:
        sql = "SELECT source, oai_identifier, datestamp, metadata_prefix, stage, reason, raw FROM quarantine"
        rows = self.db.execute(
            sql + (" WHERE source = ?" if source else "") + " ORDER BY source, oai_identifier",
            (source,) if source else (),
        )
        return [Quarantined(**dict(row)) for row in rows]

    # ------------------------------------------------------------------ raw payloads

    def archive(self, records: list[RawRecord]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO raw_records (source, oai_identifier, datestamp, metadata_prefix, payload) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (r.source, r.oai_identifier, r.datestamp, r.metadata_prefix, zlib.compress(r.xml.encode(), 1))
                for r in records
            ],
        )

    def forget_raw(self, source: str, identifiers: list[str]) -> None:
        self.db.executemany(
            "DELETE FROM raw_records WHERE source = ? AND oai_identifier = ?", [(source, i) for i in identifiers]
        )

    def raw(self, source: str, identifier: str) -> RawRecord | None:
        row = self.db.execute(
            "SELECT * FROM raw_records WHERE source = ? AND oai_identifier = ?", (source, identifier)
        ).fetchone()
        if row is None:
            return None
        xml = zlib.decompress(row["payload"]).decode()
        return RawRecord(row["source"], row["oai_identifier"], row["datestamp"], row["metadata_prefix"], xml)

    def raw_records(self, source: str) -> Iterator[RawRecord]:
        """Every stored payload of a source, in identifier order (for re-crosswalking and reports)."""
        rows = self.db.execute("SELECT * FROM raw_records WHERE source = ? ORDER BY oai_identifier", (source,))
        for row in rows:  # streamed: a large source is not loaded at once
            xml = zlib.decompress(row["payload"]).decode()
            yield RawRecord(row["source"], row["oai_identifier"], row["datestamp"], row["metadata_prefix"], xml)

    # ------------------------------------------------------------------ helpers

    def transaction(self) -> _Transaction:
        return _Transaction(self.db)


def _run(row: sqlite3.Row) -> dict[str, Any]:
    run = dict(row)
    run["notes"] = json.loads(run["notes"]) if run.get("notes") else []
    return run


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
