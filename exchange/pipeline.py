"""The harvest pipeline: fetch a page, crosswalk, validate, write, then fetch the next.

Each page goes through the whole chain and is committed in one store transaction
before the next page is requested, so memory stays flat and a crash loses at most
the page in flight. A record that fails any step is quarantined with its reason and
the rest of its page is stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote

from lxml import etree

from exchange import clusters, crosswalks, runs, tagging
from exchange.crosswalks import CrosswalkError, RecordContext
from exchange.hub import Hub
from exchange.model import RecordInvalid, record_iri, to_ntriples, validate
from exchange.normalize import iso_date
from exchange.provider import publish
from exchange.state import Quarantined, RawRecord, Source, now
from exchange.store import GraphWrite
from harvesters import xml
from harvesters.oaipmh import HarvestError, OaiClient, OaiError, OaiRecord, Page
from harvesters.prefetch import prefetched

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    """What one harvest of one source did; ``eduhub harvest --json`` prints a list of these."""

    source: str
    status: str = "running"  # ok | failed
    mode: str = "full"  # full | incremental
    metadata_prefix: str | None = None
    from_date: str | None = None
    added: int = 0
    updated: int = 0
    deleted: int = 0
    quarantined: int = 0
    recovered: int = 0
    pages: int = 0
    records: int = 0
    seconds: float = 0.0
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[RunSummary, Page], None]


@dataclass
class _Outcome:
    writes: dict[str, GraphWrite | None] = field(default_factory=dict)  # graph -> new content, None = delete
    identifiers: dict[str, str] = field(default_factory=dict)  # graph -> OAI identifier
    quarantined: list[Quarantined] = field(default_factory=list)
    #: graphs of records the source still lists (stored now, or kept aside with their last good version)
    listed: set[str] = field(default_factory=set)
    raws: dict[str, RawRecord] = field(default_factory=dict)  # graph -> payload it was made from


def choose_prefix(source: Source, client: OaiClient) -> str:
    """The registered prefix, else the richest format the source offers and a crosswalk reads."""
    if source.metadata_prefix:
        return source.metadata_prefix
    offered = client.list_metadata_formats()
    readable: list[tuple[int, str]] = []
    for fmt in offered:
        crosswalk = None
        if fmt.namespace:
            try:
                crosswalk = crosswalks.for_namespace(fmt.namespace)
            except LookupError:
                crosswalk = None
        crosswalk = crosswalk or crosswalks.for_prefix(fmt.prefix)
        if crosswalk is not None:
            readable.append((crosswalk.richness, fmt.prefix))
    if not readable:
        names = ", ".join(f.prefix for f in offered) or "none"
        raise HarvestError(f"the source offers no metadata format the hub reads (offered: {names})")
    return max(readable, key=lambda item: item[0])[1]


#: How often one run starts its list again after the source forgot its resumption token.
MAX_RESTARTS = 3


def harvest(
    hub: Hub,
    name: str,
    *,
    full: bool = False,
    progress: Progress | None = None,
    client: OaiClient | None = None,
    tag: bool = True,
    trigger: str = "cli",
    stop: threading.Event | None = None,
) -> RunSummary:
    """Harvest one registered source, incrementally unless ``full`` or it was never harvested.

    With ``tag`` (the default) each page's records are assessed in the page's own update and
    the source-wide rules run at the end (docs/tagging.md); without, run ``eduhub retag`` later.
    ``trigger`` says who asked (cli, schedule, api:{token}) in the run's record. When ``stop`` is
    set the run ends after the page in hand (status ``interrupted``; committed pages stay).
    """
    source = hub.state.source(name)
    tags = Tagger(hub, name, enabled=tag)
    summary = RunSummary(source=name)
    started = time.monotonic()
    started_at = now()
    own_client = client is None
    client = client or OaiClient(source.base_url)
    client_notes = len(client.notes)  # a client may serve several runs: this run's notes come after
    run_id: int | None = None
    response_date: str | None = None
    try:
        identify = client.identify()
        hub.state.update_source(
            name,
            granularity=identify.granularity,
            earliest_datestamp=identify.earliest_datestamp,
            deleted_record=identify.deleted_record,
        )
        hub.publish_sources()
        prefix = choose_prefix(source, client)
        incremental = not full and source.next_from is not None and source.harvest_prefix == prefix
        summary.mode = "incremental" if incremental else "full"
        summary.metadata_prefix = prefix
        summary.from_date = source.next_from if incremental else None
        run_id = hub.state.start_run(name, summary.mode, summary.from_date, prefix, trigger)
        summary.recovered = _retry_quarantine(hub, source, run_id, tags)

        # The next incremental run starts where this one started, on the source's clock
        # (its responseDate), so records changed during the run are fetched again.
        next_from = identify.response_date or started_at
        seen: set[str] = set()
        taken = _Taken()
        for restart in range(MAX_RESTARTS + 1):
            try:
                pages = client.list_records(prefix, set_spec=source.set_spec, from_=summary.from_date)
                for page in prefetched(pages):
                    if page.number == 1 and page.response_date and restart == 0:
                        next_from = response_date = page.response_date
                    summary.pages += 1
                    summary.records += len(page.records)
                    summary.notes.extend(page.notes)
                    records = taken.fresh(page.records, summary)
                    outcome = _process(hub, source, prefix, records)
                    seen |= outcome.listed
                    _commit(hub, source, outcome, summary, run_id, tags)
                    taken.add(records)
                    if progress:
                        progress(summary, page)
                    if stop is not None and stop.is_set():
                        raise _Stopped
                break
            except OaiError as error:
                if error.code != "badResumptionToken" or restart == MAX_RESTARTS:
                    raise
                # The token expired mid-list (OAI-PMH 2.0 §3.5: tokens may expire). OAI-PMH promises
                # no order, so the only point known complete is the run's own start: the list is asked
                # again from there, and records already taken are skipped, not rewritten. (Restarting
                # from the newest datestamp seen would lose records of a source that lists by
                # identifier, and a full run would then delete them as no longer listed.)
                summary.notes.append(
                    f"the source refused its own resumption token after {summary.pages} pages ({error}); "
                    f"list started again from {summary.from_date or 'the beginning'}"
                )

        if summary.mode == "full":
            _drop_unseen(hub, source, seen, summary, tags)
        tags.source_wide()
        publish.reconcile(hub, name)
        if tags.enabled:
            publish.refresh_source_wide(hub, name)  # source-wide tags (duplicate titles) are sets too
        clusters.refresh(hub, name)  # the same resources in other sources (docs/clusters.md)
        hub.state.update_source(
            name,
            harvest_prefix=prefix,
            next_from=_in_granularity(next_from, identify.granularity),
            last_run_at=now(),
            last_status="ok",
            **({"last_full_at": now()} if summary.mode == "full" else {}),
        )
        summary.status = "ok"
    except _Stopped:
        summary.notes.append(f"stopped after {summary.pages} pages; the next run starts where this one started")
    except Exception as error:  # one source's failure must not stop a multi-source harvest
        if not isinstance(error, HarvestError | OSError):
            log.exception("harvest of %s failed unexpectedly", name)
        summary.status = "failed"
        summary.error = str(error) if isinstance(error, HarvestError) else f"{type(error).__name__}: {error}"
        hub.state.update_source(name, last_run_at=now(), last_status=f"failed: {summary.error}")
    finally:
        if summary.status == "running":  # interrupted (Ctrl-C): committed pages stay, state is not advanced
            summary.status = "interrupted"
        summary.seconds = round(time.monotonic() - started, 3)
        summary.notes[:0] = client.notes[client_notes:]
        if own_client:
            client.close()
        if run_id is not None:
            hub.state.finish_run(
                run_id,
                summary.status,
                summary.error,
                added=summary.added,
                updated=summary.updated,
                deleted=summary.deleted,
                quarantined=summary.quarantined,
                recovered=summary.recovered,
                pages=summary.pages,
                records=summary.records,
                seconds=summary.seconds,
                response_date=response_date,
                notes=summary.notes,
            )
            runs.publish(hub, run_id)
    return summary


class _Stopped(Exception):
    """The hub is shutting down: end the run after the committed page."""


class _Taken:
    """The records this run has committed, by identifier, with their datestamps.

    Servers repeat records within one list, and a list started again after an expired token
    repeats everything before the cut. A record already taken at the same or a newer datestamp
    is not processed again: the store holds it, and an older copy must not replace a newer one.
    """

    def __init__(self) -> None:
        self.datestamps: dict[str, str] = {}

    def fresh(self, records: list[OaiRecord], summary: RunSummary) -> list[OaiRecord]:
        """The page's records without copies that are older than (or as old as) one taken
        already, on an earlier page or on this one."""
        newest: dict[str, int] = {}  # identifier -> position of its newest copy on this page
        for position, record in enumerate(records):
            if record.identifier is None:
                continue
            best = newest.get(record.identifier)
            if best is None or (record.datestamp or "") >= (records[best].datestamp or ""):
                newest[record.identifier] = position
        kept: list[OaiRecord] = []
        older = 0
        for position, record in enumerate(records):
            identifier = record.identifier
            if identifier is not None and newest[identifier] != position:
                older += (record.datestamp or "") < (records[newest[identifier]].datestamp or "")
                continue
            taken = self.datestamps.get(identifier or "")
            if taken is not None and record.datestamp and taken >= record.datestamp:
                older += taken > record.datestamp
                continue
            kept.append(record)
        if older:
            summary.notes.append(f"{older} repeated records with an older datestamp than another copy were skipped")
        return kept

    def add(self, records: list[OaiRecord]) -> None:
        """Note the records of a committed page: stored, deleted or quarantined, each is done
        for this run at its datestamp (a restarted list does not process it again)."""
        for record in records:
            stamp = record.datestamp
            if not stamp or not record.identifier:
                continue
            previous = self.datestamps.get(record.identifier)
            if previous is None or stamp > previous:
                self.datestamps[record.identifier] = stamp


def source_record_url(base_url: str, prefix: str, identifier: str) -> str:
    """The source's own address of the record: an OAI-PMH GetRecord request."""
    # quote() directly: urlencode cost 39 µs per record on the ingest path
    query = f"verb=GetRecord&metadataPrefix={quote_plus(prefix)}&identifier={quote_plus(identifier)}"
    return f"{base_url}{'&' if '?' in base_url else '?'}{query}"


