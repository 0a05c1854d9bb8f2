"""Assessments over HTTP: one record's tags explained, and a source's report (docs/tagging.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from exchange import reports
from exchange.api.errors import ApiError
from exchange.linkeddata import resource_iri
from exchange.state import StateError

router = APIRouter(prefix="/api", tags=["assessments"])


@router.get(
    "/resources/{resource:path}/assessments",
    summary="Every assessment of a record, explained in words",
    description="`resource` is the path of the record IRI after `/resources/`: `{source}/{OAI identifier, "
    "percent-encoded as in the IRI}`. Each item names the tag, the rule that gave it (with its definition), "
    "the score where the rule has one, the evidence and the time; `explanation` says it in one sentence.",
)
def record_assessments(resource: str, request: Request) -> dict[str, Any]:
    hub = request.app.state.hub
    # From the raw path, as /resources/ does: ``resource`` is decoded, so an id's %2F would split it,
    # and anything decoded would go into the IRI as it is (spaces, controls: a 500 from the store).
    raw = (request.scope.get("raw_path") or b"").decode("latin-1") or request.url.path
    record = resource_iri(hub.settings.base, raw.partition("/api/resources/")[2].removesuffix("/assessments"))
    if record is None:
        raise ApiError(404, "not-found", "a record path is /api/resources/{source}/{local-id}/assessments")
    try:
        return reports.assessments(hub.store, hub.settings.base, record)
    except reports.NotFound as error:
        raise ApiError(404, "not-found", str(error)) from None


@router.get(
    "/sources/{name}/report",
    summary="Quality, accessibility and sustainability of a source's records",
    description="Counts and shares of records per tag: metadata tiers, problem patterns, accessibility "
    "features, metadata completeness and warnings, sustainability tags.",
)
def source_report(name: str, request: Request) -> dict[str, Any]:
    hub = request.app.state.hub
    try:
        hub.state.source(name)
    except StateError as error:
        raise ApiError(404, "not-found", str(error)) from None
    return reports.source_report(hub.store, hub.settings.base, name)
