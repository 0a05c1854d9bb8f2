"""The feed checker over HTTP: ``POST /api/feed-check`` (JSON) and ``/feed-check`` (an HTML form).

Thin: the checking is :func:`exchange.feedcheck.check_feed`. What this module adds is what a
public endpoint needs because a stranger names the URL the hub then fetches: the URL is
refused unless it is http(s) on a public address (``EDUHUB_FEEDCHECK_ALLOW_PRIVATE=1`` lifts
the address rule for a hub on a private network), the work is bounded (time budget, pages,
sample size), and only a few checks run at once (429 when busy). Nothing is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from exchange import feedcheck
from exchange.api.errors import error_body
from exchange.linkeddata.html import base_path, esc

router = APIRouter(tags=["feed check"])

#: checks that may run at once in one hub process; more get 429
MAX_CONCURRENT_CHECKS = 1
#: the largest sample the API reads (the CLI allows more)
API_MAX_SAMPLE = 500
#: seconds one check over the API may take, requests and analysis
API_BUDGET = 120.0
API_MAX_PAGES = 10
#: bytes of one answer over the API: pages are held until the check ends
API_MAX_BODY = 8 * 1024 * 1024
#: seconds a client is asked to wait when a check is running
RETRY_AFTER = 30
_SLOTS_LOCK = threading.Lock()

DESCRIPTION = (
    "Checks an OAI-PMH feed before it joins the hub, without storing anything: protocol conformance "
    "(Identify fields, every response against OAI-PMH.xsd, resumption tokens, from/until, the "
    "deleted-record policy, error codes), the metadata formats offered and the one the hub would harvest, "
    "and, for a sample of records in that format, what the hub would make of them (quarantine with "
    "reasons, crosswalk coverage, quality tiers, accessibility and sustainability, the top problems with "
    "example identifiers). See docs/feed-check.md for each check. Only http(s) URLs on public addresses "
    f"are fetched (403 otherwise, unless the operator allows private ones); at most {MAX_CONCURRENT_CHECKS} "
    f"check runs at a time (429 with Retry-After otherwise); a check takes at most {API_BUDGET:.0f} s and "
    f"reads at most {API_MAX_PAGES} ListRecords pages of at most {API_MAX_BODY // 2**20} MB. The report's "
    "`summary` counts pass/warn/fail; `reachable` is false when the feed did not answer at all."
)


class FeedCheckRequest(BaseModel):
    """What to check."""

    model_config = ConfigDict(populate_by_name=True)

    url: str = Field(
        description="The OAI-PMH base URL of the feed (http or https), without a verb.",
        max_length=2000,
        examples=["https://zenodo.org/oai2d"],
    )
    sample: int = Field(
        default=feedcheck.DEFAULT_SAMPLE,
        ge=0,
        le=API_MAX_SAMPLE,
        description=f"How many records to analyse (the first ones listed); 0 checks the protocol only. "
        f"At most {API_MAX_SAMPLE}.",
    )
    metadata_prefix: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9\-_.!~*'()]+$",
        description="The format to sample. Default: the one the hub would choose (the richest format it reads).",
    )
    set_spec: str | None = Field(
        default=None,
        alias="set",
        max_length=200,
        pattern=r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$",
        description="Sample only this OAI-PMH set (a setSpec).",
    )


_ERROR_SHAPE = {
    "application/json": {
        "example": {"error": {"status": 400, "code": "bad-url", "message": "only http and https URLs can be checked"}}
    }
}


@router.post(
    "/api/feed-check",
    summary="Check an OAI-PMH feed before it joins (nothing is stored)",
    description=DESCRIPTION,
    responses={
        200: {"description": "The report: `checks`, `formats`, `chosen_format`, `sample`, `summary`."},
        400: {
            "description": "The URL or a parameter is malformed (`bad-url`, `bad-parameter`).",
            "content": _ERROR_SHAPE,
        },
        403: {
            "description": "The URL's host is not on a public address (`address-not-allowed`).",
            "content": _ERROR_SHAPE,
        },
        429: {"description": "A check is running already (`busy`); see Retry-After.", "content": _ERROR_SHAPE},
    },
)
def feed_check(body: FeedCheckRequest, request: Request) -> Any:
    outcome = _run(request, body.url, body.sample, body.metadata_prefix, body.set_spec)
    if isinstance(outcome, _Refusal):
        return JSONResponse(error_body(outcome.status, outcome.code, outcome.message), outcome.status, outcome.headers)
    return outcome


@router.get("/feed-check", response_class=HTMLResponse, summary="The feed checker as a web page (a form)")
def feed_check_page(request: Request) -> HTMLResponse:
    return HTMLResponse(_page(request, _form()))


_FORM_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["url"],
                "properties": {
                    "url": {"type": "string", "description": "The OAI-PMH base URL of the feed."},
                    "sample": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": API_MAX_SAMPLE,
                        "default": feedcheck.DEFAULT_SAMPLE,
                        "description": "How many records to analyse.",
                    },
                    "metadata_prefix": {"type": "string", "description": "The format to sample (optional)."},
                    "set": {"type": "string", "description": "Sample only this set (optional)."},
                },
            }
        }
    },
}


#: a person filled in the form: a refusal is the form again, with the message (an HTML page, not JSON)
_FORM_ERROR = {
    "description": "The form again, with the message.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


@router.post(
    "/feed-check",
    response_class=HTMLResponse,
    summary="Check a feed from the web form; the report as a page",
    description="The form of `GET /feed-check`, posted: the same check as `POST /api/feed-check`, the "
    "report rendered as HTML (every text from the feed escaped). Errors are the form again with the "
    "message, with status 400, 403 or 429.",
    openapi_extra={"requestBody": _FORM_BODY},
    responses={status: _FORM_ERROR for status in (400, 403, 429)},
)
async def feed_check_form(request: Request) -> HTMLResponse:
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    url = fields.get("url", "").strip()
    try:
        sample = int(fields.get("sample") or feedcheck.DEFAULT_SAMPLE)
    except ValueError:
        sample = -1
    prefix = fields.get("metadata_prefix", "").strip() or None
    set_spec = fields.get("set", "").strip() or None
    if not url or not 0 <= sample <= API_MAX_SAMPLE:
        message = "Give the feed's base URL." if not url else f"The sample must be 0 to {API_MAX_SAMPLE} records."
        return HTMLResponse(_page(request, _form(fields, message)), status_code=400)
    outcome = await run_in_threadpool(_run, request, url, sample, prefix, set_spec)
    if isinstance(outcome, _Refusal):
        return HTMLResponse(_page(request, _form(fields, outcome.message)), outcome.status, outcome.headers)
    return HTMLResponse(_page(request, _form(fields) + render_html(outcome)))


# ---------------------------------------------------------------------- the guarded run


class _Refusal:
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _run(
    request: Request, url: str, sample: int, prefix: str | None, set_spec: str | None
) -> dict[str, Any] | _Refusal:
    settings = request.app.state.hub.settings
    allow_private = bool(getattr(settings, "feedcheck_allow_private", False))
    try:
        feedcheck.guard_url(url.strip(), allow_private=allow_private)
    except feedcheck.AddressNotAllowed as error:
        return _Refusal(403, "address-not-allowed", str(error))
    except feedcheck.BadUrl as error:
        return _Refusal(400, "bad-url", str(error))
    with _slot(request) as free:
        if not free:
            return _Refusal(
                429,
                "busy",
                "a feed check is running already; try again in a moment",
                {"Retry-After": str(RETRY_AFTER)},
            )
        try:
            return feedcheck.check_feed(
                url,
                sample=sample,
                metadata_prefix=prefix,
                set_spec=set_spec,
                allow_private=allow_private,
                budget=API_BUDGET,
                max_pages=API_MAX_PAGES,
                max_body=API_MAX_BODY,
            )
        except feedcheck.AddressNotAllowed as error:
            return _Refusal(403, "address-not-allowed", str(error))
        except feedcheck.BadUrl as error:
            return _Refusal(400, "bad-url", str(error))


@contextmanager
def _slot(request: Request) -> Iterator[bool]:
    """One of the app's check slots, if one is free (never waits: a waiting request would hold a
    server thread for minutes)."""
    with _SLOTS_LOCK:
        slots = getattr(request.app.state, "feedcheck_slots", None)
        if slots is None:
            slots = request.app.state.feedcheck_slots = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)
    free = slots.acquire(blocking=False)
    try:
        yield free
    finally:
        if free:
            slots.release()


# ---------------------------------------------------------------------- HTML

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:64rem;margin:1rem auto;padding:0 1rem;line-height:1.5}"
    "table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #999;padding:.25rem .5rem;"
    "text-align:left;vertical-align:top}label{display:block;font-weight:bold;margin-top:.75rem}"
    "input{font:inherit;padding:.25rem;min-width:20rem}button{font:inherit;margin-top:1rem;padding:.4rem 1rem}"
    ".hint{margin:.1rem 0;color:#333}.status-fail{color:#8b0000}.status-warn{color:#7a4b00}"
    ".status-pass{color:#0b5d1e}[role=alert]{border:2px solid #8b0000;padding:.5rem}"
    ".iri{font-family:monospace;word-break:break-all}"
)


def _page(request: Request, body: str) -> str:
    home = base_path(request.app.state.hub.settings.base) + "/"
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Feed check — EduHub Exchange</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<header><nav aria-label="Hub"><a href="{esc(home)}">EduHub Exchange</a></nav></header>\n'
        f"<main>\n<h1>Check an OAI-PMH feed</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _form(values: dict[str, str] | None = None, error: str | None = None) -> str:
    values = values or {}
    alert = f'<p role="alert">{esc(error)}</p>\n' if error else ""

    def field(name: str, label: str, hint: str, kind: str = "text", extra: str = "") -> str:
        value = values.get(name, str(feedcheck.DEFAULT_SAMPLE) if name == "sample" else "")
        return (
            f'<label for="fc-{name}">{esc(label)}</label>\n'
            f'<p class="hint" id="fc-{name}-hint">{esc(hint)}</p>\n'
            f'<input id="fc-{name}" name="{name}" type="{kind}" value="{esc(value)}" '
            f'aria-describedby="fc-{name}-hint"{extra}>\n'
        )

    return (
        "<p>See how a repository's feed would fare in this hub before it joins: protocol conformance, "
        "the metadata formats the hub reads, and what becomes of a sample of records. Nothing is stored. "
        "Each check is explained in the hub's docs/feed-check.md; the same report is available as JSON "
        'from <code>POST /api/feed-check</code> (<a href="/docs">API documentation</a>).</p>\n'
        f"{alert}"
        '<form method="post">\n<fieldset>\n<legend>Feed</legend>\n'
        + field(
            "url",
            "OAI-PMH base URL",
            "The address harvesters use, without ?verb=…, e.g. https://example.org/oai",
            "url",
            " required",
        )
        + field(
            "sample",
            "Records to sample",
            f"The first records listed, 0 to {API_MAX_SAMPLE}; 0 checks the protocol only.",
            "number",
            f' min="0" max="{API_MAX_SAMPLE}"',
        )
        + field("metadata_prefix", "metadataPrefix (optional)", "Default: the richest format the hub reads.")
        + field("set", "Set (optional)", "A setSpec, to sample one set only.")
        + '</fieldset>\n<button type="submit">Check the feed</button>\n</form>\n'
    )


def render_html(report: dict[str, Any]) -> str:
    """The report as an HTML section; every string that came from the feed is escaped."""
    summary = report["summary"]
    parts = [
        '<section aria-labelledby="fc-result">',
        f'<h2 id="fc-result">Result for <span class="iri">{esc(report["base_url"])}</span></h2>',
        f"<p>Repository: {esc(report.get('repository') or '(unknown)')}. Checked at {esc(report['checked_at'])} "
        f"with {esc(report['requests'])} requests.</p>",
        f"<p><strong>{esc(feedcheck.summary_line(summary))}</strong>"
        + ("" if report.get("reachable", True) else " — the feed could not be reached")
        + "</p>",
    ]
    for group in feedcheck.GROUPS:
        checks = [c for c in report["checks"] if c["group"] == group]
        if not checks:
            continue
        heading = f"fc-group-{group.lower().replace(' ', '-')}"
        parts.append(f'<h3 id="{heading}">{esc(group)}</h3>')
        parts.append(f'<table aria-labelledby="{heading}"><thead><tr><th scope="col">Status</th>')
        parts.append('<th scope="col">Check</th><th scope="col">Finding</th></tr></thead><tbody>')
        for check in checks:
            status = check["status"]
            spec = f" ({esc(check['spec'])})" if check.get("spec") else ""
            evidence = ""
            if check.get("evidence"):
                items = "".join(f"<li>{esc(feedcheck.evidence_text(item))}</li>" for item in check["evidence"])
                evidence = f"<details><summary>Evidence</summary><ul>{items}</ul></details>"
            parts.append(
                f'<tr><td class="status-{esc(status)}"><strong>{esc(status.upper())}</strong></td>'
                f"<td>{esc(check['title'])}{spec}</td><td>{esc(check['message'])}{evidence}</td></tr>"
            )
        parts.append("</tbody></table>")
    if report.get("skipped"):
        items = "".join(f"<li>{esc(s['title'])}: {esc(s['reason'])}</li>" for s in report["skipped"])
        parts.append(f"<h3>Not checked</h3><ul>{items}</ul>")
    if report.get("formats"):
        rows = "".join(
            f"<tr><td>{esc(f['prefix'])}{' (chosen)' if f.get('chosen') else ''}</td>"
            f'<td class="iri">{esc(f.get("namespace") or "")}</td>'
            f"<td>{esc(f['crosswalk']) if f['readable'] else 'not read by the hub'}</td></tr>"
            for f in report["formats"]
        )
        parts.append(
            '<h3 id="fc-formats">Metadata formats</h3><table aria-labelledby="fc-formats"><thead><tr>'
            '<th scope="col">metadataPrefix</th><th scope="col">Namespace</th><th scope="col">Hub crosswalk</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    parts.append(_sample_html(report["sample"]))
    parts.append("</section>")
    return "\n".join(parts)


def _sample_html(sample: dict[str, Any]) -> str:
    head = f"Sample: {esc(sample['records'])} records in {esc(sample.get('metadata_prefix') or '-')}"
    if sample.get("set"):
        head += f", set {esc(sample['set'])}"
    parts = [f'<h3 id="fc-sample">{head}</h3>']
    if sample.get("skipped"):
        parts.append(f"<p>Not analysed: {esc(sample['skipped'])}</p>")
        return "\n".join(parts)
    quarantined = sample["quarantined"]
    parts.append(
        f"<p>{esc(sample['stored'])} would be stored, {len(quarantined)} quarantined, "
        f"{esc(sample['deleted'])} deleted.</p>"
    )
    if quarantined:
        rows = "".join(
            f'<tr><td class="iri">{esc(q["identifier"])}</td><td>{esc(q["stage"])}</td><td>{esc(q["reason"])}</td></tr>'
            for q in quarantined
        )
        parts.append(
            '<table aria-label="Quarantined records"><thead><tr><th scope="col">Identifier</th>'
            f'<th scope="col">Stage</th><th scope="col">Reason</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    cover = sample.get("coverage")
    if cover and cover.get("values"):
        parts.append(
            f"<p>Crosswalk coverage: {esc(cover['values'])} values; mapped {esc(cover['mapped'])} "
            f"({cover['mapped_share']:.0%}), kept {esc(cover['kept'])}, dropped {esc(cover['dropped'])} "
            f"(without a reason: {esc(cover['unexplained_drops'])}).</p>"
        )
    for title, tags in (
        ("Quality tiers", sample["tiers"]),
        ("Accessibility features", sample["accessibility"]["features"]),
        ("Accessibility metadata", sample["accessibility"]["metadata"]),
        ("Accessibility warnings", sample["accessibility"]["warnings"]),
        ("Sustainability", sample["sustainability"]),
    ):
        parts.append(f"<p>{esc(title)}: {esc(feedcheck.tag_line(tags))}</p>")
    if sample["problems"]:
        items = "".join(
            f"<li>{esc(p['problem'])}: {esc(p['count'])} "
            f'(e.g. <span class="iri">{esc(", ".join(p["examples"]))}</span>)</li>'
            for p in sample["problems"]
        )
        parts.append(f"<h4>Top problems</h4><ol>{items}</ol>")
    return "\n".join(parts)
