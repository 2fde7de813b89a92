"""Liveness, readiness, metrics, and the API docs served from packaged assets (no CDN)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from app.api.errors import problem
from app.kit.migrations_state import current_revisions

router = APIRouter(tags=["operations"])

DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


@router.get("/healthz", include_in_schema=True)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database unreachable or not migrated"}})
async def readyz(request: Request) -> JSONResponse:
    db = request.app.state.db
    try:
        revisions = await current_revisions(db.engine)
    except Exception:  # any failure to reach the database means "not ready"
        return problem(503, "The database is not reachable")
    if revisions != request.app.state.head_revisions:
        return problem(503, "The database is not migrated to the current schema; run `casusregie migrate`")
    return JSONResponse({"status": "ready", "revision": sorted(revisions)})


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Casusregie API",
        swagger_js_url="/docs-assets/swagger-ui-bundle.js",
        swagger_css_url="/docs-assets/swagger-ui.css",
        swagger_favicon_url="/docs-assets/favicon.png",
    )