def _process(hub: Hub, source: Source, prefix: str, records: Iterable[OaiRecord]) -> _Outcome:
    outcome = _Outcome()
    for position, record in enumerate(records, start=1):
        identifier = record.identifier
        if not identifier:
            outcome.quarantined.append(
                _quarantine(
                    source,
                    f"(no identifier: record {position} of its page)",
                    record,
                    prefix,
                    "parse",
                    record.error or "record header has no <identifier>",
                )
            )
            continue
        graph = record_iri(hub.settings.base, source.name, identifier)
        outcome.identifiers[graph] = identifier
        # Within a page the last occurrence of an identifier wins (servers repeat records).
        outcome.writes.pop(graph, None)
        if record.deleted:
            outcome.listed.discard(graph)
            outcome.writes[graph] = None
            continue
        outcome.listed.add(graph)
        if record.error or record.payload is None:
            outcome.quarantined.append(
                _quarantine(source, identifier, record, prefix, "parse", record.error or "no payload")
            )
            continue
        try:
            lines = _to_lines(hub, source, prefix, record)
        except CrosswalkError as error:
            outcome.quarantined.append(_quarantine(source, identifier, record, prefix, "crosswalk", str(error)))
        except RecordInvalid as error:
            outcome.quarantined.append(_quarantine(source, identifier, record, prefix, "validate", str(error)))
        else:
            outcome.writes[graph] = GraphWrite(graph, lines)
            outcome.raws[graph] = RawRecord(source.name, identifier, record.datestamp, prefix, record.raw or "")
    return outcome


