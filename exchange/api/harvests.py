"""Harvest runs and sources over HTTP: list runs, trigger a harvest (token-protected)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from exchange import runs, tokens
from exchange.api.auth import require
from exchange.api.errors import ApiError
from exchange.state import StateError
from exchange.tokens import Token
from harvesters.scheduler import AlreadyRunning, Harvester

router = APIRouter(prefix="/api", tags=["harvests"])

Status = Literal["running", "ok", "failed", "interrupted", "abandoned"]
#: the largest run id: run ids are SQLite INTEGERs, and a larger number would reach SQLite as an OverflowError
MAX_RUN_ID = 2**63 - 1


def harvester(request: Request) -> Harvester:
    """The app's harvest pool (``eduhub serve`` passes its own, shared with the scheduler)."""
    state = request.app.state
    if getattr(state, "harvester", None) is None:
        state.harvester = Harvester(state.hub)
    return state.harvester


@router.get(
    "/harvests",
    summary="Harvest runs, newest first",
    description="Each run: source, mode (full/incremental), status, start and end, counts (added, updated, "
    "deleted, quarantined, recovered, pages, records), the source's responseDate, what the run worked around "
    "(`notes`), the error of a failed run and who triggered it. The same runs are PROV activities in the "
    "graph `{base}/harvests`, queryable at /sparql. Page back with `before` = the `next_before` of a page.",
)
def list_harvests(
    request: Request,
    source: Annotated[str | None, Query(description="only this source")] = None,
    status: Annotated[Status | None, Query(description="only runs with this status")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="runs per page")] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_RUN_ID, description="only runs with a smaller id (paging)")
    ] = None,
) -> dict[str, Any]:
    hub = request.app.state.hub
    if source is not None:
        _source(request, source)
    found = hub.state.runs(source, limit, status=status, before=before)
    return {
        "harvests": [runs.to_json(hub.settings.base, run) for run in found],
        "next_before": found[-1]["id"] if len(found) == limit else None,
    }


@router.get("/harvests/{run_id}", summary="One harvest run")
def one_harvest(run_id: Annotated[int, Path(ge=1, le=MAX_RUN_ID)], request: Request) -> dict[str, Any]:
    hub = request.app.state.hub
    run = hub.state.run(run_id)
    if run is None:
        raise ApiError(404, "not-found", f"no harvest run {run_id}")
    return runs.to_json(hub.settings.base, run)


@router.get(
    "/sources",
    summary="The registered sources, with their schedule and last run",
)
def list_sources(request: Request) -> dict[str, Any]:
    hub = request.app.state.hub
    running = set(harvester(request).running())
    return {"sources": [{**s.to_json(), "running": s.name in running} for s in hub.state.sources()]}


@router.post(
    "/sources/{name}/harvest",
    status_code=202,
    summary="Harvest a source now (needs a token with the `harvest` right)",
    description="Queues a harvest of the source and answers 202 at once; follow it at `/api/harvests?source=NAME`. "
    "409 if a harvest of the source is already queued or running. Send `Authorization: Bearer TOKEN`.",
    responses={
        401: {"description": "no or unknown token"},
        403: {"description": "the token lacks the right"},
        404: {"description": "no such source"},
        409: {"description": "already running"},
    },
)
def trigger_harvest(
    name: str,
    request: Request,
    token: Annotated[Token, Depends(require("harvest"))],
    full: Annotated[bool, Query(description="full harvest instead of incremental")] = False,
) -> JSONResponse:
    hub = request.app.state.hub
    _source(request, name)
    try:
        harvester(request).submit(name, full=full, trigger=f"api:{token.name}")
    except AlreadyRunning as error:
        raise ApiError(409, "already-running", str(error)) from None
    tokens.audit(hub.state, token.name, "harvest", name, "full" if full else "incremental")
    return JSONResponse(
        {"source": name, "status": "queued", "full": full, "harvests": f"/api/harvests?source={name}"},
        status_code=202,
    )


def _source(request: Request, name: str) -> None:
    try:
        request.app.state.hub.state.source(name)
    except StateError as error:
        raise ApiError(404, "not-found", str(error)) from None
