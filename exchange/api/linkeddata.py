"""Linked data over HTTP: records, concepts, schemes and sources dereference; VoID, DCAT, the context.

Thin routes over :mod:`exchange.linkeddata` (docs/linked-data.md). Every negotiated answer says
``Vary: Accept``; errors keep the API's one JSON shape (:mod:`exchange.api.errors`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from exchange import clusters, vocabularies
from exchange import linkeddata as ld
from exchange.api.errors import error_response
from exchange.hub import Hub
from exchange.linkeddata.html import cluster_html
from exchange.linkeddata.negotiation import FORMAT_ALIASES

router = APIRouter(tags=["linked data"])
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Response])


def _get(path: str, **options: Any) -> Callable[[F], F]:
    """Register a GET route and its HEAD twin (left out of the OpenAPI description)."""

    def register(function: F) -> F:
        router.add_api_route(path, function, methods=["GET"], response_class=Response, **options)
        router.add_api_route(path, function, methods=["HEAD"], response_class=Response, include_in_schema=False)
        return function

    return register


_ERRORS: dict[type[Exception], tuple[int, str]] = {
    ld.UnknownFormat: (400, "bad-parameter"),
    ld.NotFound: (404, "not-found"),
    ld.NotAcceptable: (406, "not-acceptable"),
    ld.Gone: (410, "gone"),
}
_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_FORMAT_DOC = (
    "Representation by `Accept` (q-values honoured) or by `format`, which wins: "
    "html, jsonld, turtle, ntriples, rdfxml{extra}. Unknown format: 400; nothing acceptable: 406."
)


def _format_parameter(*offered: str) -> dict[str, Any]:
    """``format`` in the OpenAPI description (``_answer`` reads it from the query itself, so that a
    malformed one is refused before the lookup), with the short names it also takes."""
    names = [*offered, *(alias for alias, name in FORMAT_ALIASES.items() if name in offered)]
    schema = {"type": "string", "enum": names}
    return {"parameters": [{"name": "format", "in": "query", "required": False, "schema": schema}]}


def _headers(offered: Sequence[str], *, negotiated: bool = True) -> dict[str, str]:
    headers = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
    if negotiated:
        headers["Vary"] = "Accept"
        headers["Link"] = ", ".join(
            f'<?format={name}>; rel="alternate"; type="{ld.MEDIA_TYPES[name]}"' for name in offered
        )
    return headers


def _media(name: str) -> str:
    media = ld.MEDIA_TYPES[name]
    return f"{media}; charset=utf-8" if media.startswith("text/") else media


def _answer(
    request: Request,
    offered: Sequence[str],
    lookup: Callable[[], T],
    render: Callable[[str, T], bytes | str],
    explicit: Sequence[str] = (),
) -> Response:
    """Check ``format``, find the resource, negotiate, render.

    A malformed ``format`` is refused before the lookup (400), an unacceptable one after it
    (406), so an unknown resource is a 404 (or 410) whatever was asked for."""
    headers = _headers([*offered, *explicit])
    try:
        formats = request.query_params.getlist("format")
        if len(formats) > 1:
            raise ld.UnknownFormat("give format once")
        if formats:
            ld.format_name(formats[0])
        found = lookup()
        name = ld.negotiate(request.headers.get("accept"), formats[0] if formats else None, offered, explicit)
        body = render(name, found)
    except tuple(_ERRORS) as error:
        status, code = _ERRORS[type(error)]
        response = error_response(status, code, str(error))
        response.headers.update(headers)
        return response
    if name == "html":
        headers["Content-Security-Policy"] = _HTML_POLICY
    return Response(body, media_type=_media(name), headers=headers)


def _rdf(triples: set[ox.Triple], name: str, jsonld: Callable[[], Any] | None = None) -> bytes:
    if name == "jsonld":
        return ld.jsonld_bytes(jsonld() if jsonld else ld.graph_jsonld(triples))
    return ld.serialize(triples, name)


def _render_rdf(name: str, triples: set[ox.Triple]) -> bytes:
    return _rdf(triples, name)


def _raw_path(request: Request) -> str:
    """The request path as the client sent it (still percent-encoded)."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def _raw_rest(request: Request, prefix: str) -> str:
    """The raw path after ``prefix``."""
    _, found, rest = _raw_path(request).partition(prefix)
    return rest if found else ""