def _to_lines(hub: Hub, source: Source, prefix: str, record: OaiRecord) -> list[str]:
    payload = record.payload
    assert payload is not None and record.identifier is not None
    try:
        crosswalk = crosswalks.for_payload(payload, prefix)
    except LookupError as error:
        raise CrosswalkError(str(error)) from None
    context = RecordContext(
        base=hub.settings.base,
        source=source.name,
        oai_identifier=record.identifier,
        datestamp=iso_date(record.datestamp),
        metadata_prefix=prefix,
        source_record_url=source_record_url(source.base_url, prefix, record.identifier),
    )
    hub_record = validate(crosswalk.to_record(payload, context))
    return to_ntriples(hub_record)


class Tagger:
    """The tagging part of each write (docs/tagging.md): the page's assessments in the page's update."""

    def __init__(self, hub: Hub, source: str, *, enabled: bool) -> None:
        self.hub, self.source, self.enabled = hub, source, enabled

    def page(self, written: Sequence[str], deleted: Sequence[str] = ()) -> str:
        if not self.enabled:
            return ""
        return tagging.page_operations(self.hub.settings.base, self.source, written, deleted)

    def source_wide(self) -> None:
        """Rules that compare records (duplicate titles) run once the source's pages are in."""
        if not self.enabled or not any(rule.scope == "source" for rule in tagging.shipped_rules()):
            return
        prefix = record_iri(self.hub.settings.base, self.source, "")
        self.hub.store.update(
            tagging.source_operations(self.hub.settings.base, self.source, prefix, scopes=("source",))
        )


