"""A fault-injecting OAI-PMH 2.0 server on 127.0.0.1, driven by data (tests/fixtures/faults/).

The server serves one *feed*: records whose payloads are the real ones of the recorded
responses under ``tests/fixtures/`` (read from those files, each payload re-serialized by
lxml; provenance in ``tests/fixtures/PROVENANCE.md``, the data format in
``tests/fixtures/faults/README.md``), with their OAI identifiers and datestamps. A feed has
**phases**: the feed as it is at run 1, run 2, …; a phase patches the previous one (delete a
record, re-add it, change its content, move its datestamp, even backwards). It answers
Identify (seconds granularity, persistent deleted records), ListMetadataFormats, ListRecords
(resumption tokens, ``from``/``until`` on datestamps, deleted records as headers with
``status="deleted"``) and GetRecord.

**Faults** are rules (:class:`Fault`) matched by verb, page of the list, attempt (the n-th
request for that verb and page in the current run) and run; a matching rule replaces or
damages the answer: an HTTP status with or without ``Retry-After``, a connection reset in
mid-body, a server that hangs or trickles, a body cut short, an OAI error with a non-200
status, an HTML page or an empty body with 200, damaged record XML, a wrong declared
encoding, expired resumption tokens, duplicated records. Every request is logged
(:attr:`FaultServer.requests`) so tests count what the harvester asked, instead of timing
it.
"""

from __future__ import annotations

import hashlib
import json
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
from lxml import etree

from exchange.hub import Hub
from exchange.model import record_iri
from exchange.provider.publish import item_of
from exchange.tagging import assessments_graph

FIXTURES = Path(__file__).parent / "fixtures"
FAULTS = FIXTURES / "faults"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
CREATED = "http://purl.org/dc/terms/created"

#: fault kinds that replace the whole answer (the first matching rule of these kinds wins)
ANSWER_KINDS = frozenset(
    {"status", "reset", "hang", "trickle", "truncate", "html", "empty", "oai_error", "expire_tokens"}
)
#: fault kinds that damage the page's XML (all matching rules apply, in order)
DAMAGE_KINDS = frozenset({"replace", "encoding"})
#: fault kinds that change the list itself (records listed twice)
LIST_KINDS = frozenset({"duplicate"})

MAINTENANCE_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Service temporarily unavailable</title></head>"
    "<body><h1>Down for maintenance</h1><p>The repository is being upgraded. Please come back later.</p>"
    "</body></html>\n"
)


# ---------------------------------------------------------------------- feed


@dataclass(frozen=True)
class Record:
    """One item of the feed: a live record (``payload`` is its XML) or a deleted one (None)."""

    identifier: str
    datestamp: str
    payload: str | None

    @property
    def deleted(self) -> bool:
        return self.payload is None


@dataclass(frozen=True)
class Phase:
    """The feed as it is during one run: its records in listing order and the server's clock."""

    now: str
    records: tuple[Record, ...]

    def live(self) -> dict[str, Record]:
        return {r.identifier: r for r in self.records if not r.deleted}

    def deleted(self) -> set[str]:
        return {r.identifier for r in self.records if r.deleted}


@dataclass
class Feed:
    """What the server lists: one metadata format, its pages, and the phases of its records."""

    prefix: str
    namespace: str
    schema: str
    page_size: int
    phases: list[Phase]
    #: listing order: "datestamp" (then identifier), "identifier", or "listed" (as in the data)
    order: str = "datestamp"
    #: HTTP status of OAI-PMH errors: 200 as the protocol says, 422 as Zenodo does
    error_status: int = 200
    earliest: str = "1990-01-01T00:00:00Z"
    #: seconds to wait before answering each ListRecords page (realistic latency)
    latency: float = 0.0

    def phase(self, number: int) -> Phase:
        return self.phases[min(number, len(self.phases) - 1)]


