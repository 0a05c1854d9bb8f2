"""OAI-PMH 2.0 harvesting client: Identify, ListMetadataFormats and paged ListRecords.

HTTP, retries and the mapping of ``<error code>`` to exceptions come from
oaipmh-scythe (its ``harvest`` checks for an OAI error before the HTTP status, so
Zenodo's errors served as HTTP 422 arrive as the OAI error they are). Pages are parsed
here with the hardened parser, page by page, so memory stays flat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx2
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe import exceptions as oai_errors
from oaipmh_scythe.config import HTTPConfig, RetryConfig

from exchange import __version__
from harvesters import xml

log = logging.getLogger(__name__)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
USER_AGENT = f"eduhub-exchange/{__version__} (OAI-PMH harvester)"


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


def _scythe_error(error: oai_errors.OAIPMHException, query: dict[str, str]) -> OaiError:
    name = type(error).__name__
    code = name[0].lower() + name[1:] if name != "GeneralOAIPMHError" else "unknownError"
    return OaiError(code, str(error).strip(), describe(query))


def describe(query: dict[str, str]) -> str:
    """A request as an operator reads it: ``ListRecords metadataPrefix=lom from=2020-01-01``."""
    args = " ".join(f"{k}={v if len(v) < 60 else v[:57] + '...'}" for k, v in query.items() if k != "verb")
    return f"{query.get('verb', '?')} {args}".strip()


class OaiClient:
    def __init__(self, base_url: str, *, timeout: float = 60, max_retries: int = 3, retry_after: float = 10):
        self.base_url = base_url
        self._scythe = Scythe(
            base_url,
            http_config=HTTPConfig(timeout=timeout, user_agent=USER_AGENT),
            retry_config=RetryConfig(
                max_retries=max_retries,
                retry_status_codes=(429, 500, 502, 503, 504),
                default_retry_after=retry_after,
                retry_on_transport_error=True,
                initial_backoff=min(1.0, retry_after),
            ),
        )

    def close(self) -> None:
        self._scythe.close()

    def __enter__(self) -> OaiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def _fetch(self, query: dict[str, str]) -> bytes:
        try:
            response = self._scythe.harvest(query)
        except oai_errors.OAIPMHException as error:
            raise _scythe_error(error, query) from None
        except httpx2.HTTPStatusError as error:
            status = error.response.status_code
            snippet = error.response.text[:200].strip().replace("\n", " ")
            raise HarvestError(f"{self.base_url} answered HTTP {status}: {snippet or '(empty body)'}") from None
        except httpx2.HTTPError as error:
            raise HarvestError(f"cannot reach {self.base_url}: {type(error).__name__}: {error}") from None
        except AttributeError:
            # oaipmh-scythe's <error> check dereferences a missing tree when a 200 body is not XML.
            raise HarvestError(f"{self.base_url} answered {query.get('verb')} with a body that is not XML") from None
        return response.http_response.content

    def _document(self, query: dict[str, str]) -> etree._Element:
        body = self._fetch(query)
        try:
            root = xml.parse(body)
        except etree.XMLSyntaxError as error:
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
    """A ListRecords page; a page that is not well-formed is salvaged record by record."""
    try:
        root = xml.parse(body)
    except etree.XMLSyntaxError as error:
        return _salvaged_page(body, number, str(error))
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


def _salvaged_page(body: bytes, number: int, reason: str) -> Page:
    token, pieces = xml.salvage_records(body)
    if not pieces:
        snippet = body[:120].decode("utf-8", "replace").strip().replace("\n", " ")
        raise HarvestError(f"ListRecords page {number} is not well-formed XML ({reason}); it starts {snippet!r}")
    records: list[OaiRecord] = []
    for chunk, parsed in pieces:
        if isinstance(parsed, str):
            records.append(
                OaiRecord(
                    identifier=xml.identifier_in(chunk),
                    datestamp=None,
                    deleted=False,
                    raw=chunk.decode("utf-8", "replace"),
                    error=f"record is not well-formed XML: {parsed}",
                )
            )
        else:
            records.append(read_record(parsed))
    log.warning("page %d is not well-formed (%s); salvaged %d records", number, reason, len(records))
    return Page(
        number=number,
        records=records,
        token=token.strip() if token and token.strip() else None,
        response_date=None,
        salvaged=True,
        notes=[f"page not well-formed ({reason}); records parsed one by one"],
    )
