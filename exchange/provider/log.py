"""The publication log: what the OAI-PMH provider serves, in the hub's own SQLite state.

One row per record the hub has ever published: its datestamp (when the hub last changed it,
OAI-PMH 2.0 §2.7.1), whether it is deleted (a tombstone: ``deletedRecord=persistent``, §2.5.1),
a digest of its graph (so an unchanged re-harvest does not move the datestamp), its sets, and
the hub record as the provider serves it (compressed JSON, rebuilt from the graph when the page
is committed: reading a record back from the store costs about twice writing it out as
oai_dc, see BENCHMARKS.md). The record graphs in the store stay the source of truth; a
missing copy is read from the store. Paging is a keyset on
(datestamp, item), which SQLite answers from one index, so the last page of a large list costs
what the first does. Items are record IRIs without ``{base}/resources/``: ``{source}/{local-id}``.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS oai_items (
    item TEXT PRIMARY KEY,          -- {source}/{local-id}, as in the record IRI
    source TEXT NOT NULL,
    datestamp TEXT NOT NULL,        -- YYYY-MM-DDThh:mm:ssZ, UTC
    deleted INTEGER NOT NULL DEFAULT 0,
    digest TEXT NOT NULL DEFAULT '',  -- of the record graph's lines; '' = unknown
    record BLOB                     -- zlib JSON of the hub record served; NULL: read the store
);
CREATE INDEX IF NOT EXISTS oai_items_order ON oai_items (datestamp, item);
CREATE INDEX IF NOT EXISTS oai_items_source ON oai_items (source, item);
CREATE TABLE IF NOT EXISTS oai_sets (
    item TEXT NOT NULL,
    set_spec TEXT NOT NULL,
    PRIMARY KEY (item, set_spec)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS oai_sets_spec ON oai_sets (set_spec, item);
"""


@dataclass(frozen=True)
class Item:
    item: str
    source: str
    datestamp: str
    deleted: bool
    sets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """A record written (``digest`` of its new graph, its sets) or deleted (``deleted=True``)."""

    item: str
    source: str
    digest: str = ""
    sets: frozenset[str] | None = None  # None: keep the sets the item has
    deleted: bool = False
    #: the hub record as served, made with :func:`pack`; None: the provider reads the store
    record: bytes | None = None


@dataclass(frozen=True)
class Selection:
    """What a list request selects (OAI-PMH 2.0 §2.7: from/until inclusive, set with its subsets)."""

    from_: str | None = None
    until: str | None = None
    set_spec: str | None = None