def read_records(path: Path, first: int | None = None, ids: Iterable[str] | None = None) -> list[Record]:
    """The records of a recorded ListRecords response, payloads as lxml serializes them: the
    ``first`` ones, or those of ``ids``, or all."""
    wanted = set(ids) if ids is not None else None
    root = etree.parse(str(path)).getroot()
    found: list[Record] = []
    for element in root.iter(f"{OAI}record"):
        header = element.find(f"{OAI}header")
        if header is None:
            continue
        identifier = (header.findtext(f"{OAI}identifier") or "").strip()
        datestamp = (header.findtext(f"{OAI}datestamp") or "").strip()
        if not identifier or not datestamp or (wanted is not None and identifier not in wanted):
            continue
        payload = None
        if header.get("status") != "deleted":
            metadata = element.find(f"{OAI}metadata")
            children = [c for c in metadata if isinstance(c.tag, str)] if metadata is not None else []
            if not children:
                continue
            payload = etree.tostring(children[0], encoding="unicode")
        found.append(Record(identifier, _seconds(datestamp), payload))
        if first is not None and len(found) == first:
            break
    return found


def _seconds(datestamp: str) -> str:
    """A datestamp in seconds granularity (day-granular sources get midnight)."""
    return f"{datestamp}T00:00:00Z" if len(datestamp) == 10 else datestamp


def _copies(records: list[Record], spec: Mapping[str, Any]) -> list[Record]:
    """SYNTHETIC records: copies of real payloads under new identifiers (``{id}`` and ``{n}``)."""
    made: list[Record] = []
    live = [r for r in records if not r.deleted]
    for n in range(1, int(spec["count"]) + 1):
        original = live[(n - 1) % len(live)]
        identifier = spec.get("id", "{id}:copy-{n}").format(id=original.identifier, n=n)
        made.append(Record(identifier, original.datestamp, original.payload))
    return made


def load_feed(spec: Mapping[str, Any], phases: Iterable[Mapping[str, Any]] = ()) -> Feed:
    """A feed from its data (see tests/fixtures/faults/README.md): files of real records, then phases."""
    records: list[Record] = []
    for source in spec["records"]:
        records.extend(read_records(FIXTURES / source["file"], source.get("first"), source.get("ids")))
    if "copies" in spec:
        records.extend(_copies(records, spec["copies"]))
    seen: set[str] = set()
    for record in records:
        if record.identifier in seen:
            raise ValueError(f"feed lists {record.identifier} twice; use a 'duplicate' fault for that")
        seen.add(record.identifier)
    history = {r.identifier: r.payload for r in records if r.payload is not None}
    first = Phase(spec["now"], tuple(records))
    feed = Feed(
        prefix=spec["prefix"],
        namespace=spec["namespace"],
        schema=spec.get("schema", ""),
        page_size=int(spec["page_size"]),
        phases=[first],
        order=spec.get("order", "datestamp"),
        error_status=int(spec.get("error_status", 200)),
        latency=float(spec.get("latency", 0.0)),
    )
    for patch in phases:
        feed.phases.append(apply_patch(feed.phases[-1], patch, history))
    return feed


def apply_patch(phase: Phase, patch: Mapping[str, Any], history: dict[str, str]) -> Phase:
    """The next phase: ``delete`` {id: datestamp}, ``upsert`` {id: {datestamp, like?, replace?}}.

    ``history`` holds the last payload of every record ever listed, so a record deleted in one
    phase can come back in a later one with the content it had."""
    records = {r.identifier: r for r in phase.records}
    order = [r.identifier for r in phase.records]
    originals = {r.identifier: r for r in phase.records if not r.deleted}
    for identifier, stamp in patch.get("delete", {}).items():
        if identifier not in records:
            raise ValueError(f"phase deletes {identifier}, which the feed never had")
        records[identifier] = Record(identifier, stamp, None)
    for identifier, change in patch.get("upsert", {}).items():
        old = records.get(identifier)
        like = change.get("like")
        payload = originals[like].payload if like else (old.payload if old else None)
        if payload is None:  # re-added after a deletion: the payload it had before
            if identifier not in history:
                raise ValueError(f"{identifier} is re-added but never had a payload; name one with 'like'")
            payload = history[identifier]
        if "replace" in change:
            payload = _replace_once(payload, *change["replace"], what=identifier)
        history[identifier] = payload
        records[identifier] = Record(identifier, change["datestamp"], payload)
        if identifier not in order:
            order.append(identifier)
    return Phase(patch["now"], tuple(records[i] for i in order))


