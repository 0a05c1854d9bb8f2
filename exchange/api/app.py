"""The hub's web application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from exchange import __version__
from exchange.api import assessments, dumps, errors, feedcheck, harvests, linkeddata, oai, security, sparql
from exchange.hub import Hub
from exchange.provider.protocol import Provider
from exchange.sparql import ServicePolicy
from exchange.sparql_pool import QueryLimits, QueryPool
from harvesters.scheduler import Harvester, Scheduler

COUNT_QUERY = "SELECT (COUNT(?r) AS ?n) WHERE { ?r a <http://schema.org/LearningResource> }"


def create_app(
    hub: Hub,
    provider: Provider | None = None,
    harvester: Harvester | None = None,
    scheduler: Scheduler | None = None,
    query_limits: QueryLimits | None = None,
    services: ServicePolicy | None = None,
) -> FastAPI:
    """The app over ``hub``. ``eduhub serve`` passes its harvest pool and schedule; without them
    the app makes a pool on the first triggered harvest and has no schedule. ``/sparql`` runs
    queries under ``query_limits`` and federates to ``services`` (both from the environment
    when not given: docs/sparql.md)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.stop()
        await asyncio.to_thread(app.state.sparql.pool.close)
        pool = getattr(app.state, "harvester", None)
        if pool is not None:  # running harvests end after their current page
            await asyncio.to_thread(pool.close, False)

    app = FastAPI(
        lifespan=lifespan,
        title="EduHub Exchange",
        version=__version__,
        description="An open metadata hub for digital education: records harvested over OAI-PMH, "
        "normalized to schema.org/LRMI, republished through SPARQL.",
    )
    app.state.hub = hub
    app.state.provider = provider or Provider(hub)
    app.state.harvester = harvester
    limits = query_limits or QueryLimits.from_env()
    app.state.sparql = sparql.SparqlService(
        QueryPool(hub.store, limits, hub.settings.data_dir / "sparql-workers"), services or ServicePolicy.from_env()
    )
    errors.install(app)
    security.install(app)
    app.include_router(sparql.router)
    app.include_router(assessments.router)
    app.include_router(linkeddata.router)
    app.include_router(oai.router)
    app.include_router(dumps.router)
    app.include_router(harvests.router)
    app.include_router(feedcheck.router)

    @app.get("/health", summary="Liveness and record count")
    def health() -> dict[str, object]:
        rows = hub.store.select(COUNT_QUERY)
        return {"status": "ok", "records": int(rows[0]["n"]) if rows else 0}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return _INDEX.format(version=__version__, count=quote(COUNT_QUERY))

    return app


_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EduHub Exchange</title></head>
<body>
<h1>EduHub Exchange <small>{version}</small></h1>
<p>An open metadata hub for digital education.</p>
<ul>
<li><a href="/sparql?query={count}">SPARQL: count the learning resources</a></li>
<li><a href="/sparql">SPARQL service description</a></li>
<li><a href="/oai?verb=Identify">OAI-PMH 2.0</a></li>
<li><a href="/dumps/">Bulk dumps (N-Quads, JSON-LD lines, LOM, oai_dc)</a></li>
<li><a href="/vocab/">Vocabularies (SKOS concept schemes)</a></li>
<li><a href="/.well-known/void">Dataset description (VoID)</a>, <a href="/catalog">catalog (DCAT)</a></li>
<li><a href="/context.jsonld">JSON-LD context of hub records</a></li>
<li><a href="/api/harvests">Harvest runs</a> and <a href="/api/sources">sources</a></li>
<li><a href="/feed-check">Check an OAI-PMH feed before it joins</a></li>
<li><a href="/health">Health</a></li>
<li><a href="/docs">API documentation (OpenAPI)</a></li>
</ul>
</body></html>
"""
