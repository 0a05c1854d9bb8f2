"""The "Identify" group: what the repository says about itself (§4.2), and whether the record
headers read later agree with it (§2.5.1 deleted records, §3.3 datestamps).

:func:`check_identify` is the first request of every check; a feed that gives no HTTP answer to
it is *unreachable* and the check ends there. :func:`check_headers` runs after the list was read.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from exchange.feedcheck.fetch import OAI
from exchange.feedcheck.report import Context, count, worst

DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: what Identify must give (§4.2); adminEmail may repeat
IDENTIFY_FIELDS = (
    "repositoryName",
    "baseURL",
    "protocolVersion",
    "adminEmail",
    "earliestDatestamp",
    "deletedRecord",
    "granularity",
)


def check_identify(ctx: Context) -> None:
    """``identify``, ``identify-fields``, ``base-url``, ``granularity``; fills ``ctx.identify``."""
    ctx.progress(f"Identify {ctx.base_url}")
    exchange = ctx.fetch.get({"verb": "Identify"})
    if exchange.status is None:
        ctx.reachable = False
        ctx.add("identify", "fail", f"no answer from {ctx.base_url}: {exchange.error}")
        return
    oai = exchange.oai()
    if oai.problem or oai.root is None:
        ctx.add("identify", "fail", f"Identify was not answered with OAI-PMH: {oai.problem}")
        return
    if oai.error_code:
        ctx.add("identify", "fail", f"Identify was answered with the error {oai.error_code}: {oai.error_message}")
        return
    element = oai.root.find(f"{OAI}Identify")
    if element is None:
        ctx.add("identify", "fail", "the Identify response has no <Identify> element")
        return

    def text(name: str) -> str | None:
        found = element.find(f"{OAI}{name}")
        return (found.text or "").strip() or None if found is not None else None

    emails = [(e.text or "").strip() for e in element.findall(f"{OAI}adminEmail") if (e.text or "").strip()]
    ctx.identify = {
        "repositoryName": text("repositoryName"),
        "baseURL": text("baseURL"),
        "protocolVersion": text("protocolVersion"),
        "adminEmail": emails,
        "earliestDatestamp": text("earliestDatestamp"),
        "deletedRecord": text("deletedRecord"),
        "granularity": text("granularity"),
        "responseDate": (oai.root.findtext(f"{OAI}responseDate") or "").strip() or None,
    }
    name = ctx.identify["repositoryName"] or "(no repositoryName)"
    ctx.add("identify", "pass", f"{name} answered Identify (HTTP {exchange.status})")
    _fields(ctx, emails)
    _base_url(ctx)
    _granularity(ctx)


def _fields(ctx: Context, emails: list[str]) -> None:
    """Every field §4.2 requires, protocolVersion 2.0, adminEmail an address."""
    missing = [key for key in IDENTIFY_FIELDS if not ctx.identify.get(key)]
    problems = []
    if missing:
        problems.append(("fail", f"missing: {', '.join(missing)}"))
    version = ctx.identify["protocolVersion"]
    if version and version != "2.0":
        problems.append(("fail", f"protocolVersion is {version!r}, not 2.0"))
    bad_emails = [e for e in emails if not _EMAIL.match(e)]
    if bad_emails:
        problems.append(("warn", f"adminEmail {bad_emails[0]!r} is not an email address"))
    if problems:
        ctx.add("identify-fields", worst(s for s, _ in problems), "; ".join(m for _, m in problems))
    else:
        present = "repositoryName, baseURL, protocolVersion 2.0, adminEmail, earliestDatestamp, deletedRecord"
        ctx.add("identify-fields", "pass", f"{present} and granularity are all there")


def _base_url(ctx: Context) -> None:
    """The announced baseURL is the one checked: harvesters that follow it must end up here."""
    announced = ctx.identify["baseURL"]
    if not announced:
        ctx.add("base-url", "warn", "Identify names no baseURL")
    elif _same_url(announced, ctx.base_url):
        ctx.add("base-url", "pass", f"Identify names {announced}")
    else:
        ctx.add(
            "base-url",
            "warn",
            f"Identify names {announced}, but this check asked {ctx.base_url}: harvesters that follow "
            "the announced baseURL end up elsewhere",
        )


def _granularity(ctx: Context) -> None:
    """§3.3.1: one of the two granularities; §4.2: earliestDatestamp "expressed at the finest
    granularity supported by the repository"."""
    granularity, earliest = ctx.identify["granularity"], ctx.identify["earliestDatestamp"]
    if granularity not in (DAY, SECONDS):
        ctx.add("granularity", "fail", f"granularity {granularity!r} is neither {DAY} nor {SECONDS}")
    elif earliest and not in_granularity(earliest, granularity):
        ctx.add(
            "granularity",
            "fail",
            f"earliestDatestamp {earliest!r} is not in the declared granularity {granularity} "
            "(it must be expressed at the finest granularity the repository supports)",
        )
    else:
        ctx.add("granularity", "pass", f"granularity {granularity}; earliestDatestamp {earliest}")


