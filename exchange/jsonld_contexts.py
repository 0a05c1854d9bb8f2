"""JSON-LD contexts from a local cache, never from the network named by input.

A JSON-LD processor dereferences every context URL a document names (JSON-LD 1.1 Processing
Algorithms §4.1.2 step 5.2, through the API's LoadDocumentCallback, JSON-LD 1.1 API §9.4.1).
A harvested or uploaded document would then choose what the hub fetches: any host, its own
network included (request forgery), slow or endless answers, contexts that change meaning
under the hub's feet. DESIGN.md: "contexts come from a local cache; never fetched from a URL
named by input".

So the only way into pyld is this module: :func:`load_document` is a pyld document loader
that serves the contexts in ``schemas/contexts/`` (schema.org, AMB) and the hub's own
(``schemas/hub-context.jsonld``) by exact URL, and refuses every other URL with
:class:`ContextNotCached`, without any network access. Importing the module also makes it
pyld's default loader for the process, so a pyld call that forgets ``documentLoader`` cannot
go online either. :func:`expand` and :func:`to_rdf` pass it explicitly and surface the
refusal itself (pyld wraps a loader's error in a generic "Dereferencing a URL did not result
in a valid JSON-LD object").

The other JSON-LD readers in the dependencies: pyoxigraph's JSON-LD parser has no document
loader in its Python API (a remote ``@context`` fails with "No LoadDocumentCallback has been
set"), and rdflib's json-ld plugin *does* fetch remote contexts, so the hub never hands JSON-LD
to rdflib (tests/test_hostile_input.py checks both, and that nothing else imports pyld or rdflib).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pyld import jsonld

from exchange.resources import data_dir

AMB_CONTEXT = "https://w3id.org/kim/amb/context.jsonld"
SCHEMA_ORG_CONTEXT = "https://schema.org/"
HUB_CONTEXT = "https://w3id.org/eduhub/context.jsonld"

_AMB = "contexts/amb-context.jsonld"
_SCHEMA_ORG = "contexts/schemaorg-context-head.jsonld"
#: context URL (exactly as documents name it, fragment aside) → file under schemas/
CACHED: dict[str, str] = {
    AMB_CONTEXT: _AMB,
    "http://w3id.org/kim/amb/context.jsonld": _AMB,
    "https://w3id.org/kim/amb/draft/context.jsonld": _AMB,
    "https://w3id.org/kim/amb/20231019/context.jsonld": _AMB,
    **{
        f"{scheme}://schema.org{path}": _SCHEMA_ORG
        for scheme in ("http", "https")
        for path in ("", "/", "/docs/jsonldcontext.jsonld", "/docs/jsonldcontext.json")
    },
    HUB_CONTEXT: "hub-context.jsonld",
}


class ContextNotCached(jsonld.JsonLdError):
    """A document names a context the hub does not hold; it is never fetched."""

    def __init__(self, url: str) -> None:
        self.message = (
            f"JSON-LD context {url!r} is not in the hub's local cache (schema.org, AMB, the hub's own) "
            "and is never fetched"
        )
        super().__init__(self.message, "jsonld.LoadDocumentError", {"url": url}, code="loading remote context failed")
        self.url = url

    def __str__(self) -> str:
        return self.message


@cache
def _document(filename: str) -> Any:
    return json.loads(data_dir("schemas").joinpath(filename).read_text(encoding="utf-8"))


def cached_context(url: str) -> Any | None:
    """The cached document for a context URL, or None if the hub does not hold it."""
    filename = CACHED.get(url.split("#", 1)[0])
    return _document(filename) if filename else None


def load_document(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: a cached context as a RemoteDocument (JSON-LD 1.1 API §9.4.2),
    or :class:`ContextNotCached`. Never opens a connection."""
    document = cached_context(url)
    if document is None:
        raise ContextNotCached(url)
    return {"contextUrl": None, "documentUrl": url, "document": document}


def _offline(options: dict[str, Any] | None) -> dict[str, Any]:
    return {**(options or {}), "documentLoader": load_document}


def _unwrap(error: jsonld.JsonLdError) -> jsonld.JsonLdError:
    """The :class:`ContextNotCached` behind pyld's generic wrapping, if that is what happened."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ContextNotCached):
            return seen
        seen = seen.__cause__ or seen.__context__
    return error


def expand(document: Any, options: dict[str, Any] | None = None) -> list[Any]:
    """``jsonld.expand`` with only cached contexts; raises :class:`ContextNotCached` for others."""
    try:
        return jsonld.expand(document, _offline(options))
    except jsonld.JsonLdError as error:
        raise _unwrap(error) from None


def to_rdf(document: Any, options: dict[str, Any] | None = None) -> Any:
    """``jsonld.to_rdf`` with only cached contexts; raises :class:`ContextNotCached` for others."""
    try:
        return jsonld.to_rdf(document, _offline(options))
    except jsonld.JsonLdError as error:
        raise _unwrap(error) from None


# Whatever pyld call in this process forgets its documentLoader still stays offline.
jsonld.set_document_loader(load_document)
