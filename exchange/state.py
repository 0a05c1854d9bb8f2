"""Operational state of the hub in SQLite: sources, harvest runs and quarantined records.

The RDF store holds what the hub publishes; this file holds how it got there. SQLite
gives transactions and survives a killed process (WAL journal).
"""

from __future__ import annotations

import re
import sqlite3
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
    last_status TEXT
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
    seconds REAL DEFAULT 0, error TEXT
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

_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a killed process loses nothing committed; only a power cut may lose the last
        # transactions, which the next harvest fetches again. FULL costs an fsync per page.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

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
        if not _SOURCE_NAME.match(name):
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

    def start_run(self, source: str, mode: str, from_date: str | None, prefix: str | None) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (source, started_at, mode, from_date, metadata_prefix, status) "
            "VALUES (?, ?, ?, ?, ?, 'running')",
            (source, now(), mode, from_date, prefix),
        )
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int, status: str, error: str | None = None, **counts: float) -> None:
        assignments = "".join(f", {key} = ?" for key in counts)
        self.db.execute(
            f"UPDATE runs SET status = ?, ended_at = ?, error = ?{assignments} WHERE id = ?",
            (status, now(), error, *counts.values(), run_id),
        )

    def runs(self, source: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        sql = "SELECT * FROM runs" + (" WHERE source = ?" if source else "") + " ORDER BY id DESC LIMIT ?"
        args = (source, limit) if source else (limit,)
        return [dict(row) for row in self.db.execute(sql, args)]

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


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