class PublicationLog:
    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        #: the calling thread's connection to the state file (see exchange.state.HubState.db)
        self._connect = connect
        db = connect()
        db.executescript(SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(oai_items)")}
        if "record" not in columns:  # a log made before records were kept in it
            db.execute("ALTER TABLE oai_items ADD COLUMN record BLOB")

    @property
    def db(self) -> sqlite3.Connection:
        return self._connect()

    # ------------------------------------------------------------------ writes

    def apply(self, changes: Iterable[Change], stamp: str) -> int:
        """Record ``changes`` at datestamp ``stamp``; returns how many items changed.

        A write whose digest and sets equal what the log holds changes nothing (a re-harvest
        of an unchanged record keeps its datestamp, so downstream incremental harvests stay
        small). The caller runs this inside its own transaction."""
        changes = list(changes)
        if not changes:
            return 0
        known = self._current([c.item for c in changes])
        moved = 0
        for change in changes:
            old = known.get(change.item)
            if change.deleted:
                if old is None or old[1]:
                    continue  # never published, or already a tombstone
                self.db.execute(
                    "UPDATE oai_items SET deleted = 1, datestamp = ?, digest = '', record = NULL WHERE item = ?",
                    (stamp, change.item),
                )
                moved += 1
                continue
            sets = change.sets
            if old is not None and not old[1]:
                same_content = change.digest and change.digest == old[0]
                if same_content and (sets is None or sets == self.sets_of(change.item)):
                    continue
            self.db.execute(
                "INSERT INTO oai_items (item, source, datestamp, deleted, digest, record) VALUES (?, ?, ?, 0, ?, ?) "
                "ON CONFLICT (item) DO UPDATE SET datestamp = excluded.datestamp, deleted = 0, "
                "digest = excluded.digest, source = excluded.source, record = excluded.record",
                (change.item, change.source, stamp, change.digest, change.record),
            )
            if sets is not None:
                self._replace_sets(change.item, sets)
            moved += 1
        return moved

    def _current(self, items: list[str]) -> dict[str, tuple[str, bool]]:
        found: dict[str, tuple[str, bool]] = {}
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT item, digest, deleted FROM oai_items WHERE item IN ({marks})", chunk):
                found[row[0]] = (row[1], bool(row[2]))
        return found

    def _replace_sets(self, item: str, sets: frozenset[str]) -> None:
        self.db.execute("DELETE FROM oai_sets WHERE item = ?", (item,))
        self.db.executemany("INSERT INTO oai_sets (item, set_spec) VALUES (?, ?)", [(item, s) for s in sorted(sets)])

    def update_sets(self, sets: Mapping[str, frozenset[str]], stamp: str) -> int:
        """New set memberships of live items (after a retag); an item whose sets changed gets
        ``stamp`` as its datestamp (OAI-PMH 2.0 §2.7.1: membership is part of what a selective
        harvest sees). Returns how many items moved."""
        moved = 0
        for item, new in sets.items():
            if new == self.sets_of(item):
                continue
            updated = self.db.execute(
                "UPDATE oai_items SET datestamp = ? WHERE item = ? AND deleted = 0", (stamp, item)
            ).rowcount
            if updated:
                self._replace_sets(item, new)
                moved += 1
        return moved

    # ------------------------------------------------------------------ reads

    def get(self, item: str) -> Item | None:
        row = self.db.execute("SELECT * FROM oai_items WHERE item = ?", (item,)).fetchone()
        if row is None:
            return None
        return Item(
            row["item"], row["source"], row["datestamp"], bool(row["deleted"]), tuple(sorted(self.sets_of(item)))
        )

    def records(self, items: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The kept hub records of live ``items`` (those the log has a copy of)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT item, record FROM oai_items WHERE item IN ({marks}) AND record IS NOT NULL", chunk
            )
            found.update((item, unpack(blob)) for item, blob in rows)
        return found

    def without_copy(self, source: str) -> list[str]:
        """Live items of ``source`` whose record the log does not keep."""
        rows = self.db.execute(
            "SELECT item FROM oai_items WHERE source = ? AND deleted = 0 AND record IS NULL ORDER BY item", (source,)
        )
        return [row[0] for row in rows]

    def keep(self, copies: Mapping[str, bytes]) -> None:
        """Store kept records of live items (made with :func:`pack`)."""
        self.db.executemany(
            "UPDATE oai_items SET record = ? WHERE item = ? AND deleted = 0", [(b, i) for i, b in copies.items()]
        )

    def sets_of(self, item: str) -> frozenset[str]:
        return frozenset(r[0] for r in self.db.execute("SELECT set_spec FROM oai_sets WHERE item = ?", (item,)))

    def members(self, specs: Iterable[str], prefix: str) -> set[tuple[str, str]]:
        """(item, set) pairs of ``specs`` among the items starting with ``prefix``."""
        found: set[tuple[str, str]] = set()
        for spec in specs:
            rows = self.db.execute(
                "SELECT item FROM oai_sets WHERE set_spec = ? AND item >= ? AND item < ?",
                (spec, prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)),
            )
            found.update((row[0], spec) for row in rows)
        return found

    def live_items(self, source: str) -> set[str]:
        rows = self.db.execute("SELECT item FROM oai_items WHERE source = ? AND deleted = 0", (source,))
        return {row[0] for row in rows}

    def page(self, selection: Selection, after: tuple[str, str] | None, limit: int) -> list[Item]:
        """Up to ``limit`` items of ``selection`` past the keyset ``after`` = (datestamp, item)."""
        where, args = self._where(selection)
        if after is not None:
            where.append("(datestamp, item) > (?, ?)")
            args.extend(after)
        sql = "SELECT item, source, datestamp, deleted FROM oai_items i"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.db.execute(sql + " ORDER BY datestamp, item LIMIT ?", (*args, limit)).fetchall()
        sets = self._sets_of_many([row[0] for row in rows])
        return [Item(row[0], row[1], row[2], bool(row[3]), sets.get(row[0], ())) for row in rows]

    def count(self, selection: Selection) -> int:
        where, args = self._where(selection)
        sql = "SELECT COUNT(*) FROM oai_items i" + (" WHERE " + " AND ".join(where) if where else "")
        return int(self.db.execute(sql, args).fetchone()[0])

    def earliest(self) -> str | None:
        row = self.db.execute("SELECT MIN(datestamp) FROM oai_items").fetchone()
        return row[0] if row else None

    def latest(self) -> str | None:
        """The newest datestamp: when the hub last changed what it publishes."""
        row = self.db.execute("SELECT MAX(datestamp) FROM oai_items").fetchone()
        return row[0] if row else None

    def _sets_of_many(self, items: list[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {}
        if not items:
            return {}
        marks = ",".join("?" * len(items))
        for item, spec in self.db.execute(
            f"SELECT item, set_spec FROM oai_sets WHERE item IN ({marks}) ORDER BY item, set_spec", items
        ):
            found.setdefault(item, []).append(spec)
        return {item: tuple(specs) for item, specs in found.items()}

    @staticmethod
    def _where(selection: Selection) -> tuple[list[str], list[str]]:
        where: list[str] = []
        args: list[str] = []
        if selection.from_:
            where.append("datestamp >= ?")
            args.append(selection.from_)
        if selection.until:
            where.append("datestamp <= ?")
            args.append(selection.until)
        if selection.set_spec:
            # A set holds its subsets' items too (OAI-PMH 2.0 §2.7.2, set hierarchy by ':').
            where.append(
                "EXISTS (SELECT 1 FROM oai_sets s WHERE s.item = i.item "
                "AND (s.set_spec = ? OR (s.set_spec > ? AND s.set_spec < ?)))"
            )
            args.extend([selection.set_spec, selection.set_spec + ":", selection.set_spec + ";"])
        return where, args


def pack(record: Mapping[str, Any]) -> bytes:
    """A hub record as kept in the log: compact JSON, zlib level 1 (about 1.2 KB a LOM record)."""
    return zlib.compress(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def unpack(blob: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(blob))
