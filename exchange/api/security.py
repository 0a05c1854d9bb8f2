"""HTTP hardening for a public endpoint: security headers, CORS for reads only, request size limits.

One pure ASGI middleware (:class:`SecurityMiddleware`, added by :func:`install`) in front of
every route, so no endpoint can forget it. What it does, and why (docs/security.md):

* **Headers on every response** (unless the endpoint set its own): ``X-Content-Type-Options:
  nosniff`` (no MIME sniffing of harvested text into HTML), ``Referrer-Policy: no-referrer``
  (record IRIs and queries in URLs do not leak to linked sites), ``X-Frame-Options: DENY`` and
  CSP ``frame-ancestors 'none'`` (no framing, no clickjacking), ``Strict-Transport-Security``
  when the request came over https. A ``Content-Security-Policy`` on every response: HTML
  pages get :data:`PAGE_POLICY` (no script at all, inline styles only) unless they set their
  own (the linked-data pages do: theirs is kept, ``frame-ancestors 'none'`` appended if it
  lacks one); everything else gets :data:`API_POLICY`.
* **The API docs** (``/docs``, ``/redoc``, the OAuth2 redirect page) are FastAPI's Swagger UI /
  ReDoc, which load their scripts and styles from a CDN and start with an inline script.
  Rather than drop CSP there (or allow every inline script), the page is held back, its
  inline scripts are hashed, and :data:`DOCS_POLICY` allows exactly those hashes plus the CDN
  hosts FastAPI names. The pages carry no harvested text; the CDN stays a third party the
  browser trusts for those pages only.
* **CORS**: the hub is open data, so ``GET`` and ``HEAD`` answers carry
  ``Access-Control-Allow-Origin: *`` (no credentials: the write API takes bearer tokens, never
  cookies). Other methods never do (any such header an endpoint set is removed), and a preflight
  (``OPTIONS`` with ``Access-Control-Request-Method``, Fetch standard §3.2.2) is answered 204
  only for ``GET``/``HEAD``; for anything else it is refused with 403, so a browser never
  sends a cross-origin ``POST`` (SPARQL, OAI-PMH, feed check, harvest) that needs one, and
  cannot read the answer of a simple one.
* **Size limits**: a request whose body exceeds ``max_body_bytes`` is answered 413 with the
  project's JSON error shape (``body-too-large``) before any of it is read: by its
  ``Content-Length``, or, for a chunked body, by counting while reading (at most the limit is
  held, then the rest is not read). The answer closes the connection. A path and query string
  over ``max_url_bytes`` is answered 414 (``url-too-long``); beyond uvicorn's own bound on the
  request head (16 KiB with h11) the server's parser answers a plain 400 before the app runs.

The limits come from :class:`exchange.config.Settings` (``EDUHUB_MAX_BODY_BYTES``, default
1 MiB; ``EDUHUB_MAX_URL_BYTES``, default 8 KiB). No endpoint needs a larger body: the POST
endpoints take a SPARQL query or form, an OAI-PMH form, a feed-check form or JSON of a few
fields, or nothing (harvest trigger).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exchange.api.errors import error_response
from exchange.config import Settings

READ_METHODS = frozenset({"GET", "HEAD"})
#: HTML pages of the hub: no script, no plugin, inline styles (the pages have a <style>), forms to itself
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: every other response (JSON, RDF, XML, dumps): nothing may run or be framed even if a browser renders it
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: Swagger UI / ReDoc; ``{scripts}``: the CDN FastAPI loads them from and the hashes of the page's inline scripts
DOCS_POLICY = (
    "default-src 'none'; script-src {scripts}; "
    "style-src https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline'; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; font-src https://fonts.gstatic.com; "
    "connect-src 'self'; worker-src blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: request headers a cross-origin GET may send after a preflight (beyond the CORS-safelisted ones)
CORS_REQUEST_HEADERS = "Accept, Accept-Language, Content-Language, If-None-Match, If-Modified-Since, Range"
#: response headers cross-origin scripts may read (beyond the safelisted ones)
CORS_EXPOSED_HEADERS = "Content-Disposition, Content-Location, Link, Location, Retry-After, Vary"
CORS_MAX_AGE = "86400"
HSTS = "max-age=31536000"

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)


def install(app: FastAPI) -> None:
    """Put :class:`SecurityMiddleware` in front of every route, with the hub's limits."""
    settings = getattr(getattr(app.state, "hub", None), "settings", None)
    docs = [app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url]
    app.add_middleware(
        SecurityMiddleware,
        max_body_bytes=getattr(settings, "max_body_bytes", Settings.max_body_bytes),
        max_url_bytes=getattr(settings, "max_url_bytes", Settings.max_url_bytes),
        docs_paths=[path for path in docs if path],
    )


