"""Liveness, readiness, metrics, and the API docs served from packaged assets (no CDN)."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Literal

import fastapi_offline
from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel

from app.api.errors import problem
from app.api.metrics import backlog_lines, ledger_lines
from app.api.responses import PROBLEMS
from app.audit.anchoring import staging_state
from app.events.backlog import Backlog, backlog
from app.kit.migrations_state import current_revisions

router = APIRouter(tags=["operations"])
RETRY = {"Retry-After": "5"}  # as every 503 says (app/api/errors.py)

DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


class Readiness(BaseModel):
    status: Literal["ready"]
    # Only for the operator (bearer CASUSREGIE_METRICS_TOKEN): the schema's migration revisions.
    revision: list[str] | None = None


class Health(BaseModel):
    status: Literal["ok"]


@router.get("/healthz", response_model=Health)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _operator(request: Request) -> bool:
    """The caller shows the operations token (CASUSREGIE_METRICS_TOKEN), compared in constant time."""
    token: str | None = request.app.state.settings.metrics_token
    sent = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@router.get("/readyz", response_model=Readiness, response_model_exclude_none=True,
            responses=PROBLEMS(503))
async def readyz(request: Request) -> JSONResponse:
    """Ready or not; the schema revision only to the operator (a version is a hint for an attacker)."""
    db = request.app.state.db
    try:
        revisions = await current_revisions(db.engine)
    except Exception:  # any failure to reach the database means "not ready"
        return problem(503, "The database is not reachable", headers=RETRY)
    if revisions != request.app.state.head_revisions:
        return problem(503, "The database is not migrated to the current schema; run `casusregie migrate`",
                       headers=RETRY)
    if _operator(request):
        return JSONResponse({"status": "ready", "revision": sorted(revisions)})
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=PlainTextResponse, responses={
    401: {"description": "CASUSREGIE_METRICS_TOKEN is set and the bearer token is not it"},
    404: {"description": "Production without CASUSREGIE_METRICS_TOKEN: metrics are not served"}})
async def metrics(request: Request) -> Response:
    settings = request.app.state.settings
    if settings.metrics_token:
        if not _operator(request):
            return problem(401, "Metrics need the operations token (CASUSREGIE_METRICS_TOKEN)",
                           headers={"WWW-Authenticate": 'Bearer realm="casusregie-metrics"'})
    elif settings.env != "development":
        return problem(404, "Metrics are not served: set CASUSREGIE_METRICS_TOKEN to enable them")
    staged: tuple[int, float | None] | None = None
    work: Backlog | None = None
    try:
        async with request.app.state.db.engine.connect() as conn:
            staged = await staging_state(conn)
            work = await backlog(conn)
    except Exception:  # the database's absence shows on /readyz; the process's own figures still render
        pass
    body = request.app.state.metrics.render() + ledger_lines(request.app.state.ledger.stats, staged)
    if work is not None:
        body += backlog_lines(work)
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4")


@router.get("/openapi.json", include_in_schema=False)
@router.get("/v1/openapi.json", include_in_schema=False)
async def openapi_json(request: Request) -> JSONResponse:
    """The contract, public and readable from any origin (Logius ADR /core/publish-openapi): it holds no data,
    and an integrator's tooling on another origin fetches it. Also under /v1, beside the API it describes."""
    return JSONResponse(request.app.openapi(), headers={"Access-Control-Allow-Origin": "*"})


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Casusregie API",
        swagger_js_url="/docs-assets/swagger-ui-bundle.js",
        swagger_css_url="/docs-assets/swagger-ui.css",
        swagger_favicon_url="/docs-assets/favicon.png",
    )