# ---------------------------------------------------------------------- records


@_get(
    "/resources/{resource:path}",
    summary="A record: HTML page, RDF or XML",
    description="The record whose IRI is `{base}/resources/{source}/{local-id}` (the local id percent-encoded "
    "as in the IRI: `/` as `%2F`). "
    + _FORMAT_DOC.format(extra=", or lom, oai_dc, eduhub (XML, by `format` only)")
    + " Unknown record: 404; deleted record: 410.",
    openapi_extra=_format_parameter(*ld.PAGE_FORMATS, *ld.XML_FORMATS),
)
def record(resource: str, request: Request) -> Response:
    hub: Hub = request.app.state.hub
    iri = ld.resource_iri(hub.settings.base, _raw_rest(request, "/resources/"))

    def lookup() -> ld.RecordView:
        if iri is None:
            raise ld.NotFound("a record path is /resources/{source}/{local-id}")
        return ld.record_view(hub, iri)

    def render(name: str, view: ld.RecordView) -> bytes | str:
        if name == "html":
            return ld.record_html(hub, view)
        if name in ld.XML_FORMATS:
            return ld.record_xml(view, name)
        return _rdf(ld.record_triples(view), name, lambda: ld.record_jsonld(view))

    return _answer(request, ld.PAGE_FORMATS, lookup, render, ld.XML_FORMATS)


# ---------------------------------------------------------------------- vocabularies


@_get(
    "/vocab/{path:path}",
    summary="A concept or scheme of the hub's vocabularies, or the list of schemes",
    description="The concept or scheme `https://w3id.org/eduhub/vocab/{path}`: labels in every language, "
    "definition, broader/narrower, mappings in and out, and how many records use it; for a scheme its title, "
    "licence, creator and concepts. `/vocab/` lists the hub's schemes. "
    + _FORMAT_DOC.format(extra="")
    + " Unknown IRI: 404.",
    openapi_extra=_format_parameter(*ld.PAGE_FORMATS),
)
def vocab(path: str, request: Request) -> Response:
    hub: Hub = request.app.state.hub
    rest = _raw_rest(request, "/vocab/")
    if rest == "":
        return _answer(
            request,
            ld.PAGE_FORMATS,
            lambda: ld.scheme_list(hub),
            lambda name, triples: ld.scheme_list_html(hub, triples) if name == "html" else _rdf(triples, name),
        )
    if not rest.endswith("/") and _is_scheme(rest + "/"):
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(_raw_path(request) + "/" + query, status_code=301)

    def lookup() -> ld.ConceptView:
        missing: ld.NotFound | None = None
        for iri in ld.vocab_iri(rest):
            try:
                return ld.concept_view(hub, iri)
            except ld.NotFound as error:
                missing = missing or error
        raise missing or ld.NotFound(rest)

    def render(name: str, view: ld.ConceptView) -> bytes | str:
        return ld.concept_html(hub, view) if name == "html" else _rdf(view.triples, name)

    return _answer(request, ld.PAGE_FORMATS, lookup, render)


def _is_scheme(rest: str) -> bool:
    """Whether ``VOCAB + rest`` is a shipped scheme (the vocabulary index, no query)."""
    return ld.VOCAB + rest in vocabularies.schemes()


# ---------------------------------------------------------------------- sources


@_get(
    "/sources/{name}",
    summary="A harvested source and the dataset of its records",
    description="The source node `{base}/sources/{name}` that records name as their provider, with its record "
    "count and the distributions of its records (OAI-PMH sets, dump). "
    + _FORMAT_DOC.format(extra="")
    + " Unknown source: 404.",
    openapi_extra=_format_parameter(*ld.PAGE_FORMATS),
)
def source(name: str, request: Request) -> Response:
    hub: Hub = request.app.state.hub

    def lookup() -> tuple[set[ox.Triple], ld.Stats]:
        counts = ld.stats(hub)
        return ld.source_triples(hub, name, counts), counts

    def render(fmt: str, found: tuple[set[ox.Triple], ld.Stats]) -> bytes | str:
        triples, counts = found
        return ld.source_html(hub, name, triples, counts) if fmt == "html" else _rdf(triples, fmt)

    return _answer(request, ld.PAGE_FORMATS, lookup, render)


