"""The report a check builds: the table of checks (id, group, title, OAI-PMH section), one
:class:`Check`, and the :class:`Context` every step of the check reads from and writes into.

A check is **pass**, **warn** (works, but harvesters may stumble, or something optional is
missing) or **fail** (the specification says *must* and the feed does not); one that could not
be run is *skipped*, with the reason, and counts neither way. docs/feed-check.md describes each.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from exchange.feedcheck.fetch import USER_AGENT, Fetcher
from exchange.feedcheck.limits import EVIDENCE

if TYPE_CHECKING:
    from exchange.feedcheck.lists import SeenPage

Progress = Callable[[str], None]

GROUPS = (
    "Identify",
    "Responses",
    "Metadata formats",
    "Lists and resumption",
    "Selective harvesting",
    "Error handling",
    "Sample",
)

#: id → (group, title, spec section) of every check, in report order
CHECKS: dict[str, tuple[str, str, str]] = {
    "identify": ("Identify", "Identify answers", "§4.2"),
    "identify-fields": ("Identify", "Identify gives every required field", "§4.2"),
    "base-url": ("Identify", "baseURL is the URL checked", "§4.2"),
    "granularity": ("Identify", "granularity and earliestDatestamp", "§3.3.1, §4.2"),
    "header-datestamps": ("Identify", "record datestamps in the declared granularity", "§3.3.2, §4.2"),
    "deleted-records": ("Identify", "deleted-record policy matches what is sent", "§2.5.1, §4.2"),
    "http-post": ("Responses", "requests by POST are answered like GET", "§3.1.1"),
    "well-formed": ("Responses", "every answer is a well-formed OAI-PMH document", "§3.2"),
    "xsd": ("Responses", "responses are valid against OAI-PMH.xsd", "§3.2.1"),
    "payload-schemas": ("Responses", "record payloads are valid against their schemas", "§3.2.1, §3.4"),
    "response-format": ("Responses", "text/xml, UTF-8, responseDate in UTC", "§3.1.2, §3.2"),
    "error-http-status": ("Responses", "protocol errors come with HTTP 200", "§3.1.2, §3.6"),
    "metadata-formats": ("Metadata formats", "formats offered, and one the hub reads", "§3.4, §4.4"),
    "list-records": ("Lists and resumption", "ListRecords pages can be read", "§4.5"),
    "resumption-token": ("Lists and resumption", "resumption tokens and the end of a list", "§3.5"),
    "token-reissue": ("Lists and resumption", "a re-issued token gives the same page", "§3.5.1"),
    "bad-token": ("Lists and resumption", "a tampered token is badResumptionToken", "§3.5, §3.6"),
    "from-future": ("Selective harvesting", "from in the far future is noRecordsMatch", "§2.7.1, §3.6"),
    "from-after-until": ("Selective harvesting", "from after until is badArgument", "§2.7.1, §3.6"),
    "from-granularity": ("Selective harvesting", "from in an unsupported granularity is badArgument", "§3.3.1"),
    "no-verb": ("Error handling", "a request without verb is badVerb", "§3.6"),
    "unknown-verb": ("Error handling", "an unknown verb is badVerb", "§3.6"),
    "illegal-argument": ("Error handling", "an illegal argument is badArgument", "§3.6, §4.2"),
    "unknown-format": ("Error handling", "an unknown metadataPrefix is cannotDisseminateFormat", "§3.6, §4.5"),
    "unknown-identifier": ("Error handling", "GetRecord of an unknown identifier is idDoesNotExist", "§3.6, §4.1"),
    "sample-records": ("Sample", "sampled records go into the hub", ""),
}


@dataclass
class Check:
    """One finding of the report; ``spec`` names the OAI-PMH 2.0 section the rule comes from."""

    id: str
    group: str
    title: str
    status: str  # pass | warn | fail
    message: str
    spec: str = ""
    evidence: list[Any] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "group": self.group,
            "title": self.title,
            "status": self.status,
            "message": self.message,
        }
        if self.spec:
            data["spec"] = self.spec
        if self.evidence:
            data["evidence"] = self.evidence[:EVIDENCE]
        return data


class Context:
    """What one check has learnt so far, shared by its steps: the request asked for, the
    fetcher (with every answer received), what Identify and ListMetadataFormats said, the
    ListRecords pages read, and the checks and skips recorded."""

    def __init__(
        self,
        base_url: str,
        fetch: Fetcher,
        *,
        started: float,
        sample: int,
        metadata_prefix: str | None,
        set_spec: str | None,
        max_pages: int,
        progress: Progress | None,
    ) -> None:
        self.base_url = base_url
        self.fetch = fetch
        self.started = started
        self.checked_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.sample_size = sample
        self.requested_prefix = metadata_prefix
        self.set_spec = set_spec
        self.max_pages = max(1, max_pages)
        self.progress: Progress = progress or (lambda _message: None)
        self.checks: dict[str, Check] = {}
        self.skipped: dict[str, str] = {}
        #: False once Identify got no HTTP answer at all: the check ends there
        self.reachable = True
        #: the Identify fields (§4.2), empty until Identify is read
        self.identify: dict[str, Any] = {}
        #: the formats offered (§4.4), each with the crosswalk the hub would use
        self.formats: list[dict[str, Any]] = []
        #: the metadataPrefix listed and sampled: the one asked for, else the hub's choice
        self.chosen: str | None = None
        self.pages: list[SeenPage] = []
        self.list_complete = False
        self.no_records = False
        self.sample: dict[str, Any] = empty_sample()

    def add(self, check_id: str, status: str, message: str, evidence: list[Any] | None = None) -> None:
        group, title, spec = CHECKS[check_id]
        self.checks[check_id] = Check(check_id, group, title, status, message, spec, list(evidence or []))

    def skip(self, check_id: str, reason: str) -> None:
        if check_id not in self.checks:
            self.skipped.setdefault(check_id, reason)

    def records(self) -> list[Any]:
        """Every record (harvesters.oaipmh.Record) of the pages read, in order."""
        return [r for p in self.pages for r in p.page.records]

    def report(self) -> dict[str, Any]:
        """The report as JSON (docs/feed-check.md, "The report"); checks in the order of :data:`CHECKS`."""
        order = list(CHECKS)
        generic = (
            "the feed could not be reached"
            if not self.reachable
            else "not run: what it needs could not be read (see the failures above)"
        )
        for check_id in order:  # checks an earlier failure made pointless (Identify unreadable, no list)
            self.skip(check_id, generic)
        if not self.reachable:
            self.sample["skipped"] = generic
        checks = sorted(self.checks.values(), key=lambda c: order.index(c.id))
        summary = Counter(c.status for c in checks)
        return {
            "base_url": self.base_url,
            "checked_at": self.checked_at,
            "checker": USER_AGENT,
            "reachable": self.reachable,
            "repository": self.identify.get("repositoryName"),
            "identify": self.identify,
            "checks": [c.to_json() for c in checks],
            "skipped": [
                {"id": check_id, "title": CHECKS[check_id][1], "reason": reason}
                for check_id, reason in sorted(self.skipped.items(), key=lambda kv: order.index(kv[0]))
                if check_id not in self.checks
            ],
            "formats": self.formats,
            "chosen_format": self.chosen,
            "sample": self.sample,
            "requests": len(self.fetch.exchanges),
            "seconds": round(time.monotonic() - self.started, 2),
            "summary": {status: summary.get(status, 0) for status in ("pass", "warn", "fail")},
        }


def empty_sample() -> dict[str, Any]:
    """The report's ``sample`` before (or without) a sample."""
    return {
        "metadata_prefix": None,
        "set": None,
        "requested": 0,
        "records": 0,
        "deleted": 0,
        "pages": 0,
        "stored": 0,
        "quarantined": [],
        "coverage": None,
        "tiers": {},
        "quality": {},
        "accessibility": {"features": {}, "metadata": {}, "warnings": {}},
        "sustainability": {},
        "problems": [],
        "notes": [],
    }


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 page``, ``2 pages``."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def worst(statuses: Iterable[str]) -> str:
    """The worst of some statuses (fail > warn > pass); pass for none."""
    ranked = {"pass": 0, "warn": 1, "fail": 2}
    return max(statuses, key=lambda s: ranked[s], default="pass")
