"""The probes: requests a harvester should never have to make, sent on purpose because the
specification says how they must fail (§3.6). The "Selective harvesting" group (impossible
``from``/``until``, §2.7.1, §3.3.1) and the "Error handling" group (bad verbs and arguments, an
unknown format or identifier).

For every probe, :func:`expect`: the expected error passes; another OAI-PMH error code is a
warning (the feed refuses, but harvesters cannot tell why); anything else fails.
"""

from __future__ import annotations

from lxml import etree

from exchange.feedcheck.fetch import OAI, Exchange
from exchange.feedcheck.identify import DAY
from exchange.feedcheck.report import Context

#: requests that must fail, and how (§3.6)
UNKNOWN_PREFIX = "XXX"
UNKNOWN_IDENTIFIER = "oai:feed-check.invalid:no-such-record"
UNKNOWN_VERB = "NoSuchVerb"
INVENTED_TOKEN = "eduhub-feed-check-invented-token"
FAR_FUTURE = "2999-12-31"


def check_dates(ctx: Context) -> None:
    """``from-future`` (noRecordsMatch), ``from-after-until`` (badArgument), ``from-granularity``
    (badArgument: §3.3.1, a ``from`` finer than the repository's granularity, or in minutes,
    which OAI-PMH does not have)."""
    ctx.progress("selective harvesting by date")
    prefix = ctx.chosen or "oai_dc"
    exchange = ctx.fetch.get({"verb": "ListRecords", "metadataPrefix": prefix, "from": FAR_FUTURE})
    expect(ctx, "from-future", exchange, "noRecordsMatch", f"from={FAR_FUTURE}")
    exchange = ctx.fetch.get(
        {"verb": "ListRecords", "metadataPrefix": prefix, "from": "2001-01-02", "until": "2001-01-01"}
    )
    expect(ctx, "from-after-until", exchange, "badArgument", "from=2001-01-02 with until=2001-01-01")
    if ctx.identify.get("granularity") == DAY:
        value, why = "2001-01-01T00:00:00Z", "seconds, finer than the declared YYYY-MM-DD"
    else:
        value, why = "2001-01-01T00:00Z", "minutes, a granularity OAI-PMH does not have"
    exchange = ctx.fetch.get({"verb": "ListRecords", "metadataPrefix": prefix, "from": value})
    expect(ctx, "from-granularity", exchange, "badArgument", f"from={value} ({why})")


def check_errors(ctx: Context) -> None:
    """``no-verb``, ``unknown-verb`` (badVerb), ``illegal-argument`` (badArgument: Identify takes
    none, §4.2), ``unknown-format`` (cannotDisseminateFormat, §4.5), ``unknown-identifier``
    (idDoesNotExist, §4.1)."""
    ctx.progress("requests that must fail")
    fetch = ctx.fetch
    expect(ctx, "no-verb", fetch.get({}), "badVerb", "a request without arguments")
    expect(ctx, "unknown-verb", fetch.get({"verb": UNKNOWN_VERB}), "badVerb", f"verb={UNKNOWN_VERB}")
    expect(
        ctx,
        "illegal-argument",
        fetch.get({"verb": "Identify", "eduhubFeedCheck": "1"}),
        "badArgument",
        "Identify with an argument it does not take",
    )
    expect(
        ctx,
        "unknown-format",
        fetch.get({"verb": "ListRecords", "metadataPrefix": UNKNOWN_PREFIX}),
        "cannotDisseminateFormat",
        f"metadataPrefix={UNKNOWN_PREFIX}",
    )
    expect(
        ctx,
        "unknown-identifier",
        fetch.get({"verb": "GetRecord", "metadataPrefix": ctx.chosen or "oai_dc", "identifier": UNKNOWN_IDENTIFIER}),
        "idDoesNotExist",
        f"identifier={UNKNOWN_IDENTIFIER}",
    )


def expect(ctx: Context, check_id: str, exchange: Exchange, code: str, what: str) -> None:
    """A request that must be answered with the error ``code``: pass when it is, warn when another
    error code comes back, fail when no OAI-PMH error comes back at all."""
    oai = exchange.oai()
    if oai.error_code == code:
        message = f"{what}: {code}"
        request = oai.root.find(f"{OAI}request") if oai.root is not None else None
        if code in ("badVerb", "badArgument") and request is not None and len(request.attrib):
            ctx.add(
                check_id,
                "warn",
                f"{message}, but the <request> element carries attributes ({', '.join(request.attrib)}); "
                "after badVerb or badArgument it must not (§3.2)",
            )
            return
        ctx.add(check_id, "pass", message + (f" (HTTP {exchange.status})" if exchange.status != 200 else ""))
    elif oai.error_code:
        ctx.add(check_id, "warn", f"{what}: answered {oai.error_code}, not {code}")
    else:
        ctx.add(check_id, "fail", f"{what}: expected the error {code}, got {answer(exchange)}")


def answer(exchange: Exchange) -> str:
    """What came back, in a few words, for a request that should have been an error."""
    oai = exchange.oai()
    if oai.problem:
        return oai.problem
    if oai.error_code:
        return f"the error {oai.error_code}"
    if oai.root is not None:
        verbs = [etree.QName(c).localname for c in oai.root if isinstance(c.tag, str)][2:]
        return f"HTTP {exchange.status} with <{verbs[0] if verbs else '?'}> (no error)"
    return f"HTTP {exchange.status}"