def _replace_once(text: str, old: str, new: str, *, what: str, count: int = 1) -> str:
    if old not in text:
        raise ValueError(f"{what}: {old!r} does not occur, the fault would change nothing")
    return text.replace(old, new, count)


# ---------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """One rule. ``kind`` says what it does; ``verb``, ``page``, ``attempts``, ``run`` when.

    ``attempts`` lists which tries of that (verb, page) in a run it answers (None: every one);
    ``page`` is the page of the current list (1 = the request without a token).
    """

    kind: str
    verb: str | None = "ListRecords"
    page: int | None = None
    attempts: tuple[int, ...] | None = None
    run: int | None = None
    #: status and oai_error: the HTTP status (default 503, and 422 as Zenodo for oai_error)
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    #: status: Retry-After in seconds, or as an HTTP-date this many seconds ahead
    retry_after: int | None = None
    retry_after_date: int | None = None
    #: reset / truncate: share of the body sent before the cut
    fraction: float = 0.5
    #: hang: send the headers first (else nothing at all)
    headers_first: bool = True
    #: oai_error: the OAI-PMH error code and message
    code: str = "badArgument"
    message: str = ""
    #: replace: the record damaged, the text replaced, its replacement, how often
    record: str | None = None
    old: str = ""
    new: str = ""
    count: int = 1
    #: encoding: what the declaration says and how the bytes are encoded
    declare: str = "UTF-8"
    encode: str = "utf-8"
    #: duplicate: insert another copy of ``record`` after the record ``after`` or before ``before``
    #: (neither: at the end), with another datestamp, or the payload of ``like``, or old→new
    after: str | None = None
    before: str | None = None
    datestamp: str | None = None
    like: str | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Fault:
        values = dict(data)
        values.pop("why", None)
        if values.get("attempts") is not None:
            values["attempts"] = tuple(values["attempts"])
        fault = cls(**values)
        if fault.kind not in ANSWER_KINDS | DAMAGE_KINDS | LIST_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        return fault

    def matches(self, run: int, verb: str | None, page: int | None, attempt: int) -> bool:
        return (
            (self.run is None or self.run == run)
            and (self.verb is None or self.verb == verb)
            and (self.page is None or self.page == page)
            and (self.attempts is None or attempt in self.attempts)
        )


@dataclass
class Request:
    """One request as the server saw it."""

    run: int
    verb: str | None
    page: int | None
    attempt: int
    params: dict[str, str]
    fault: str | None
    faults_on: bool


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    fault: Fault | None = None


# ---------------------------------------------------------------------- protocol


class _Protocol:
    """OAI-PMH over the feed in its current phase, with the faults that apply."""

    def __init__(self, feed: Feed, faults: list[Fault]) -> None:
        self.feed = feed
        self.faults = faults
        self.faults_on = True
        self.run = 0
        self.phase_number = 0
        #: tokens of an older generation are forgotten (an expired token)
        self.generation = 0
        self.attempts: dict[tuple[str | None, int | None], int] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    @property
    def phase(self) -> Phase:
        return self.feed.phase(self.phase_number)

    def active(self, kinds: frozenset[str]) -> list[Fault]:
        if not self.faults_on:
            return []
        return [f for f in self.faults if f.kind in kinds and (f.run is None or f.run == self.run)]

    # -------------------------------------------------------------- answering

    def answer(self, params: dict[str, str], url: str) -> Answer:
        with self.lock:
            verb = params.get("verb")
            page = self._page_of(params) if verb == "ListRecords" else None
            key = (verb, page)
            self.attempts[key] = attempt = self.attempts.get(key, 0) + 1
            fault = next(
                (f for f in self.active(ANSWER_KINDS) if f.matches(self.run, verb, page, attempt)),
                None,
            )
            self.requests.append(
                Request(self.run, verb, page, attempt, dict(params), fault.kind if fault else None, self.faults_on)
            )
            damage = [f for f in self.active(DAMAGE_KINDS) if f.matches(self.run, verb, page, attempt)]
            if fault is not None and fault.kind == "expire_tokens":
                self.generation += 1
            answer = self._protocol(params, url, damage)
            return self._faulted(answer, fault, url) if fault is not None else answer

    def _page_of(self, params: dict[str, str]) -> int | None:
        token = params.get("resumptionToken")
        if token is None:
            return 1
        parsed = _parse_token(token)
        return parsed[1] // self.feed.page_size + 1 if parsed else None

    def _faulted(self, answer: Answer, fault: Fault, url: str) -> Answer:
        kind = fault.kind
        if kind == "status":
            headers = {"Content-Type": "text/plain; charset=utf-8", **fault.headers}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            if fault.retry_after_date is not None:
                when = datetime.now(UTC) + timedelta(seconds=fault.retry_after_date)
                headers["Retry-After"] = format_datetime(when, usegmt=True)
            body = fault.body if fault.body is not None else f"Error {fault.status}\n"
            return Answer(fault.status or 503, headers, body.encode("utf-8"), fault)
        if kind == "html":
            return Answer(200, {"Content-Type": "text/html; charset=utf-8"}, MAINTENANCE_PAGE.encode(), fault)
        if kind == "empty":
            return Answer(200, {"Content-Type": "text/xml; charset=utf-8"}, b"", fault)
        if kind == "oai_error":
            body = self._error(url, {}, fault.code, fault.message or f"{fault.code} (injected)")
            return Answer(fault.status or 422, {"Content-Type": "text/xml; charset=utf-8"}, body, fault)
        # reset, hang, trickle, truncate and expire_tokens work on the answer the protocol made
        return replace(answer, fault=fault)

    def _protocol(self, params: dict[str, str], url: str, damage: list[Fault]) -> Answer:
        verb = params.get("verb")
        xml_headers = {"Content-Type": "text/xml; charset=utf-8"}
        if verb == "Identify":
            return Answer(200, xml_headers, self._identify(url, params))
        if verb == "ListMetadataFormats":
            return Answer(200, xml_headers, self._formats(url, params))
        if verb == "ListRecords":
            return self._list_records(params, url, damage)
        if verb == "GetRecord":
            return self._get_record(params, url)
        return self._error_answer(url, params, "badVerb", f"illegal verb {verb!r}")

    def _error_answer(self, url: str, params: dict[str, str], code: str, message: str) -> Answer:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        return Answer(self.feed.error_status, headers, self._error(url, params, code, message))

    def _list_records(self, params: dict[str, str], url: str, damage: list[Fault]) -> Answer:
        token = params.get("resumptionToken")
        if token is not None:
            parsed = _parse_token(token)
            if parsed is None or parsed[0] != self.generation:
                return self._error_answer(url, params, "badResumptionToken", "the resumptionToken has expired")
            _, offset, prefix, from_, until = parsed
        else:
            offset, prefix = 0, params.get("metadataPrefix", "")
            from_, until = params.get("from") or "", params.get("until") or ""
            if params.get("set"):
                return self._error_answer(url, params, "noSetHierarchy", "this repository has no sets")
            for value in (from_, until):
                if value and not _valid_stamp(value):
                    return self._error_answer(url, params, "badArgument", f"illegal datestamp {value!r}")
        if prefix != self.feed.prefix:
            return self._error_answer(url, params, "cannotDisseminateFormat", f"no format {prefix!r}")
        listed = [r for r in self.listing() if _within(r.datestamp, from_, until)]
        if not listed:
            return self._error_answer(url, params, "noRecordsMatch", "no records match")
        size = self.feed.page_size
        page = listed[offset : offset + size]
        parts = [self._record_xml(r, damage) for r in page]
        if offset + size < len(listed):
            next_token = f"{self.generation}|{offset + size}|{prefix}|{from_}|{until}"
            parts.append(
                f'<resumptionToken completeListSize="{len(listed)}" cursor="{offset}">{escape(next_token)}'
                "</resumptionToken>"
            )
        elif token is not None:
            parts.append(f'<resumptionToken completeListSize="{len(listed)}" cursor="{offset}"/>')
        text = self._envelope(url, params, f"<ListRecords>{''.join(parts)}</ListRecords>")
        return Answer(200, {"Content-Type": "text/xml; charset=utf-8"}, self._encoded(text, damage))

    def _get_record(self, params: dict[str, str], url: str) -> Answer:
        if params.get("metadataPrefix") != self.feed.prefix:
            return self._error_answer(url, params, "cannotDisseminateFormat", "no such format")
        found = next((r for r in self.phase.records if r.identifier == params.get("identifier")), None)
        if found is None:
            return self._error_answer(url, params, "idDoesNotExist", "no such record")
        body = self._envelope(url, params, f"<GetRecord>{self._record_xml(found, [])}</GetRecord>")
        return Answer(200, {"Content-Type": "text/xml; charset=utf-8"}, body.encode("utf-8"))

    def listing(self) -> list[Record]:
        """The current phase's records in listing order, with any duplicates the faults add."""
        records = list(self.phase.records)
        if self.feed.order == "datestamp":
            records.sort(key=lambda r: (r.datestamp, r.identifier))
        elif self.feed.order == "identifier":
            records.sort(key=lambda r: r.identifier)
        for fault in self.active(LIST_KINDS):
            original = next(r for r in records if r.identifier == fault.record)
            payload = original.payload
            if fault.like is not None:
                payload = self.phase.live()[fault.like].payload
            if payload is not None and fault.old:
                payload = _replace_once(payload, fault.old, fault.new, what=f"duplicate of {fault.record}")
            copy = Record(original.identifier, fault.datestamp or original.datestamp, payload)
            position = len(records)
            if fault.after is not None:
                position = next(i for i, r in enumerate(records) if r.identifier == fault.after) + 1
            elif fault.before is not None:
                position = next(i for i, r in enumerate(records) if r.identifier == fault.before)
            records.insert(position, copy)
        return records

    def _record_xml(self, record: Record, damage: list[Fault]) -> str:
        header = f"<identifier>{escape(record.identifier)}</identifier><datestamp>{record.datestamp}</datestamp>"
        if record.deleted:
            return f'<record><header status="deleted">{header}</header></record>'
        payload = record.payload or ""
        for fault in damage:
            if fault.kind == "replace" and fault.record == record.identifier:
                payload = _replace_once(payload, fault.old, fault.new, what=record.identifier, count=fault.count)
        return f"<record><header>{header}</header><metadata>{payload}</metadata></record>"

    @staticmethod
    def _encoded(text: str, damage: list[Fault]) -> bytes:
        for fault in damage:
            if fault.kind == "encoding":
                declared = text.replace('encoding="UTF-8"', f'encoding="{fault.declare}"', 1)
                return declared.encode(fault.encode, "xmlcharrefreplace")
        return text.encode("utf-8")

    # -------------------------------------------------------------- documents

    def _envelope(self, url: str, params: Mapping[str, str], inner: str) -> str:
        attributes = "".join(f" {k}={quoteattr(v)}" for k, v in params.items() if k.isalpha())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
            'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
            f"<responseDate>{self.phase.now}</responseDate>\n"
            f"<request{attributes}>{escape(url)}</request>\n{inner}\n</OAI-PMH>\n"
        )

    def _error(self, url: str, params: Mapping[str, str], code: str, message: str) -> bytes:
        inner = f"<error code={quoteattr(code)}>{escape(message)}</error>"
        return self._envelope(url, params, inner).encode("utf-8")

    def _identify(self, url: str, params: Mapping[str, str]) -> bytes:
        inner = (
            "<Identify><repositoryName>EduHub fault-injecting test server</repositoryName>"
            f"<baseURL>{escape(url)}</baseURL><protocolVersion>2.0</protocolVersion>"
            "<adminEmail>nobody@example.org</adminEmail>"
            f"<earliestDatestamp>{self.feed.earliest}</earliestDatestamp>"
            f"<deletedRecord>persistent</deletedRecord><granularity>{GRANULARITY}</granularity></Identify>"
        )
        return self._envelope(url, params, inner).encode("utf-8")

    def _formats(self, url: str, params: Mapping[str, str]) -> bytes:
        feed = self.feed
        inner = (
            "<ListMetadataFormats><metadataFormat>"
            f"<metadataPrefix>{escape(feed.prefix)}</metadataPrefix><schema>{escape(feed.schema)}</schema>"
            f"<metadataNamespace>{escape(feed.namespace)}</metadataNamespace>"
            "</metadataFormat></ListMetadataFormats>"
        )
        return self._envelope(url, params, inner).encode("utf-8")


