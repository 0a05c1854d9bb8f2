"""``/sparql``: the SPARQL 1.1 Protocol endpoint (query only)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from exchange import sparql
from exchange.api.errors import ApiError
from exchange.sparql_pool import QueryPool, TooBusy, WorkerDied
from exchange.sparql_run import Job, QueryTimeout, ResultTooLarge

router = APIRouter()


@dataclass(frozen=True)
class SparqlService:
    """What ``/sparql`` runs queries with: the worker pool and the SERVICE allowlist."""

    pool: QueryPool
    services: sparql.ServicePolicy

    def description(self, endpoint: str) -> str:
        return sparql.service_description(endpoint, self.pool.limits, self.services)


QUERY_DOC = (
    "SPARQL 1.1 query endpoint. The default graph is the union of all record graphs. "
    "Give the query as `query` (GET or form POST) or as an `application/sparql-query` body. "
    "Results by `Accept` or `format` (json, xml, csv, tsv; turtle, ntriples, jsonld, rdfxml). "
    "Without a query, answers the SPARQL service description. Updates are refused, and SERVICE to any "
    "endpoint the operator did not name. Each query has a time budget (503 `query-timeout` when it runs "
    "out) and caps on result rows and bytes (400 `result-too-large`); when every worker is busy and the "
    "queue is full, 503 `too-busy` with Retry-After. See docs/sparql.md."
)


_TEXT = {"schema": {"type": "string"}}
#: what a 200 may be (the handlers read their parameters themselves: the protocol's names have
#: dashes and repeat, so they are declared here for the OpenAPI description)
_ANSWERS = {
    200: {
        "description": "SELECT/ASK results, a CONSTRUCT/DESCRIBE graph, or (no query) the service description",
        "content": {
            media: _TEXT
            for media in (
                *sparql.RESULTS_FORMATS.values(),
                *sparql.GRAPH_FORMATS.values(),
            )
        },
    },
    503: {"description": "`query-timeout`, `too-busy` (with Retry-After) or `query-failed`"},
}
_PARAMETERS = [
    {"name": "query", "in": "query", "required": False, "schema": {"type": "string"}, "description": "the query"},
    {
        "name": "format",
        "in": "query",
        "required": False,
        "schema": {
            "type": "string",
            "enum": sorted(
                {*sparql.RESULTS_FORMATS, *sparql.GRAPH_FORMATS, *sparql.FORMAT_ALIASES}
                | {*sparql.RESULTS_FORMATS.values(), *sparql.GRAPH_FORMATS.values()}
            ),
        },
        "description": "json, xml, csv, tsv, turtle, ntriples, jsonld, rdfxml or a media type; wins over Accept",
    },
    *(
        {
            "name": name,
            "in": "query",
            "required": False,
            "style": "form",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "string", "format": "iri"}},
            "description": what,
        }
        for name, what in (
            ("default-graph-uri", "graphs whose union is the default graph (instead of all graphs)"),
            ("named-graph-uri", "the named graphs GRAPH may use"),
        )
    ),
]
_BODIES = {
    "required": False,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "default-graph-uri": {"type": "array", "items": {"type": "string", "format": "iri"}},
                    "named-graph-uri": {"type": "array", "items": {"type": "string", "format": "iri"}},
                },
            }
        },
        "application/sparql-query": _TEXT,
    },
}


@router.get(
    "/sparql",
    summary="SPARQL query (GET)",
    description=QUERY_DOC,
    response_class=Response,
    responses=_ANSWERS,
    openapi_extra={"parameters": _PARAMETERS},
)
async def sparql_get(request: Request) -> Response:
    return await run_in_threadpool(_answer, request, list(request.query_params.multi_items()))


@router.post(
    "/sparql",
    summary="SPARQL query (POST)",
    description=QUERY_DOC,
    response_class=Response,
    responses=_ANSWERS,
    openapi_extra={"parameters": _PARAMETERS[1:], "requestBody": _BODIES},
)
async def sparql_post(request: Request) -> Response:
    params = list(request.query_params.multi_items())
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = (await request.body()).decode("utf-8", "replace")
    if media_type == "application/sparql-query":
        params.append(("query", body))
    elif media_type == "application/x-www-form-urlencoded":
        params += parse_qsl(body, keep_blank_values=True)
    elif media_type == "application/sparql-update":
        raise ApiError(403, "update-not-allowed", "SPARQL Update is not allowed on this endpoint; it is read-only")
    elif body.strip():
        raise ApiError(
            415,
            "unsupported-media-type",
            f"POST body must be form-encoded or application/sparql-query, not {media_type or 'untyped'}",
        )
    return await run_in_threadpool(_answer, request, params)


def _answer(request: Request, params: list[tuple[str, str]]) -> Response:
    names = [name for name, _ in params]
    if "update" in names:
        raise ApiError(403, "update-not-allowed", "SPARQL Update is not allowed on this endpoint; it is read-only")
    queries = [value for name, value in params if name == "query"]
    if len(queries) > 1:
        raise ApiError(400, "bad-parameter", "give exactly one query")
    graphs = [v for n, v in params if n in ("default-graph-uri", "named-graph-uri")]
    for graph in graphs:
        try:
            ox.NamedNode(graph)
        except ValueError:
            raise ApiError(400, "bad-parameter", f"graph IRIs must be absolute IRIs, not {graph!r}") from None
    formats = [value for name, value in params if name == "format"]
    try:
        chosen = sparql.negotiate(request.headers.get("accept"), formats[0] if formats else None)
    except sparql.FormatUnknown as error:
        raise ApiError(400, "bad-parameter", str(error)) from None
    service: SparqlService = request.app.state.sparql
    if not queries:
        endpoint = str(request.url).split("?")[0]
        return Response(service.description(endpoint), media_type="text/turtle")
    try:
        sparql.check_query(queries[0], service.services)
        answer = service.pool.run(
            Job(
                queries[0],
                results_format=chosen.results_format,
                graph_format=chosen.graph_format,
                default_graph_uris=tuple(v for n, v in params if n == "default-graph-uri"),
                named_graph_uris=tuple(v for n, v in params if n == "named-graph-uri"),
            )
        )
    except sparql.QueryRefused as error:
        raise ApiError(400, error.code, str(error)) from None
    except SyntaxError as error:
        raise ApiError(400, "malformed-query", str(error)) from None
    except ResultTooLarge as error:
        raise ApiError(400, "result-too-large", str(error)) from None
    except QueryTimeout as error:
        raise ApiError(503, "query-timeout", str(error)) from None
    except TooBusy as error:
        raise ApiError(503, "too-busy", f"the endpoint is busy ({error}); try again shortly", RETRY) from None
    except WorkerDied as error:
        raise ApiError(503, "query-failed", str(error)) from None
    except ValueError as error:  # e.g. a default-graph-uri that is not an IRI
        raise ApiError(400, "bad-parameter", str(error)) from None
    media_type = answer.media_type
    if media_type.startswith("text/") and "charset" not in media_type:
        media_type += "; charset=utf-8"
    headers = {"Vary": "Accept"}
    if answer.body is not None:
        return Response(answer.body, media_type=media_type, headers=headers)
    return StreamingResponse(_spooled(answer.path or ""), media_type=media_type, headers=headers)


RETRY = {"Retry-After": "1"}


def _spooled(path: str, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """A spooled result, read in chunks and deleted however the response ends."""
    try:
        with open(path, "rb") as handle:
            while data := handle.read(chunk):
                yield data
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
