"""The "Responses" group: how the feed answers, over every answer the check received, probes
included. :func:`check_post` is a request of its own (§3.1.1); :func:`check_responses` needs no
network and runs once the requests are done: well-formed OAI-PMH (§3.2), valid against
OAI-PMH.xsd in the envelope and in the payloads (§3.2.1), text/xml in UTF-8 with a UTC
responseDate (§3.1.2, §3.2), and protocol errors in an HTTP 200 answer (§3.1.2, §3.6).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from lxml import etree

from exchange.feedcheck.fetch import OAI, Exchange
from exchange.feedcheck.identify import SECOND
from exchange.feedcheck.report import Context, count
from exchange.feedcheck.schemas import PAYLOAD_HOLDERS, PAYLOAD_SCHEMAS, validate_response

_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", re.IGNORECASE)


def check_post(ctx: Context) -> None:
    """``http-post``: §3.1.1, repositories must support POST (form-encoded) as well as GET."""
    exchange = ctx.fetch.get({"verb": "Identify"}, method="POST")
    oai = exchange.oai()
    if oai.root is not None and oai.root.find(f"{OAI}Identify") is not None:
        ctx.add("http-post", "pass", f"POST verb=Identify is answered with Identify (HTTP {exchange.status})")
    elif oai.error_code:
        ctx.add("http-post", "fail", f"POST verb=Identify is answered with the error {oai.error_code}")
    else:
        ctx.add("http-post", "fail", f"POST verb=Identify is not answered: {oai.problem}")


def check_responses(ctx: Context) -> None:
    """``well-formed``, ``xsd``, ``payload-schemas``, ``response-format``, ``error-http-status``."""
    answered = [e for e in ctx.fetch.exchanges if e.answered]
    ctx.progress(f"validating {len(answered)} answers against OAI-PMH.xsd")
    broken = [e for e in answered if e.oai().root is None]
    if broken:
        ctx.add(
            "well-formed",
            "fail",
            f"{len(broken)} of {count(len(answered), 'answer')} are not well-formed OAI-PMH documents",
            [{"request": e.label, "status": e.status, "problem": e.oai().problem} for e in broken],
        )
    else:
        ctx.add("well-formed", "pass", f"all {len(answered)} answers are well-formed OAI-PMH documents")
    documents = [e for e in answered if e.oai().root is not None]
    _schema(ctx, documents)
    _format(ctx, documents)
    _error_status(ctx, documents)


def _schema(ctx: Context, documents: list[Exchange]) -> None:
    """``xsd`` for the envelope (fail), ``payload-schemas`` for the payloads (warn): OAI-PMH.xsd
    checks ``<metadata>``, ``<about>`` and ``<description>`` content strictly, so payloads in a
    namespace without a local schema are named as not checked rather than as invalid."""
    envelope: list[dict[str, Any]] = []
    payload: list[dict[str, Any]] = []
    present: Counter[str] = Counter()  # payload elements by namespace
    for exchange in documents:
        root = exchange.oai().root
        assert root is not None
        for holder in root.iter(*PAYLOAD_HOLDERS):
            for child in holder:
                if isinstance(child.tag, str):
                    present[etree.QName(child).namespace or "(no namespace)"] += 1
        for finding in validate_response(root):
            item = {"request": exchange.label, "line": finding.line, "message": finding.message}
            if finding.kind == "envelope":
                envelope.append(item)
            elif finding.kind == "payload":
                payload.append({**item, "namespace": finding.namespace})
    if envelope:
        ctx.add(
            "xsd",
            "fail",
            f"{len(envelope)} schema errors outside record payloads in "
            f"{len({i['request'] for i in envelope})} of {len(documents)} responses",
            envelope,
        )
    else:
        ctx.add("xsd", "pass", f"{count(len(documents), 'response')}: valid OAI-PMH envelopes")
    checked = {ns: n for ns, n in present.items() if ns in PAYLOAD_SCHEMAS}
    unchecked = {ns: n for ns, n in present.items() if ns not in PAYLOAD_SCHEMAS}
    note = (
        "; not checked (no local schema): " + ", ".join(f"{ns} ({n})" for ns, n in unchecked.items())
        if unchecked
        else ""
    )
    counted = ", ".join(f"{ns} ({n})" for ns, n in checked.items())
    if payload:
        lom = any("ltsc.ieee.org" in (p["namespace"] or "") for p in payload)
        strict = " (the LOM schema is the strict IEEE LOM v1.0 binding)" if lom else ""
        ctx.add(
            "payload-schemas",
            "warn",
            f"{len(payload)} schema errors in payloads{strict}; validated: {counted}{note}",
            payload,
        )
    elif checked:
        ctx.add("payload-schemas", "pass", f"valid payloads: {counted}{note}")
    else:
        ctx.add("payload-schemas", "pass", f"no payload in a namespace the checker has a schema for{note}")


def _format(ctx: Context, documents: list[Exchange]) -> None:
    """``response-format``: Content-Type text/xml (§3.1.2), UTF-8 (§3.2), responseDate in UTC
    ``YYYY-MM-DDThh:mm:ssZ`` (§3.2)."""
    formats: list[dict[str, Any]] = []
    for exchange in documents:
        problems = []
        media = exchange.content_type.split(";", 1)[0].strip().lower()
        if media != "text/xml":
            problems.append(f"Content-Type {exchange.content_type or '(none)'!r}, not text/xml")
        declared = _DECLARED_ENCODING.match(exchange.body[:200])
        if declared and declared.group(1).decode("ascii").lower().replace("_", "-") not in ("utf-8", "utf8"):
            problems.append(f"encoded in {declared.group(1).decode('ascii')}, not UTF-8")
        root = exchange.oai().root
        stamp = (root.findtext(f"{OAI}responseDate") or "").strip() if root is not None else ""
        if stamp and not SECOND.match(stamp):
            problems.append(f"responseDate {stamp!r} is not UTC YYYY-MM-DDThh:mm:ssZ")
        if problems:
            formats.append({"request": exchange.label, "problems": problems})
    if formats:
        ctx.add(
            "response-format",
            "warn",
            f"{len(formats)} of {len(documents)} responses: "
            + "; ".join(sorted({p for f in formats for p in f["problems"]}))[:400],
            formats,
        )
    else:
        ctx.add("response-format", "pass", f"{count(len(documents), 'response')}: text/xml, UTF-8, UTC responseDate")


def _error_status(ctx: Context, documents: list[Exchange]) -> None:
    """``error-http-status``: an OAI-PMH error is an ``<error>`` in an HTTP 200 answer (§3.1.2,
    §3.6). The checker reads the ``<error>`` of any status anyway, as the hub's harvester does."""
    errors = [e for e in documents if e.oai().error_code]
    off = [e for e in errors if e.status != 200]
    if off:
        statuses = ", ".join(sorted({f"HTTP {e.status}" for e in off}))
        ctx.add(
            "error-http-status",
            "warn",
            f"{len(off)} of {len(errors)} OAI-PMH errors came with {statuses}, not HTTP 200: harvesters that "
            "stop at the HTTP status never read the error (the hub reads it anyway)",
            [{"request": e.label, "status": e.status, "code": e.oai().error_code} for e in off],
        )
    elif errors:
        ctx.add("error-http-status", "pass", f"all {len(errors)} OAI-PMH errors came with HTTP 200")
    else:
        ctx.skip("error-http-status", "no request was answered with an OAI-PMH error")