def _parse_token(token: str) -> tuple[int, int, str, str, str] | None:
    parts = token.split("|")
    if len(parts) != 5 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1]), parts[2], parts[3], parts[4]


def _valid_stamp(value: str) -> bool:
    for shape in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            datetime.strptime(value, shape)
            return True
        except ValueError:
            continue
    return False


def _within(datestamp: str, from_: str, until: str) -> bool:
    """OAI-PMH 2.0 §2.7.1: from and until are inclusive, in either granularity."""
    if from_ and datestamp[: len(from_)] < from_:
        return False
    return not (until and datestamp[: len(until)] > until)


# ---------------------------------------------------------------------- HTTP


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (timed out, killed) is part of the tests, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError | OSError):
            super().handle_error(request, client_address)


class FaultServer:
    """The feed over real HTTP on 127.0.0.1; a context manager. One instance can serve the
    faulty feed and, with :meth:`begin_run` ``faults=False``, the same feed without faults, at
    the same URL (record graphs name the source's URL, so ground truth must share it)."""

    def __init__(self, feed: Feed, faults: Iterable[Fault] = ()) -> None:
        self.protocol = _Protocol(feed, list(faults))
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/oai":
                    self._send(Answer(404, {"Content-Type": "text/plain"}, b"no such path"))
                    return
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                if params.get("verb") == "ListRecords" and server.protocol.feed.latency:
                    time.sleep(server.protocol.feed.latency)
                self._send(server.protocol.answer(params, server.url))

            def _send(self, answer: Answer) -> None:
                kind = answer.fault.kind if answer.fault is not None else None
                body = answer.body
                if kind == "truncate":  # cut short, but the Content-Length matches what is sent
                    body = body[: int(len(body) * answer.fault.fraction)]  # type: ignore[union-attr]
                if kind == "hang" and not answer.fault.headers_first:  # type: ignore[union-attr]
                    self._hold()
                    return
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if kind == "hang":
                    self.wfile.flush()
                    self._hold()
                elif kind == "reset":
                    self.wfile.write(body[: int(len(body) * answer.fault.fraction)])  # type: ignore[union-attr]
                    self._reset()
                elif kind == "trickle":
                    self._trickle(body)
                else:
                    self.wfile.write(body)

            def _hold(self) -> None:
                """Say nothing more until the client gives up (or the server stops)."""
                self.close_connection = True
                sock = self.connection
                while not server.stopping.is_set():
                    readable, _, _ = select.select([sock], [], [], 0.05)
                    if readable:
                        try:
                            if not sock.recv(1, socket.MSG_PEEK):
                                return
                        except OSError:
                            return

            def _reset(self) -> None:
                """Close hard: SO_LINGER 0 makes the kernel send RST instead of FIN."""
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

            def _trickle(self, body: bytes) -> None:
                """One byte every 50 ms: each read succeeds, the whole body takes far too long."""
                self.close_connection = True
                for index in range(len(body)):
                    if server.stopping.is_set():
                        return
                    try:
                        self.wfile.write(body[index : index + 1])
                    except OSError:
                        return
                    time.sleep(0.05)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oai"

    @property
    def requests(self) -> list[Request]:
        return self.protocol.requests

    def begin_run(self, run: int, phase: int, *, faults: bool = True) -> None:
        """Before each harvest: which run it is, which phase the feed is in, faults on or off.
        Attempt counters start again; tokens of the previous run are forgotten."""
        with self.protocol.lock:
            self.protocol.run = run
            self.protocol.phase_number = phase
            self.protocol.faults_on = faults
            self.protocol.attempts.clear()
            self.protocol.generation += 1

    def count(self, *, run: int | None = None, verb: str | None = None, page: int | None = None) -> int:
        """Requests the faulty runs made, optionally only of one run, verb and page."""
        return sum(
            1
            for r in self.requests
            if r.faults_on
            and (run is None or r.run == run)
            and (verb is None or r.verb == verb)
            and (page is None or r.page == page)
        )

    def start(self) -> FaultServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fault-oai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


