"""One check, in order: the network steps (each a group of checks, each stopped by the time
budget), then the steps that need no network (every answer against the schema, the record
headers, the sample), then the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from exchange.feedcheck.fetch import BudgetSpent, Fetcher
from exchange.feedcheck.formats import check_formats
from exchange.feedcheck.identify import check_headers, check_identify
from exchange.feedcheck.limits import (
    DEFAULT_BUDGET,
    DEFAULT_MAX_PAGES,
    DEFAULT_SAMPLE,
    MAX_BODY,
    MAX_SAMPLE,
    REQUEST_TIMEOUT,
)
from exchange.feedcheck.lists import check_list, check_tokens
from exchange.feedcheck.probes import check_dates, check_errors
from exchange.feedcheck.report import Context, Progress
from exchange.feedcheck.responses import check_post, check_responses
from exchange.feedcheck.sample import check_sample
from exchange.netguard import Guard

#: the end of the message refusing a non-public address
PURPOSE = "this hub checks feeds on public addresses only"

#: the requests of a check, in order, with the checks each decides (skipped when it cannot run)
NETWORK_STEPS: list[tuple[Callable[[Context], None], tuple[str, ...]]] = [
    (check_identify, ("identify", "identify-fields", "base-url", "granularity")),
    (check_post, ("http-post",)),
    (check_formats, ("metadata-formats",)),
    (check_list, ("list-records", "resumption-token")),
    (check_tokens, ("token-reissue", "bad-token")),
    (check_dates, ("from-future", "from-after-until", "from-granularity")),
    (check_errors, ("no-verb", "unknown-verb", "illegal-argument", "unknown-format", "unknown-identifier")),
]
#: what is checked once the requests are done, from their answers
OFFLINE_STEPS: list[Callable[[Context], None]] = [check_responses, check_headers, check_sample]


def feed_guard(allow_private: bool) -> Guard:
    """The feed checker's :class:`~exchange.netguard.Guard`."""
    return Guard(allow_private=allow_private, purpose=PURPOSE)


def guard_url(url: str, *, allow_private: bool) -> None:
    """Refuse what the checker must not fetch: anything but http(s), URLs with credentials, and,
    unless ``allow_private``, hosts that are or resolve to a non-public address (loopback,
    private, link-local, reserved, multicast...), so a stranger cannot make the hub probe its own
    network. The fetch checks every redirect target too, and connects only to vetted addresses
    (:mod:`exchange.netguard`)."""
    feed_guard(allow_private).check_url(url)


def check_feed(
    base_url: str,
    *,
    sample: int = DEFAULT_SAMPLE,
    metadata_prefix: str | None = None,
    set_spec: str | None = None,
    allow_private: bool = True,
    budget: float = DEFAULT_BUDGET,
    max_pages: int = DEFAULT_MAX_PAGES,
    timeout: float = REQUEST_TIMEOUT,
    max_body: int = MAX_BODY,
    progress: Progress | None = None,
    guard: Guard | None = None,
) -> dict[str, Any]:
    """Check the OAI-PMH feed at ``base_url`` and return the report (a JSON-ready dict).

    Raises :class:`~exchange.netguard.BadUrl` (or :class:`~exchange.netguard.AddressNotAllowed`)
    before any request when the URL may not be fetched; everything the feed does wrong is in the
    report, never an exception. ``allow_private`` is True for the operator's CLI; the HTTP API
    passes the hub's setting. ``guard`` replaces the guard ``allow_private`` makes (tests give
    one with their own idea of a public address).
    """
    base_url = base_url.strip()
    guard = guard or feed_guard(allow_private)
    guard.check_url(base_url)
    started = time.monotonic()
    fetch = Fetcher(base_url, guard=guard, deadline=started + budget, timeout=timeout, max_body=max_body)
    ctx = Context(
        base_url,
        fetch,
        started=started,
        sample=max(0, min(sample, MAX_SAMPLE)),
        metadata_prefix=metadata_prefix or None,
        set_spec=set_spec or None,
        max_pages=max_pages,
        progress=progress,
    )
    try:
        _request(ctx)
    finally:
        fetch.close()
    if ctx.reachable:
        for step in OFFLINE_STEPS:
            step(ctx)
    return ctx.report()


def _request(ctx: Context) -> None:
    """The network steps until done, the budget is spent, or the feed turns out unreachable;
    the checks of the steps not run are skipped with the reason."""
    for position, (step, _ids) in enumerate(NETWORK_STEPS):
        try:
            step(ctx)
        except BudgetSpent:
            for _, later in NETWORK_STEPS[position:]:
                for check_id in later:
                    ctx.skip(check_id, "the time budget of the check was spent before this request")
            return
        if not ctx.reachable:
            for _, later in NETWORK_STEPS[position + 1 :]:
                for check_id in later:
                    ctx.skip(check_id, "the feed could not be reached")
            return


def exit_status(report: dict[str, Any]) -> int:
    """``eduhub check``'s exit status: 2 the feed could not be reached, 1 a check failed, else 0."""
    if not report.get("reachable", True):
        return 2
    return 1 if report["summary"]["fail"] else 0