def _commit(hub: Hub, source: Source, outcome: _Outcome, summary: RunSummary, run_id: int | None, tags: Tagger) -> None:
    puts = [w for w in outcome.writes.values() if w is not None]
    deletes = [g for g, w in outcome.writes.items() if w is None]
    try:
        existing = hub.store.write_page(puts, deletes, then=tags.page([w.graph for w in puts], deletes))
    except (SyntaxError, ValueError, OSError) as error:
        # One record the store refuses must not cost the page: write one by one, quarantine the culprit.
        log.warning("page write failed (%s); writing record by record", error)
        puts, existing = _write_one_by_one(hub, source, outcome, puts, deletes, tags)
    summary.added += sum(1 for w in puts if w.graph not in existing)
    summary.updated += sum(1 for w in puts if w.graph in existing)
    summary.deleted += sum(1 for g in deletes if g in existing)
    summary.quarantined += len(outcome.quarantined)
    _record_state(hub, source, outcome, puts, deletes, run_id)


def _record_state(
    hub: Hub, source: Source, outcome: _Outcome, puts: list[GraphWrite], deletes: list[str], run_id: int | None
) -> None:
    """After the store commit: quarantine, release, archive and the publication log in one SQLite
    transaction."""
    stored = [outcome.identifiers[w.graph] for w in puts]
    dropped = [outcome.identifiers[g] for g in deletes]
    changes = publish.page_changes(hub, source.name, puts, deletes)
    with hub.state.transaction():
        publish.record(hub, changes)
        for item in outcome.quarantined:
            hub.state.quarantine(item, run_id)
        hub.state.release(source.name, stored + dropped)
        hub.state.archive([outcome.raws[w.graph] for w in puts])
        hub.state.forget_raw(source.name, dropped)


def _write_one_by_one(
    hub: Hub, source: Source, outcome: _Outcome, puts: list[GraphWrite], deletes: list[str], tags: Tagger
) -> tuple[list[GraphWrite], set[str]]:
    existing = hub.store.write_page([], deletes, then=tags.page([], deletes))
    written = []
    for write in puts:
        try:
            existing |= hub.store.write_page([write], then=tags.page([write.graph]))
            written.append(write)
        except (SyntaxError, ValueError, OSError) as error:
            raw = outcome.raws[write.graph]
            outcome.quarantined.append(
                Quarantined(
                    source.name,
                    raw.oai_identifier,
                    raw.datestamp,
                    raw.metadata_prefix,
                    "store",
                    f"store refused the record: {error}",
                    raw.xml,
                )
            )
    return written, existing


def _retry_quarantine(hub: Hub, source: Source, run_id: int, tags: Tagger) -> int:
    """Give quarantined records another chance with today's crosswalks (their raw payload is kept)."""
    retry = [q for q in hub.state.quarantined(source.name) if q.raw and q.stage in ("crosswalk", "validate")]
    if not retry:
        return 0
    by_prefix: dict[str, list[OaiRecord]] = {}
    for item in retry:
        assert item.raw is not None
        try:
            payload = xml.parse(item.raw.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue
        record = OaiRecord(item.oai_identifier, item.datestamp, False, payload, item.raw)
        by_prefix.setdefault(item.metadata_prefix or "", []).append(record)
    recovered = 0
    for prefix, group in by_prefix.items():
        outcome = _process(hub, source, prefix, group)
        puts = [w for w in outcome.writes.values() if w is not None]
        hub.store.write_page(puts, then=tags.page([w.graph for w in puts]))
        _record_state(hub, source, outcome, puts, [], run_id)
        recovered += len(puts)
    return recovered


def _drop_unseen(hub: Hub, source: Source, seen: set[str], summary: RunSummary, tags: Tagger) -> None:
    """After a complete full harvest, records the source no longer lists have left it."""
    prefix = record_iri(hub.settings.base, source.name, "")
    gone = [g for g in hub.store.graphs(prefix) if g not in seen]
    if gone:
        hub.store.write_page([], gone, then=tags.page([], gone))
        changes = publish.page_changes(hub, source.name, [], gone)
        with hub.state.transaction():
            hub.state.forget_raw(source.name, [unquote(g[len(prefix) :]) for g in gone])
            publish.record(hub, changes)
        summary.deleted += len(gone)
        summary.notes.append(f"{len(gone)} records no longer listed by the source were removed")


def _quarantine(
    source: Source, identifier: str, record: OaiRecord, prefix: str, stage: str, reason: str
) -> Quarantined:
    return Quarantined(source.name, identifier, record.datestamp, prefix, stage, reason, record.raw)


def _in_granularity(stamp: str | None, granularity: str | None) -> str | None:
    """A UTC datestamp cut to the source's granularity (OAI-PMH 2.0 §3.3.2)."""
    if not stamp:
        return None
    stamp = stamp.strip()
    if granularity == "YYYY-MM-DD" or len(stamp) == 10:
        return stamp[:10]
    return stamp