def check_headers(ctx: Context) -> None:
    """``header-datestamps`` (§3.3.2: datestamps in the declared granularity, none before
    earliestDatestamp, or incremental harvests miss records) and ``deleted-records`` (§2.5.1: a
    repository that declares ``no`` must not reveal deletions), over the record headers read."""
    records = ctx.records()
    granularity = ctx.identify.get("granularity")
    earliest = ctx.identify.get("earliestDatestamp")
    if not records:
        ctx.skip("header-datestamps", "no record headers were read")
    elif granularity not in (DAY, SECONDS):
        ctx.skip("header-datestamps", "the granularity Identify declares is not a legal one")
    else:
        wrong = [r for r in records if r.datestamp and not in_granularity(r.datestamp, granularity)]
        early = [
            r
            for r in records
            if earliest and r.datestamp and in_granularity(r.datestamp, granularity) and r.datestamp < earliest
        ]
        dated = sum(1 for r in records if r.datestamp)
        problems = []
        if wrong:
            problems.append(f"{len(wrong)} datestamps are not in the declared granularity {granularity}")
        if early:
            problems.append(f"{len(early)} datestamps are before earliestDatestamp {earliest}")
        if problems:
            ctx.add(
                "header-datestamps",
                "fail",
                "; ".join(problems) + " (incremental harvests by `from` may miss records)",
                [{"identifier": r.identifier, "datestamp": r.datestamp} for r in (wrong + early)],
            )
        else:
            ctx.add(
                "header-datestamps",
                "pass",
                f"{count(dated, 'header datestamp')} in {granularity}, none before {earliest}",
            )

    declared = ctx.identify.get("deletedRecord")
    deleted = [r for r in records if r.deleted]
    if declared not in ("no", "transient", "persistent"):
        if ctx.identify:
            ctx.add("deleted-records", "fail", f"deletedRecord {declared!r} is not no, transient or persistent")
        return
    if declared == "no" and deleted:
        ctx.add(
            "deleted-records",
            "fail",
            f"deletedRecord is 'no', but the sample holds {count(len(deleted), 'header')} with "
            "status=\"deleted\"; a repository that declares 'no' must not reveal deletions (declare transient "
            "or persistent)",
            [r.identifier for r in deleted],
        )
    elif declared == "no":
        ctx.add(
            "deleted-records",
            "pass",
            "deletedRecord is 'no': harvesters will never learn of deletions, so deleted resources stay in "
            "the hub until a full re-harvest",
        )
    else:
        ctx.add(
            "deleted-records",
            "pass",
            f"deletedRecord is {declared!r}; {count(len(deleted), 'deleted header')} in the sample",
        )


def in_granularity(stamp: str, granularity: str | None) -> bool:
    """Whether a datestamp is written in ``granularity`` (§3.3: UTC, day or seconds)."""
    return bool((_DAY if granularity == DAY else SECOND).match(stamp.strip()))


def _same_url(a: str, b: str) -> bool:
    """The same base URL, up to scheme/host case, a default port and a trailing slash."""

    def norm(url: str) -> tuple[str, str, int | None, str, str]:
        parts = urlsplit(url.strip())
        try:
            port = parts.port
        except ValueError:
            port = None
        default = {"http": 80, "https": 443}.get(parts.scheme.lower())
        return (
            parts.scheme.lower(),
            (parts.hostname or "").lower(),
            port or default,
            parts.path.rstrip("/"),
            parts.query,
        )

    return norm(a) == norm(b)
