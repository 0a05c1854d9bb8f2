"""``/oai``: the OAI-PMH 2.0 provider (GET and form POST, §3.1.1). Protocol errors are
``<error>`` elements in HTTP 200 responses (§3.6), never the JSON error shape."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exchange.provider.protocol import VERBS, Provider, respond

router = APIRouter()

DOC = (
    "OAI-PMH 2.0 repository: Identify, ListMetadataFormats, ListSets, GetRecord, ListIdentifiers, "
    "ListRecords. Formats: oai_dc, lom (IEEE LOM), eduhub (the hub's native RDF, lossless). Sets: "
    "`source:{name}`, `subject:{ISCED-F code}`, `level:{name}`, `type:{name}`, `tag:{scheme}:{tag}`. "
    "Deleted records are persistent; resumption tokens are signed and expire after 24 hours."
)
XML = "text/xml; charset=utf-8"

#: the protocol's arguments (§3.1.1, §4), for the OpenAPI description only: the provider reads them
#: itself, because OAI-PMH answers a bad argument with badArgument in HTTP 200, not with 400
_ARGUMENTS: dict[str, dict[str, object]] = {
    "verb": {"type": "string", "enum": list(VERBS), "description": "The request (§4)."},
    "identifier": {"type": "string", "description": "An item's identifier: `oai:{repository}:{source}/{id}`."},
    "metadataPrefix": {"type": "string", "description": "oai_dc, lom or eduhub."},
    "from": {"type": "string", "description": "A UTC datestamp, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ`."},
    "until": {"type": "string", "description": "A UTC datestamp, in the granularity of `from`."},
    "set": {"type": "string", "description": "A setSpec (ListSets lists them)."},
    "resumptionToken": {"type": "string", "description": "The token of the previous page, alone with the verb."},
}
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "An OAI-PMH response; protocol errors are `<error>` elements in it (§3.6).",
        "content": {"text/xml": {"schema": {"type": "string"}}},
    }
}
_GET = {
    "parameters": [
        {"name": name, "in": "query", "required": name == "verb", "schema": schema}
        for name, schema in _ARGUMENTS.items()
    ]
}
_POST = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "required": ["verb"], "properties": _ARGUMENTS}
            }
        },
    }
}


@router.get(
    "/oai",
    summary="OAI-PMH request (GET)",
    description=DOC,
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_GET,
)
def oai_get(request: Request) -> Response:
    return Response(respond(_provider(request), request.query_params.multi_items()), media_type=XML)


@router.post(
    "/oai",
    summary="OAI-PMH request (form POST)",
    description=DOC,
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_POST,
)
async def oai_post(request: Request) -> Response:
    body = (await request.body()).decode("utf-8", "replace")
    arguments = parse_qsl(body, keep_blank_values=True)
    return Response(await run_in_threadpool(respond, _provider(request), arguments), media_type=XML)


def _provider(request: Request) -> Provider:
    return request.app.state.provider
