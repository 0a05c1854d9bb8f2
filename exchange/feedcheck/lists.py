"""The "Lists and resumption" group: ListRecords in the chosen format (§4.5), followed page by
page with its resumption tokens (§3.5), then a token sent again (§3.5.1) and a tampered one.

Pages are read with :func:`harvesters.oaipmh.parse_page`, the harvester's own page reader, so
the records (and the sample made of them) are what a harvest would see; the raw
``<resumptionToken>`` element is kept beside it, because the harvester forgives what §3.5 asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exchange.feedcheck.fetch import OAI, Exchange
from exchange.feedcheck.limits import PROTOCOL_PAGES
from exchange.feedcheck.probes import INVENTED_TOKEN, answer, expect
from exchange.feedcheck.report import Context, count, worst


@dataclass
class SeenPage:
    """A ListRecords page as the harvester reads it (``page``) and its token element as sent."""

    exchange: Exchange
    page: Any  # harvesters.oaipmh.Page
    #: the raw <resumptionToken> element's text (None: no element) and attributes, when the page parsed
    token_text: str | None = None
    token_attributes: dict[str, str] = field(default_factory=dict)
    token_element: bool = False


def check_list(ctx: Context) -> None:
    """``list-records`` and ``resumption-token``: read pages until the sample is full (but at
    least :data:`PROTOCOL_PAGES` while the list goes on, so tokens are seen working), the list
    ends, or ``ctx.max_pages`` is reached; fills ``ctx.pages``."""
    from harvesters.oaipmh import HarvestError, parse_page

    if not ctx.chosen:
        reason = (
            "the hub reads none of the formats offered"
            if ctx.formats
            else "ListMetadataFormats named no format to list records in"
        )
        ctx.skip("list-records", reason)
        ctx.skip("resumption-token", reason)
        ctx.sample["skipped"] = reason
        return
    params = {"verb": "ListRecords", "metadataPrefix": ctx.chosen}
    if ctx.set_spec:
        params["set"] = ctx.set_spec
    records = 0
    seen_tokens: set[str] = set()
    failure: str | None = None
    while True:
        number = len(ctx.pages) + 1
        ctx.progress(f"ListRecords page {number} ({records} records so far)")
        exchange = ctx.fetch.get(params)
        oai = exchange.oai()
        if oai.error_code == "noRecordsMatch" and number == 1:
            ctx.no_records = True
            break
        if oai.error_code:
            failure = f"page {number} ({exchange.label}): error {oai.error_code}: {oai.error_message}"
            break
        if not exchange.answered or (oai.root is None and (exchange.status != 200 or b"OAI-PMH" not in exchange.body)):
            failure = f"page {number} ({exchange.label}): {oai.problem}"
            break
        try:
            page = parse_page(exchange.body, number)
        except HarvestError as error:  # OaiError is a HarvestError
            failure = f"page {number}: {error}"
            break
        seen = SeenPage(exchange, page)
        if oai.root is not None:
            list_records = oai.root.find(f"{OAI}ListRecords")
            token = list_records.find(f"{OAI}resumptionToken") if list_records is not None else None
            if token is not None:
                seen.token_element = True
                seen.token_text = token.text or ""
                seen.token_attributes = {k: v for k, v in token.attrib.items() if isinstance(k, str)}
        ctx.pages.append(seen)
        records += len(page.records)
        if not page.token:
            ctx.list_complete = True
            break
        if page.token in seen_tokens:
            failure = f"page {number} repeats the resumptionToken {page.token!r}: a harvester would loop"
            break
        seen_tokens.add(page.token)
        if len(ctx.pages) >= ctx.max_pages:
            break
        if records >= ctx.sample_size and len(ctx.pages) >= PROTOCOL_PAGES:
            break
        params = {"verb": "ListRecords", "resumptionToken": page.token}
    _list_records(ctx, failure, records)
    _resumption_tokens(ctx)


def _list_records(ctx: Context, failure: str | None, records: int) -> None:
    listed = f"ListRecords metadataPrefix={ctx.chosen}" + (f" set={ctx.set_spec}" if ctx.set_spec else "")
    deleted = sum(1 for p in ctx.pages for r in p.page.records if r.deleted)
    salvaged = [p.page.number for p in ctx.pages if p.page.salvaged]
    read = f"{count(len(ctx.pages), 'page')}, {count(records, 'record')} ({deleted} deleted)"
    if failure and not ctx.pages:
        ctx.add("list-records", "fail", f"{listed}: {failure}")
    elif failure:
        ctx.add("list-records", "fail", f"{read} read, then {failure}; a harvest would stop here")
    elif ctx.no_records:
        ctx.add("list-records", "warn", f"{listed} answers noRecordsMatch: the list is empty, nothing to sample")
    elif salvaged:
        notes = [note for p in ctx.pages for note in p.page.notes]
        ctx.add(
            "list-records",
            "warn",
            f"{read}; not well-formed XML: page {', '.join(map(str, salvaged))}, read record by record "
            "(what could not be read is listed under the sample)",
            notes,
        )
    else:
        end = "to the end of the list" if ctx.list_complete else f"(stopped after {count(len(ctx.pages), 'page')})"
        ctx.add("list-records", "pass", f"{listed}: {read} read {end}")


def _resumption_tokens(ctx: Context) -> None:
    """§3.5: ``cursor`` counts the records before the page, ``completeListSize`` stays the same
    and matches the complete list, and the response completing the list carries an empty token."""
    if not ctx.pages:
        ctx.skip("resumption-token", "no ListRecords page could be read")
        return
    findings: list[tuple[str, str]] = []
    before = 0
    sizes = set()
    for seen in ctx.pages:
        attributes = seen.token_attributes
        cursor, size = attributes.get("cursor"), attributes.get("completeListSize")
        if cursor is not None and (not cursor.isdigit() or int(cursor) != before):
            findings.append(
                ("warn", f"page {seen.page.number}: cursor={cursor!r}, but {before} records came before it")
            )
        if size is not None:
            if not size.isdigit():
                findings.append(("warn", f"page {seen.page.number}: completeListSize={size!r} is not a number"))
            else:
                sizes.add(int(size))
        before += len(seen.page.records)
    if len(sizes) > 1:
        findings.append(("warn", f"completeListSize changes from page to page ({sorted(sizes)})"))
    if sizes and ctx.list_complete and max(sizes) != before:
        findings.append(("warn", f"completeListSize says {max(sizes)}, but the list held {before} records"))
    last = ctx.pages[-1]
    if ctx.list_complete and len(ctx.pages) > 1:
        if not last.token_element and not last.page.salvaged:
            findings.append(
                (
                    "warn",
                    "the last page has no resumptionToken element; it must carry an empty one to say "
                    "the list is complete",
                )
            )
        elif last.token_text and last.token_text.strip() == "" and last.token_text != "":
            findings.append(
                (
                    "warn",
                    f"the last page's resumptionToken holds only whitespace ({last.token_text!r}), "
                    "not nothing; a harvester that does not strip it sends it back",
                )
            )
    with_attributes = sum(1 for p in ctx.pages if p.token_attributes)
    tokens = sum(1 for p in ctx.pages if p.token_element)
    if findings:
        ctx.add("resumption-token", worst(s for s, _ in findings), "; ".join(m for _, m in findings))
    elif len(ctx.pages) == 1 and ctx.list_complete:
        ctx.add("resumption-token", "pass", "the list fits in one response; nothing to resume")
    else:
        ending = "ends with an empty token" if ctx.list_complete else "was not followed to its end"
        detail = (
            "cursor and completeListSize are consistent"
            if with_attributes
            else "tokens carry no cursor or completeListSize, which are optional but let harvesters show progress"
        )
        ctx.add(
            "resumption-token",
            "pass",
            f"{count(len(ctx.pages), 'page')} followed by {count(tokens, 'token')}; the list {ending}; {detail}",
        )


def check_tokens(ctx: Context) -> None:
    """``token-reissue`` (§3.5.1: a token is idempotent while valid, so a harvester that loses an
    answer can ask again) and ``bad-token`` (§3.5, §3.6: a token the feed never issued is
    badResumptionToken)."""
    first = ctx.pages[0].page.token if ctx.pages else None
    if first and len(ctx.pages) > 1:
        ctx.progress("re-issuing a resumption token")
        exchange = ctx.fetch.get({"verb": "ListRecords", "resumptionToken": first})
        oai = exchange.oai()
        expected = [r.identifier for r in ctx.pages[1].page.records]
        if oai.error_code == "badResumptionToken":
            ctx.add(
                "token-reissue",
                "warn",
                "the token of page 1, sent again, is refused (badResumptionToken): tokens are single-use, so a "
                "harvester that loses an answer cannot ask again; §3.5.1 asks for the same page while the "
                "token is valid",
            )
        elif oai.error_code:
            ctx.add("token-reissue", "warn", f"the token of page 1, sent again, is answered {oai.error_code}")
        elif oai.root is None:
            ctx.add("token-reissue", "fail", f"the token of page 1, sent again: {answer(exchange)}")
        else:
            again = [(h.findtext(f"{OAI}identifier") or "").strip() for h in oai.root.iter(f"{OAI}header")]
            if again == expected:
                ctx.add(
                    "token-reissue",
                    "pass",
                    f"the token of page 1, sent again, gives page 2 again ({len(again)} records)",
                )
            else:
                ctx.add(
                    "token-reissue",
                    "warn",
                    f"the token of page 1, sent again, gives other records ({len(again)} instead of "
                    f"{len(expected)}): the repository changed meanwhile, or tokens are not idempotent",
                )
    elif first:
        ctx.skip("token-reissue", "only one page was read: there is no second page to compare")
    else:
        ctx.skip("token-reissue", "the list fits in one response: there is no token to re-issue")
    tampered = first[::-1] if first else INVENTED_TOKEN
    if tampered == first:
        tampered += "x"
    exchange = ctx.fetch.get({"verb": "ListRecords", "resumptionToken": tampered})
    what = "page 1's token, reversed" if first else "an invented token"
    expect(ctx, "bad-token", exchange, "badResumptionToken", what)
