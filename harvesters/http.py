"""HTTP for harvesting: bounded retries, honest waits, a deadline per request, one request per host.

Real OAI-PMH servers answer 503 with ``Retry-After`` (in seconds or as an HTTP-date),
drop the connection mid-body, hang after the headers, or trickle bytes forever. This
module turns each of those into either a body or a :class:`FetchError` naming what
happened, within a bounded time:

- every request has a **deadline** covering connect, headers and the whole body, so a
  server that trickles bytes cannot hold a harvest;
- 429, 5xx, transport errors, timeouts and truncated bodies are **retried** up to
  ``attempts`` tries, waiting ``Retry-After`` when the server names it (RFC 9110 §10.2.3)
  and exponential backoff with jitter otherwise;
- a ``Retry-After`` longer than ``max_wait`` is not waited out: the run ends with an error
  and the next scheduled run tries again (the server asked to be left alone);
- a :class:`HostGate` lets one request at a time reach a host (by default) with an
  optional pause between requests, shared by every source on that host.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx2

#: Statuses worth another try: the server says it is overloaded or failed on its side.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class FetchError(RuntimeError):
    """The request could not be answered within the retry policy; the message says why."""


class BodyTooLarge(ValueError):
    """The body grew past the size its reader allows; it was not read further."""


def read_body(response: httpx2.Response, max_body: int, deadline: float) -> bytes:
    """A streamed response's whole body, read chunk by chunk: more than ``max_body`` bytes raises
    BodyTooLarge, still arriving after ``deadline`` (``time.monotonic``) raises TimeoutError. The
    httpx timeouts bound each read; this bounds the whole, so a trickling server cannot hold on."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_body:
            raise BodyTooLarge(max_body)
        if time.monotonic() > deadline:
            raise TimeoutError
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to insist. The defaults suit a nightly harvest of a real server."""

    #: tries per request, the first one included
    attempts: int = 5
    #: first backoff wait in seconds; doubled on each retry, jittered to 50-100 %
    backoff: float = 2.0
    #: the longest single wait, Retry-After included; a server asking for more ends the run
    max_wait: float = 300.0
    #: seconds for one try: connect, headers and the whole body
    timeout: float = 120.0
    #: bytes of one response body; a larger body is refused, not read into memory
    max_body: int = 512 * 1024 * 1024

    def backoff_for(self, retry: int) -> float:
        wait = min(self.backoff * 2**retry, self.max_wait)
        return random.uniform(wait / 2, wait)


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    #: one line per failed try before this answer, for the run's notes
    retries: list[str] = field(default_factory=list)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HostGate:
    """At most ``per_host`` requests in flight per host, and ``delay`` seconds between them.

    Shared by every client of one harvest process, so ten sources on one server are still
    polite to it while sources on other servers go on in parallel.
    """

    def __init__(self, per_host: int = 1, delay: float = 0.0) -> None:
        self.per_host = max(1, per_host)
        self.delay = max(0.0, delay)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._last: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self.per_host))
        with semaphore:
            if self.delay:
                with self._lock:
                    wait = self._last.get(host, 0.0) + self.delay - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            try:
                yield
            finally:
                with self._lock:
                    self._last[host] = time.monotonic()


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.wait = reason, wait


class Fetcher:
    """A pooled HTTP client with the retry policy; ``get`` returns the final answer or raises."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        gate: HostGate | None = None,
        user_agent: str = "eduhub-exchange",
        sleep=time.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.gate = gate or HostGate()
        self._sleep = sleep
        self._client = httpx2.Client(headers={"User-Agent": user_agent}, follow_redirects=True)

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, params: Mapping[str, str], *, retry_body=None) -> Response:
        """GET ``url`` with ``params``. Statuses outside :data:`RETRY_STATUSES` are returned
        for the caller to read (an OAI-PMH ``<error>`` may come with 422).

        ``retry_body(response)`` may return a reason to retry a 200 whose body is unusable
        (empty, an HTML maintenance page, cut short); it counts against the same attempts.
        """
        policy = self.policy
        history: list[str] = []
        for attempt in range(policy.attempts):
            try:
                response = self._try(url, params)
                if response.status in RETRY_STATUSES:
                    wait = retry_after(response.headers.get("retry-after"))
                    snippet = response.body[:80].decode("utf-8", "replace").strip().replace("\n", " ")
                    raise _Retry(f"HTTP {response.status}" + (f" ({snippet})" if snippet else ""), wait)
                reason = retry_body(response) if retry_body else None
                if reason:
                    raise _Retry(reason)
                response.retries = history
                return response
            except _Retry as retry:
                reason, wait = retry.reason, retry.wait
            except httpx2.TimeoutException as error:
                reason, wait = f"timed out ({type(error).__name__})", None
            except TimeoutError:
                reason, wait = f"no complete answer within {policy.timeout:g} s", None
            except httpx2.ConnectError as error:
                reason, wait = f"cannot reach {urlsplit(url).netloc}: {error}", None
            except httpx2.TransportError as error:
                reason, wait = f"{type(error).__name__}: {error}".rstrip(": "), None
            if wait is not None and wait > policy.max_wait:
                history.append(reason)
                raise FetchError(
                    f"{reason}; the server asks to retry after {wait:.0f} s, longer than the "
                    f"{policy.max_wait:g} s the harvester waits; the next run will try again"
                )
            history.append(reason)
            if attempt + 1 == policy.attempts:
                break
            self._sleep(wait if wait is not None else policy.backoff_for(attempt))
        tries = "; ".join(f"try {n}: {r}" for n, r in enumerate(history, start=1))
        raise FetchError(f"no usable answer after {len(history)} tries ({tries})")

    def _try(self, url: str, params: Mapping[str, str]) -> Response:
        policy = self.policy
        # httpx's timeouts bound each phase; the deadline bounds the whole body too. Waiting for
        # the host's turn is not part of it.
        timeout = httpx2.Timeout(policy.timeout, connect=min(policy.timeout, 30.0))
        with self.gate.slot(url), self._client.stream("GET", url, params=params, timeout=timeout) as answer:
            try:
                body = read_body(answer, policy.max_body, time.monotonic() + policy.timeout)
            except BodyTooLarge:
                raise FetchError(f"{url} sent more than {policy.max_body} bytes; refusing the response") from None
            return Response(answer.status_code, answer.headers, body, str(answer.url))
