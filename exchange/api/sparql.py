"""``/sparql``: the SPARQL 1.1 Protocol endpoint (query only)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from exchange import sparql
from exchange.api.errors import ApiError
from exchange.store import Store

router = APIRouter()

QUERY_DOC = (
    "SPARQL 1.1 query endpoint. The default graph is the union of all record graphs. "
    "Give the query as `query` (GET or form POST) or as an `application/sparql-query` body. "
    "Results by `Accept` or `format` (json, xml, csv, tsv; turtle, ntriples, jsonld, rdfxml). "
    "Without a query, answers the SPARQL service description. Updates and SERVICE are refused."
)


@router.get("/sparql", summary="SPARQL query (GET)", description=QUERY_DOC)
async def sparql_get(request: Request) -> Response:
    return _answer(request, list(request.query_params.multi_items()))


@router.post("/sparql", summary="SPARQL query (POST)", description=QUERY_DOC)
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
    return _answer(request, params)


def _answer(request: Request, params: list[tuple[str, str]]) -> Response:
    store: Store = request.app.state.hub.store
    names = [name for name, _ in params]
    if "update" in names:
        raise ApiError(403, "update-not-allowed", "SPARQL Update is not allowed on this endpoint; it is read-only")
    queries = [value for name, value in params if name == "query"]
    if len(queries) > 1:
        raise ApiError(400, "bad-parameter", "give exactly one query")
    if not queries:
        endpoint = str(request.url).split("?")[0]
        return Response(sparql.SERVICE_DESCRIPTION.format(endpoint=endpoint), media_type="text/turtle")
    query = queries[0]
    formats = [value for name, value in params if name == "format"]
    try:
        chosen = sparql.negotiate(request.headers.get("accept"), formats[0] if formats else None)
        sparql.check_query(query)
        result = store.query(
            query,
            results_format=chosen.results_format,
            graph_format=chosen.graph_format,
            default_graph_uris=[v for n, v in params if n == "default-graph-uri"],
            named_graph_uris=[v for n, v in params if n == "named-graph-uri"],
        )
    except sparql.FormatUnknown as error:
        raise ApiError(400, "bad-parameter", str(error)) from None
    except sparql.QueryRefused as error:
        raise ApiError(400, error.code, str(error)) from None
    except SyntaxError as error:
        raise ApiError(400, "malformed-query", str(error)) from None
    except ValueError as error:  # e.g. a default-graph-uri that is not an IRI
        raise ApiError(400, "bad-parameter", str(error)) from None
    media_type = result.media_type
    if media_type.startswith("text/") and "charset" not in media_type:
        media_type += "; charset=utf-8"
    return Response(result.body, media_type=media_type, headers={"Vary": "Accept"})
