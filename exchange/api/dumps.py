"""``/dumps``: bulk dumps of the hub, streamed from :mod:`exchange.export` (docs/export.md).

No file is prepared: each request runs the export generator, page by page, into the response."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from exchange import export
from exchange.api.errors import ApiError

router = APIRouter(prefix="/dumps", tags=["dumps"])


@router.get(
    "/",
    summary="The bulk dumps on offer",
    description="One entry per dump: the whole hub (`all.*`) and each source (`{source}.*`), in N-Quads "
    "(`.nq`), JSON-LD lines (`.jsonl`), LOM XML (`.lom.xml`) and oai_dc XML (`.oai_dc.xml`), each plain "
    "or gzip (`.gz`). Dumps are made when asked for, so they are always current.",
)
def list_dumps(request: Request) -> dict[str, Any]:
    hub = request.app.state.hub
    sources = [source.name for source in hub.state.sources()]
    return {
        "dumps": [
            {
                "name": dump.name,
                "format": dump.format,
                "source": dump.source,
                "gzip": dump.gzip,
                "media_type": dump.media_type,
                "url": str(request.url_for("get_dump", name=dump.name)),
            }
            for dump in export.catalogue(sources)
        ]
    }


@router.get(
    "/{name}",
    summary="One bulk dump, streamed",
    description="Every live record (deleted ones are left out). `.nq`: record graphs with their "
    "assessments and the sources graph (N-Quads); `.jsonl`: one hub record per line (compact JSON-LD "
    "under https://w3id.org/eduhub/context.jsonld); `.lom.xml`, `.oai_dc.xml`: one XML document, "
    '`<records xmlns="https://w3id.org/eduhub/ns/dump/">` holding the records\' payloads. `.gz` dumps '
    "are sent as `application/gzip`.",
    response_class=StreamingResponse,
    responses={404: {"description": "no such dump (unknown name or source)"}},
)
def get_dump(name: str, request: Request) -> StreamingResponse:
    hub = request.app.state.hub
    dump = export.Dump.from_name(name)
    if dump is None:
        raise ApiError(404, "not-found", f"no dump named {name!r}; GET /dumps/ lists them")
    try:
        chunks = export.stream(hub, dump)
    except export.UnknownSource as error:
        raise ApiError(404, "not-found", f"no dump named {name!r}: {error}") from None
    return StreamingResponse(
        chunks, media_type=dump.media_type, headers={"Content-Disposition": f'attachment; filename="{dump.name}"'}
    )