class SecurityMiddleware:
    """See the module docstring; pure ASGI, so bodies stream through untouched."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_url_bytes: int, docs_paths: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_url_bytes = max_url_bytes
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = Headers(scope=scope)
        send = self._headers_on(scope, send)

        url_bytes = len(scope.get("raw_path") or scope["path"].encode("utf-8")) + len(scope.get("query_string", b""))
        if url_bytes > self.max_url_bytes:
            message = f"the request's path and query are {url_bytes} bytes, over the limit of {self.max_url_bytes}"
            hint = "; send a long SPARQL query by POST" if scope["path"].endswith("/sparql") else ""
            await error_response(414, "url-too-long", message + hint)(scope, receive, send)
            return

        if method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers:
            await self._preflight(headers)(scope, receive, send)
            return

        length = headers.get("content-length")
        declared = int(length) if length is not None and re.fullmatch(r"\s*[0-9]+\s*", length) else None
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(f"a body of {declared} bytes")(scope, receive, send)
            return
        if length is None and "chunked" in headers.get("transfer-encoding", "").lower():
            body, complete = await _read_at_most(receive, self.max_body_bytes)
            if not complete:
                await self._too_large("a chunked body")(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _too_large(self, what: str) -> Response:
        response = error_response(
            413, "body-too-large", f"{what} is over the limit of {self.max_body_bytes} bytes; it was not read"
        )
        # The rest of the body is not read: close the connection instead of draining it.
        response.headers["Connection"] = "close"
        return response

    @staticmethod
    def _preflight(headers: Headers) -> Response:
        """A CORS preflight: allowed for reads only (Fetch standard §3.2.2, CORS-preflight fetch)."""
        wanted = headers["access-control-request-method"].strip().upper()
        if wanted not in READ_METHODS:
            return error_response(
                403,
                "cors-not-allowed",
                f"cross-origin {wanted or 'other'} requests are not allowed; only GET and HEAD are open to all origins",
            )
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET, HEAD",
                "Access-Control-Allow-Headers": CORS_REQUEST_HEADERS,
                "Access-Control-Max-Age": CORS_MAX_AGE,
            },
        )

    def _headers_on(self, scope: Scope, send: Send) -> Send:
        """``send`` adding the security and CORS headers to the response start; holds back the
        docs pages until their inline scripts can be hashed into their policy."""
        # CORS headers: added to reads, kept on a preflight's answer (made above), removed elsewhere
        cors = "add" if scope["method"] in READ_METHODS else "keep" if scope["method"] == "OPTIONS" else "strip"
        https = scope.get("scheme") == "https"
        docs = _route_path(scope) in self.docs_paths
        held: list[Message] = []

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                _common(headers, cors=cors, https=https)
                html = headers.get("content-type", "").lower().startswith("text/html")
                if docs and html and "content-security-policy" not in headers:
                    held.append(message)
                    return
                _policy(headers, html)
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body", False):
                    return
                start, *bodies = held
                held.clear()
                page = b"".join(part.get("body", b"") for part in bodies)
                MutableHeaders(scope=start)["Content-Security-Policy"] = docs_policy(page)
                await send(start)
                await send({"type": "http.response.body", "body": page, "more_body": False})
                return
            await send(message)

        return wrapped


def docs_policy(page: bytes) -> str:
    """:data:`DOCS_POLICY` allowing exactly the inline scripts of ``page`` (CSP Level 3 §2.3.1 hash-source)."""
    sources = ["https://cdn.jsdelivr.net"] + [
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode('ascii')}'"
        for script in _INLINE_SCRIPT.findall(page)
    ]
    return DOCS_POLICY.format(scripts=" ".join(sources))


def _common(headers: MutableHeaders, *, cors: str, https: bool) -> None:
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ):
        if name not in headers:
            headers[name] = value
    if https and "strict-transport-security" not in headers:
        headers["Strict-Transport-Security"] = HSTS
    if cors == "add":
        headers["Access-Control-Allow-Origin"] = "*"
        if "access-control-expose-headers" not in headers:
            headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    elif cors == "strip":
        for name in [key for key in headers if key.lower().startswith("access-control-")]:
            del headers[name]


def _policy(headers: MutableHeaders, html: bool) -> None:
    existing = headers.get("content-security-policy")
    if existing is None:
        headers["Content-Security-Policy"] = PAGE_POLICY if html else API_POLICY
    elif "frame-ancestors" not in existing:
        headers["Content-Security-Policy"] = f"{existing.rstrip('; ')}; frame-ancestors 'none'"


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _read_at_most(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body if it is at most ``limit`` bytes (True), or what was read when it went over
    (False): reading stops there, the rest stays unread."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: the client is gone
            return b"".join(parts), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", False
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the already-read body once, then defers to the server's."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