# ---------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Run:
    """One harvest of a scenario and what must come of it."""

    phase: int = 0
    full: bool = False
    #: the faulty run's status: ok | failed
    status: str = "ok"
    #: substrings (any case) the run's notes must contain; the error must contain
    notes: tuple[str, ...] = ()
    error: tuple[str, ...] = ()
    #: exact counts of the faulty run's summary (added, updated, deleted, quarantined, pages)
    counts: Mapping[str, int] = field(default_factory=dict)
    #: requests the server must have had in this run: {"verb", "page", "count"}
    requests: tuple[Mapping[str, Any], ...] = ()
    #: the mode the faulty run must have taken: full | incremental (None: not checked)
    mode: str | None = None
    #: OAI identifiers the faulty hub must hold in quarantine after this run: the records that
    #: cannot be repaired (ground truth, harvested without faults, has them stored)
    quarantine: tuple[str, ...] = ()
    #: compare with ground truth right after this run (always done after the last run)
    compare: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    covers: str
    feed: str
    phases: tuple[Mapping[str, Any], ...]
    faults: tuple[Fault, ...]
    runs: tuple[Run, ...]
    #: RetryPolicy fields that differ from the tests' default policy
    policy: Mapping[str, float]
    #: feed fields that differ from the named feed (order, error_status, page_size)
    feed_options: Mapping[str, Any]

    def feed_of(self, feeds: Mapping[str, Mapping[str, Any]]) -> Feed:
        return load_feed({**feeds[self.feed], **self.feed_options}, self.phases)


