"""``/oai``: the OAI-PMH 2.0 provider (GET and form POST, §3.1.1). Protocol errors are
``<error>`` elements in HTTP 200 responses (§3.6), never the JSON error shape."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exchange.provider.protocol import Provider, respond

router = APIRouter()

DOC = (
    "OAI-PMH 2.0 repository: Identify, ListMetadataFormats, ListSets, GetRecord, ListIdentifiers, "
    "ListRecords. Formats: oai_dc, lom (IEEE LOM), eduhub (the hub's native RDF, lossless). Sets: "
    "`source:{name}`, `subject:{ISCED-F code}`, `level:{name}`, `type:{name}`, `tag:{scheme}:{tag}`. "
    "Deleted records are persistent; resumption tokens are signed and expire after 24 hours."
)
XML = "text/xml; charset=utf-8"


@router.get("/oai", summary="OAI-PMH request (GET)", description=DOC, response_class=Response)
def oai_get(request: Request) -> Response:
    return Response(respond(_provider(request), request.query_params.multi_items()), media_type=XML)


@router.post("/oai", summary="OAI-PMH request (form POST)", description=DOC, response_class=Response)
async def oai_post(request: Request) -> Response:
    body = (await request.body()).decode("utf-8", "replace")
    arguments = parse_qsl(body, keep_blank_values=True)
    return Response(await run_in_threadpool(respond, _provider(request), arguments), media_type=XML)


def _provider(request: Request) -> Provider:
    return request.app.state.provider