# ---------------------------------------------------------------------- clusters


@_get(
    "/clusters/{cluster_id}",
    summary="A cluster: records of one resource from several sources",
    description="The cluster `{base}/clusters/{id}` (docs/clusters.md): its linking keys (DOI, Handle, "
    "landing URL), member count, and every member record with its source. "
    + _FORMAT_DOC.format(extra="")
    + " Unknown cluster (or one dissolved since): 404.",
    openapi_extra=_format_parameter(*ld.PAGE_FORMATS),
)
def cluster(cluster_id: str, request: Request) -> Response:
    hub: Hub = request.app.state.hub

    def lookup() -> clusters.ClusterView:
        iri = clusters.cluster_iri_of(hub.settings.base, cluster_id)
        found = clusters.cluster_view(hub, iri) if iri else None
        if found is None:
            raise ld.NotFound(f"no cluster {hub.settings.base}/clusters/{cluster_id}")
        return found

    def render(name: str, view: clusters.ClusterView) -> bytes | str:
        return cluster_html(hub, view) if name == "html" else _rdf(set(view.triples), name)

    return _answer(request, ld.PAGE_FORMATS, lookup, render)


# ---------------------------------------------------------------------- dataset descriptions


@_get(
    "/.well-known/void",
    summary="VoID description of the hub's dataset",
    description="void:Dataset with title, SPARQL endpoint, URI space, triple and entity counts (from the store), "
    "data dump, vocabularies, and one void:subset per source. Turtle by default; jsonld, ntriples, rdfxml by "
    "`Accept` or `format`.",
    openapi_extra=_format_parameter(*ld.DESCRIPTION_FORMATS),
)
def void(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    return _answer(request, ld.DESCRIPTION_FORMATS, lambda: ld.void_triples(hub), _render_rdf)


@_get(
    "/catalog",
    summary="DCAT catalog of the hub's datasets",
    description="dcat:Catalog with each source as a dcat:Dataset (publisher, most common licence, record count, "
    "OAI-PMH and dump distributions), the hub as a whole, and its SPARQL and OAI-PMH services. Turtle by "
    "default; jsonld, ntriples, rdfxml by `Accept` or `format`.",
    openapi_extra=_format_parameter(*ld.DESCRIPTION_FORMATS),
)
def catalog(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    return _answer(request, ld.DESCRIPTION_FORMATS, lambda: ld.catalog_triples(hub), _render_rdf)


# ---------------------------------------------------------------------- context and schemas


@_get(
    "/context.jsonld",
    summary="The hub's JSON-LD context",
    description="schemas/hub-context.jsonld, the context `https://w3id.org/eduhub/context.jsonld` of hub records.",
)
@_get("/ns/context.jsonld", include_in_schema=False)
def context() -> Response:
    return Response(ld.context_document(), media_type="application/ld+json", headers=_static_headers())


@_get(
    "/schemas/{file}",
    summary="A file of the hub's schemas/ folder",
    description="The XML Schema of the native OAI-PMH format, the record JSON Schema and the JSON-LD context: "
    + ", ".join(f"`{name}`" for name in ld.schema_files())
    + ". Any other name: 404.",
)
def schema(file: str) -> Response:
    found = ld.schema_file(file)
    if found is None:
        return error_response(404, "not-found", f"no schema file {file!r}; there are {', '.join(ld.schema_files())}")
    path, media = found
    return Response(path.read_bytes(), media_type=media, headers=_static_headers())


def _static_headers() -> dict[str, str]:
    return {**_headers((), negotiated=False), "Cache-Control": "public, max-age=3600"}
