"""OAI-PMH 2.0 harvesting client: Identify, ListMetadataFormats and paged ListRecords.

HTTP, retries and politeness are in :mod:`harvesters.http`. Here each answer is read as
OAI-PMH: an ``<error>`` is an :class:`OaiError` whatever the HTTP status (Zenodo sends
them with 422), a 200 that is empty, an HTML page or cut short is retried like a 503, and
a page that is not well-formed is repaired where the repair loses nothing
(:func:`harvesters.xml.repair`) and otherwise salvaged record by record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from exchange import __version__
from harvesters import xml
from harvesters.http import Fetcher, FetchError, HostGate, Response, RetryPolicy

log = logging.getLogger(__name__)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
USER_AGENT = f"eduhub-exchange/{__version__} (OAI-PMH harvester)"
_CLOSED = re.compile(rb"</(?:[\w.-]+:)?OAI-PMH\s*>\s*$")
_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL)


class HarvestError(RuntimeError):
    """The source could not be harvested; the message is meant for the operator."""


class OaiError(HarvestError):
    """The source answered with an OAI-PMH ``<error>``; ``code`` is the wire code."""

    def __init__(self, code: str, message: str, request: str = "") -> None:
        text = f"OAI-PMH error {code}: {message}" if message else f"OAI-PMH error {code}"
        super().__init__(f"{request}: {text}" if request else text)
        self.code = code


@dataclass(frozen=True)
class Identify:
    repository_name: str | None
    granularity: str
    earliest_datestamp: str | None
    deleted_record: str | None
    response_date: str | None


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    namespace: str | None
    schema: str | None


@dataclass
class OaiRecord:
    """One ``<record>`` of a ListRecords page."""

    identifier: str | None
    datestamp: str | None
    deleted: bool
    payload: etree._Element | None = None
    raw: str | None = None
    #: why the record could not be read (parse errors of a salvaged page)
    error: str | None = None


@dataclass
class Page:
    number: int
    records: list[OaiRecord]
    token: str | None
    response_date: str | None
    complete_list_size: int | None = None
    salvaged: bool = False
    notes: list[str] = field(default_factory=list)


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def describe(query: dict[str, str]) -> str:
    """A request as an operator reads it: ``ListRecords metadataPrefix=lom from=2020-01-01``."""
    args = " ".join(f"{k}={v if len(v) < 60 else v[:57] + '...'}" for k, v in query.items() if k != "verb")
    return f"{query.get('verb', '?')} {args}".strip()


def unusable(response: Response) -> str | None:
    """Why a 200 answer cannot be an OAI-PMH response and is worth asking again, or None.

    Servers behind proxies answer 200 with an empty body or a maintenance page, or close the
    connection early with a body that still ends cleanly at a chunk boundary.
    """
    if response.status != 200:
        return None
    body = response.body
    if not body.strip():
        return "HTTP 200 with an empty body"
    if _HTML.match(body[:2000]):
        return "an HTML page instead of OAI-PMH XML"
    if not _CLOSED.search(body[-400:]):
        return f"the response is cut short ({len(body)} bytes, no closing </OAI-PMH>)"
    return None


class OaiClient:
    def __init__(
        self,
        base_url: str,
        *,
        policy: RetryPolicy | None = None,
        gate: HostGate | None = None,
    ) -> None:
        self.base_url = base_url
        self._http = Fetcher(policy, gate, user_agent=USER_AGENT)
        #: what the transport had to insist on (retries), for the run's notes
        self.notes: list[str] = []

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OaiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def _fetch(self, query: dict[str, str]) -> bytes:
        """The body of a successful answer; an OAI-PMH ``<error>`` in any status raises OaiError."""
        try:
            response = self._http.get(self.base_url, query, retry_body=unusable)
        except FetchError as error:
            raise HarvestError(f"{describe(query)}: {error}") from None
        if response.retries:
            self.notes.append(
                f"{describe(query)}: answered after {len(response.retries)} retries ({response.retries[-1]})"
            )
        error = _oai_error(response.body)
        if error is not None:
            code, message = error
            raise OaiError(code, message, describe(query))
        if response.status != 200:
            snippet = response.body[:200].decode("utf-8", "replace").strip().replace("\n", " ")
            raise HarvestError(f"{self.base_url} answered HTTP {response.status}: {snippet or '(empty body)'}")
        return response.body

    def _document(self, query: dict[str, str]) -> etree._Element:
        body = self._fetch(query)
        try:
            root = xml.parse(body)
        except etree.XMLSyntaxError as error:
            try:
                root = xml.parse(xml.repair(body)[0])
            except etree.XMLSyntaxError:
                raise HarvestError(f"{query.get('verb')} response is not well-formed XML: {error}") from None
        if root.tag != f"{OAI}OAI-PMH":
            raise HarvestError(f"{query.get('verb')} response is not an OAI-PMH document (root <{root.tag}>)")
        return root

    # ------------------------------------------------------------------ verbs

    def identify(self) -> Identify:
        root = self._document({"verb": "Identify"})
        identify = root.find(f"{OAI}Identify")
        if identify is None:
            raise HarvestError("Identify response has no <Identify> element")
        return Identify(
            repository_name=_text(identify.find(f"{OAI}repositoryName")),
            granularity=_text(identify.find(f"{OAI}granularity")) or "YYYY-MM-DD",
            earliest_datestamp=_text(identify.find(f"{OAI}earliestDatestamp")),
            deleted_record=_text(identify.find(f"{OAI}deletedRecord")),
            response_date=_text(root.find(f"{OAI}responseDate")),
        )

    def list_metadata_formats(self) -> list[MetadataFormat]:
        root = self._document({"verb": "ListMetadataFormats"})
        return [
            MetadataFormat(
                prefix=_text(fmt.find(f"{OAI}metadataPrefix")) or "",
                namespace=_text(fmt.find(f"{OAI}metadataNamespace")),
                schema=_text(fmt.find(f"{OAI}schema")),
            )
            for fmt in root.iter(f"{OAI}metadataFormat")
        ]

    def list_records(
        self, metadata_prefix: str, *, set_spec: str | None = None, from_: str | None = None
    ) -> Iterator[Page]:
        """Yield ListRecords pages until the list ends.

        The end of a list comes in several shapes in the wild (PROVENANCE.md): an empty
        token with attributes, a bare ``<resumptionToken/>``, a whitespace-only token, or
        no token element at all. All of them end the list here. ``noRecordsMatch``
        (OAI-PMH 2.0 §3.6) is an empty list, not a failure.
        """
        query = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
        if set_spec:
            query["set"] = set_spec
        if from_:
            query["from"] = from_
        number = 0
        seen_tokens: set[str] = set()
        while True:
            try:
                body = self._fetch(query)
            except OaiError as error:
                if error.code == "noRecordsMatch":
                    return
                raise
            number += 1
            page = parse_page(body, number)
            yield page
            if not page.token:
                return
            if page.token in seen_tokens:
                raise HarvestError(f"the source sent resumptionToken {page.token!r} twice; stopping to avoid a loop")
            seen_tokens.add(page.token)
            query = {"verb": "ListRecords", "resumptionToken": page.token}


def parse_page(body: bytes, number: int) -> Page:
    """A ListRecords page. A page that is not well-formed is first repaired where the repair
    loses nothing (:func:`harvesters.xml.repair`), then salvaged record by record."""
    notes: list[str] = []
    if xml.suspicious_encoding(body):
        body, notes = xml.repair(body)
    try:
        root = xml.parse(body)
    except etree.XMLSyntaxError as error:
        repaired, notes = xml.repair(body)
        try:
            root = xml.parse(repaired)
        except etree.XMLSyntaxError:
            return _salvaged_page(repaired, number, str(error), notes)
    notes = [f"page {number}: {note}" for note in notes]
    if root.tag != f"{OAI}OAI-PMH":
        raise HarvestError(f"ListRecords page {number} is not an OAI-PMH document (root <{root.tag}>)")
    error = root.find(f"{OAI}error")
    if error is not None:
        raise OaiError(error.get("code", "unknownError"), (error.text or "").strip())
    list_records = root.find(f"{OAI}ListRecords")
    if list_records is None:
        raise HarvestError(f"ListRecords page {number} has neither <ListRecords> nor <error>")
    token_element = list_records.find(f"{OAI}resumptionToken")
    size = token_element.get("completeListSize") if token_element is not None else None
    return Page(
        number=number,
        records=[read_record(r) for r in list_records.iterchildren(f"{OAI}record")],
        token=_text(token_element),
        response_date=_text(root.find(f"{OAI}responseDate")),
        complete_list_size=int(size) if size and size.isdigit() else None,
        notes=notes,
    )


def read_record(record: etree._Element) -> OaiRecord:
    header = record.find(f"{OAI}header")
    identifier = _text(header.find(f"{OAI}identifier")) if header is not None else None
    datestamp = _text(header.find(f"{OAI}datestamp")) if header is not None else None
    deleted = header is not None and header.get("status") == "deleted"
    result = OaiRecord(identifier=identifier, datestamp=datestamp, deleted=deleted)
    if header is None:
        result.error = "record has no <header>"
        return result
    if deleted:
        return result
    metadata = record.find(f"{OAI}metadata")
    payload = next((c for c in metadata if isinstance(c.tag, str)), None) if metadata is not None else None
    if payload is None:
        result.error = "record has no metadata payload"
        return result
    result.payload = payload
    result.raw = etree.tostring(payload, encoding="unicode")
    return result


def _salvaged_page(body: bytes, number: int, reason: str, repairs: list[str]) -> Page:
    token, pieces = xml.salvage_records(body)
    if not pieces:
        snippet = body[:120].decode("utf-8", "replace").strip().replace("\n", " ")
        raise HarvestError(f"ListRecords page {number} is not well-formed XML ({reason}); it starts {snippet!r}")
    records = [
        read_record(parsed) if not isinstance(parsed, str) else _broken(chunk, parsed) for chunk, parsed in pieces
    ]
    log.warning("page %d is not well-formed (%s); salvaged %d records", number, reason, len(records))
    return Page(
        number=number,
        records=records,
        token=_token_text(token),
        response_date=None,
        salvaged=True,
        notes=[f"page {number}: {note}" for note in repairs]
        + [f"page {number} not well-formed ({reason}); records parsed one by one"],
    )


def _token_text(token: bytes | None) -> str | None:
    """A token cut out of a broken page, as the text the source meant (entities decoded)."""
    if token is None:
        return None
    text = token.decode("utf-8", "replace").strip()
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
    return text.replace("&amp;", "&") or None


def _broken(chunk: bytes, message: str) -> OaiRecord:
    """A record that does not parse even after repair: its header read in recover mode (so a
    deletion still applies and the quarantine names the record), its content kept as raw text."""
    header = xml.recover(b'<record xmlns="http://www.openarchives.org/OAI/2.0/">' + chunk + b"</record>")
    found = header.find(f".//{OAI}header") if header is not None else None
    identifier = _text(found.find(f"{OAI}identifier")) if found is not None else None
    return OaiRecord(
        identifier=identifier or xml.identifier_in(chunk),
        datestamp=_text(found.find(f"{OAI}datestamp")) if found is not None else None,
        deleted=found is not None and found.get("status") == "deleted",
        raw=chunk.decode("utf-8", "replace"),
        error=f"record is not well-formed XML: {message}",
    )


_ERROR = re.compile(
    rb"</(?:[\w.-]+:)?request\s*>\s*<(?:[\w.-]+:)?error\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?error\s*>)", re.DOTALL
)
_CODE = re.compile(rb"""\bcode\s*=\s*["']([^"']*)["']""")


def _oai_error(body: bytes) -> tuple[str, str] | None:
    """The first ``<error>`` of an OAI-PMH response (§3.6), found without parsing the whole page."""
    match = _ERROR.search(body[:8192])
    if match is None:
        return None
    code = _CODE.search(match.group(1))
    message = (match.group(2) or b"").decode("utf-8", "replace").strip()
    return (code.group(1).decode("utf-8", "replace") if code else "unknownError"), message