def load_scenarios(path: Path = FAULTS / "scenarios.json") -> tuple[dict[str, Any], list[Scenario]]:
    """The feeds and the scenarios of a scenario file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    scenarios = []
    for item in data["scenarios"]:
        runs = tuple(
            Run(**{**r, **{k: tuple(r[k]) for k in ("notes", "error", "requests", "quarantine") if k in r}})
            for r in item.get("runs", [{}])
        )
        scenarios.append(
            Scenario(
                name=item["name"],
                covers=item.get("covers", ""),
                feed=item["feed"],
                phases=tuple(item.get("phases", ())),
                faults=tuple(Fault.of(f) for f in item.get("faults", ())),
                runs=runs,
                policy=item.get("policy", {}),
                feed_options=item.get("feed_options", {}),
            )
        )
    return data["feeds"], scenarios


# ---------------------------------------------------------------------- comparing hubs


def canonical(triples: Sequence[ox.Triple]) -> frozenset[str]:
    """N-Triples lines of one graph, blank nodes renamed after what surrounds them (a few
    rounds of neighbourhood hashing), so isomorphic graphs give equal sets."""
    blanks = {t for triple in triples for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)}
    names = {b: "" for b in blanks}

    def term(value: object) -> str:
        return f"_:{names[value]}" if isinstance(value, ox.BlankNode) else str(value)

    for _ in range(4 if blanks else 0):
        names = {
            b: hashlib.sha256(
                "\n".join(
                    sorted(
                        [f"> {t.predicate} {term(t.object)}" for t in triples if t.subject == b]
                        + [f"< {term(t.subject)} {t.predicate}" for t in triples if t.object == b]
                    )
                ).encode()
            ).hexdigest()[:16]
            for b in blanks
        }
    return frozenset(f"{term(t.subject)} {t.predicate} {term(t.object)} ." for t in triples)


@dataclass
class Snapshot:
    """What a hub holds for one source, in comparable form."""

    base: str
    source: str
    #: record graph -> canonical N-Triples
    graphs: dict[str, frozenset[str]]
    #: the source's assessments graph without the assessment times (dcterms:created)
    assessments: frozenset[str]
    #: the publication log's live items
    live: set[str]
    #: OAI identifier -> datestamp of each archived payload
    raw: dict[str, str | None]
    quarantine: set[str]
    last_status: str | None
    #: statuses of the source's runs, newest first
    runs: list[str]


def snapshot(hub: Hub, source: str) -> Snapshot:
    base = hub.settings.base
    names = hub.store.graphs(record_iri(base, source, ""))
    found = hub.store.triples(names)
    assessed = hub.store.triples([assessments_graph(base, source)])
    return Snapshot(
        base=base,
        source=source,
        graphs={name: canonical(found.get(name, [])) for name in names},
        assessments=frozenset(
            line
            for triples in assessed.values()
            for line in canonical([t for t in triples if t.predicate.value != CREATED])
        ),
        live=hub.publication.live_items(source),
        raw={r.oai_identifier: r.datestamp for r in hub.state.raw_records(source)},
        quarantine={q.oai_identifier for q in hub.state.quarantined(source)},
        last_status=hub.state.source(source).last_status,
        runs=[run["status"] for run in hub.state.runs(source)],
    )


def assert_consistent(name: str, got: Snapshot) -> None:
    """Within one hub: the publication log lists exactly the stored graphs, the archive holds
    exactly their payloads."""
    stored = {item_of(got.base, g) for g in got.graphs}
    assert got.live == stored, (
        f"{name}: publication log and store disagree; live but no graph: {sorted(got.live - stored)[:5]}, "
        f"graph but not live: {sorted(stored - got.live)[:5]}"
    )
    archived = {record_iri(got.base, got.source, i) for i in got.raw}
    assert archived == set(got.graphs), (
        f"{name}: archive and store disagree; archived only: {sorted(archived - set(got.graphs))[:5]}, "
        f"stored only: {sorted(set(got.graphs) - archived)[:5]}"
    )


def assert_matches_truth(got: Snapshot, truth: Snapshot, quarantined: set[str], where: str) -> None:
    """The hub under test holds ground truth, except the records that cannot be repaired."""
    assert_consistent(f"{where}: ground truth", truth)
    assert_consistent(f"{where}: hub under test", got)
    assert truth.quarantine == set(), f"{where}: ground truth quarantined {truth.quarantine}"
    assert got.quarantine == quarantined, f"{where}: quarantine holds {sorted(got.quarantine)}"
    kept_aside = {record_iri(truth.base, truth.source, i) for i in quarantined}
    expected = {g: lines for g, lines in truth.graphs.items() if g not in kept_aside}
    missing, extra = sorted(set(expected) - set(got.graphs)), sorted(set(got.graphs) - set(expected))
    assert not missing and not extra, f"{where}: graphs missing {missing[:5]}, not in ground truth {extra[:5]}"
    differing = [g for g in expected if got.graphs[g] != expected[g]]
    if differing:
        first = differing[0]
        only_got, only_truth = sorted(got.graphs[first] - expected[first]), sorted(expected[first] - got.graphs[first])
        raise AssertionError(
            f"{where}: {len(differing)} graphs differ from ground truth, first {first}:\n"
            f"  only in the hub under test: {only_got[:5]}\n  only in ground truth: {only_truth[:5]}"
        )
    assert got.raw == {i: d for i, d in truth.raw.items() if i not in quarantined}, (
        f"{where}: archived payload datestamps differ from ground truth"
    )
    if not quarantined:  # source-wide rules (duplicate titles) see the records kept aside
        assert got.assessments == truth.assessments, (
            f"{where}: assessments differ; only under test: {sorted(got.assessments - truth.assessments)[:3]}, "
            f"only truth: {sorted(truth.assessments - got.assessments)[:3]}"
        )
