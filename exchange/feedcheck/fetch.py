"""The requests of a check and their answers, kept byte for byte.

The raw requests use ``httpx2`` directly, not the harvester's client, because the checks need
the exact bytes and HTTP status of every answer (the harvester retries, repairs and hides
both, as it should). Every request of a check is recorded as an :class:`Exchange`; the
response checks (exchange/feedcheck/responses.py) read them all once the network steps are done.

The fetcher is bounded (a deadline for the whole check, a timeout per request, a size cap per
answer, at most :data:`~exchange.feedcheck.limits.MAX_REDIRECTS` redirects) and guarded
(:mod:`exchange.netguard`): each redirect target is checked like the URL given, and unless
private addresses are allowed every connection goes to an address vetted as it is made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin

import httpx2
from lxml import etree

from exchange import __version__
from exchange.feedcheck.limits import MAX_REDIRECTS
from exchange.netguard import BadUrl, Guard
from harvesters import xml
from harvesters.http import BodyTooLarge, read_body

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI = f"{{{OAI_NS}}}"
USER_AGENT = f"eduhub-exchange/{__version__} (OAI-PMH feed check)"


class BudgetSpent(Exception):
    """The check's time budget is spent; what was fetched so far is still reported."""


@dataclass
class Oai:
    """An answer read as OAI-PMH: its root, or why it is not an OAI-PMH document, and its error."""

    root: etree._Element | None = None
    problem: str | None = None
    error_code: str | None = None
    error_message: str = ""


@dataclass
class Exchange:
    """One request of the check and its answer, kept byte for byte for the response checks."""

    params: dict[str, str]
    method: str = "GET"
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    #: why there is no (complete) answer: transport failure, refused redirect, oversized body
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    _oai: Oai | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The request as a repository manager reads it: ``ListRecords metadataPrefix=lom``."""
        args = " ".join(f"{k}={v if len(v) < 60 else v[:57] + '...'}" for k, v in self.params.items() if k != "verb")
        text = f"{self.params.get('verb', '(no verb)')} {args}".strip()
        return f"{text} (POST)" if self.method == "POST" else text

    @property
    def answered(self) -> bool:
        return self.status is not None and self.error is None

    def oai(self) -> Oai:
        if self._oai is None:
            self._oai = _read_oai(self)
        return self._oai


def _read_oai(exchange: Exchange) -> Oai:
    """The answer as an OAI-PMH document (§3.2), through the hardened parser, or why it is not one."""
    if not exchange.answered:
        return Oai(problem=exchange.error or "no answer")
    body = exchange.body
    if not body.strip():
        return Oai(problem=f"HTTP {exchange.status} with an empty body")
    try:
        root = xml.parse(body)
    except etree.XMLSyntaxError as error:
        head = body.lstrip()[:200].lower()
        if b"<html" in head or b"<!doctype html" in head:
            return Oai(problem=f"HTTP {exchange.status}: an HTML page, not OAI-PMH XML")
        if not head.startswith(b"<"):
            return Oai(problem=f"HTTP {exchange.status}: not XML ({_snippet(body)})")
        return Oai(problem=f"HTTP {exchange.status}: not well-formed XML ({error})")
    if root.tag != f"{OAI}OAI-PMH":
        return Oai(problem=f"HTTP {exchange.status}: not an OAI-PMH document (root <{etree.QName(root).localname}>)")
    error = root.find(f"{OAI}error")
    if error is not None:
        return Oai(root=root, error_code=error.get("code") or "(no code)", error_message=(error.text or "").strip())
    return Oai(root=root)


def _snippet(body: bytes, size: int = 80) -> str:
    text = body[:size].decode("utf-8", "replace").strip().replace("\n", " ")
    return repr(text + ("..." if len(body) > size else ""))


class Fetcher:
    """GET (or POST) one OAI-PMH request with a deadline, a size cap and guarded redirects."""

    def __init__(self, base_url: str, *, guard: Guard, deadline: float, timeout: float, max_body: int) -> None:
        self.base_url = base_url
        self.guard = guard
        self.deadline = deadline
        self.timeout = timeout
        self.max_body = max_body
        self.exchanges: list[Exchange] = []
        # Environment proxies are honoured only when private addresses are allowed (the
        # operator's CLI); otherwise the connection is direct, to a vetted address.
        self.client = guard.client(headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self.client.close()

    def get(self, params: dict[str, str], *, method: str = "GET") -> Exchange:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise BudgetSpent
        exchange = Exchange(params=dict(params), method=method)
        self.exchanges.append(exchange)
        if method == "GET" and params:
            url = f"{self.base_url}{'&' if '?' in self.base_url else '?'}{urlencode(params)}"
        else:
            url = self.base_url
        data = params if method == "POST" else None
        try:
            for _ in range(MAX_REDIRECTS + 1):
                # The form of every hop (http(s), no credentials); its address is vetted when
                # the guarded client connects, before the request is sent.
                self.guard.check_form(url)
                location = self._send(exchange, method, url, data)
                if location is None:
                    return exchange
                url = urljoin(url, location)
                exchange.redirects.append(url)
                if exchange.status not in (307, 308):
                    method, data = "GET", None
            exchange.error = f"more than {MAX_REDIRECTS} redirects"
        except BadUrl as error:
            exchange.error = f"{'redirect refused' if exchange.redirects else 'refused'}: {error}"
        except httpx2.TimeoutException:
            exchange.error = f"no complete answer within {min(self.timeout, remaining):.0f} s"
        except httpx2.HTTPError as error:
            exchange.error = f"{type(error).__name__}: {error}".rstrip(": ")
        return exchange

    def _send(self, exchange: Exchange, method: str, url: str, data: dict[str, str] | None) -> str | None:
        """One hop; returns the redirect target, or None once ``exchange`` holds the answer."""
        timeout = max(0.1, min(self.timeout, self.deadline - time.monotonic()))
        with self.client.stream(method, url, data=data, timeout=timeout) as response:
            exchange.status = response.status_code
            exchange.content_type = response.headers.get("content-type", "")
            location = response.headers.get("location")
            if response.status_code in (301, 302, 303, 307, 308) and location:
                return location
            try:
                exchange.body = read_body(response, self.max_body, self.deadline)
            except BodyTooLarge:
                exchange.error = f"the answer is larger than {self.max_body // (1024 * 1024)} MB; not read"
            except TimeoutError:
                exchange.error = "the answer was still arriving when the time budget ran out"
        return None
