"""create_app(): routers, middleware, error handlers, lifespan."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from app import API_VERSION, access, unit_of_work, worker
from app.api import errors
from app.api import openapi as openapi_document
from app.api.metrics import Metrics
from app.api.middleware import RequestMiddleware, TrustedProxies
from app.api.query import reject_unknown_query_parameters
from app.api.routers import (
    audit,
    cases,
    convenants,
    meetings,
    operations,
    organisations,
    policies,
    processing_register,
    reports,
    signals,
    subjects,
    subscriptions,
    work,
    workflows,
)
from app.audit.audit_thread import AuditThread
from app.audit.ledger import Ledger
from app.auth.tokens import TokenVerifier
from app.config import Settings, check_settings, get_settings
from app.events import delivery, outbox
from app.kit import gc_tuning
from app.kit.database import Database
from app.kit.logs import configure_logging
from app.kit.migrations_state import head_revisions
from app.workflows import release_dates
from app.workflows.engine import get_engine

DESCRIPTION = """Case-management backend for Zorg- en Veiligheidshuizen: escalation ladders, convenants
(data-sharing agreements) enforced per organisation and data category, and a hash-chained audit log.

Every request carries `Authorization: Bearer <JWT>` with claims `sub`, `org`, `roles`, `iss`, `aud`, `exp`.
Errors are RFC 9457 `application/problem+json`. State a reason for a read or write in `X-Audit-Toelichting`."""


def create_served_app() -> FastAPI:
    """The app `casusregie serve` runs in each worker process: `create_app` with the collector tuned for a
    long-lived server (app/kit/gc_tuning.py)."""
    app = create_app()
    gc_tuning.tune_for_serving()
    return app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_settings(settings)
    configure_logging(settings.log_level)
    if settings.env == "development":
        logging.getLogger("casusregie").warning(
            "DEVELOPMENT MODE: tokens signed with the public development secret are accepted; never expose this "
            "server (production is the default without --dev and CASUSREGIE_ENV=development)")
    access.configure(access.load_policies(settings.policies_dir))
    outbox.configure(settings.event_source)
    release_dates.configure(settings)
    get_engine()  # builds and validates every ladder now: a bad ladder refuses to start

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The audit ledger chains (when this process is the elected chainer) and signs checkpoints; stopped
        # before the database, so that what is staged is chained and a last checkpoint signed.
        await app.state.ledger.start()
        if isinstance(app.state.ledger, AuditThread):
            unit_of_work.stage_reads_with(app.state.db, app.state.ledger)
        stop_worker = asyncio.Event()
        in_process = [
            asyncio.create_task(worker.deadline_loop(app.state.db, settings.worker_interval, stop_worker),
                                name="deadlines"),
            asyncio.create_task(worker.events_loop(app.state.db, delivery.DeliveryConfig.of(settings),
                                                   settings.event_poll_interval, stop_worker), name="events"),
        ] if settings.worker_in_process else []
        if settings.worker_in_process and settings.retention_enabled:  # the worker's daily retention pass too
            in_process.append(asyncio.create_task(
                worker.retention_loop(app.state.db, settings.retention_interval, stop_worker), name="retention"))
        try:
            yield
        finally:
            stop_worker.set()
            for task in in_process:
                await task
            unit_of_work.stage_reads_with(app.state.db, None)
            await app.state.ledger.stop()
            await app.state.db.dispose()
            Metrics.process_exited(os.getpid())

    app = FastAPI(
        title="Casusregie",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=openapi_document.operation_id,
        servers=openapi_document.SERVERS,
        contact=openapi_document.CONTACT,
        license_info=openapi_document.LICENSE,
        docs_url=None,
        openapi_url=None,  # served by app/api/routers/operations.py, readable from any origin
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.admin_organisations = frozenset(settings.admin_organisations)
    app.state.db = Database(settings)
    ledger = Ledger(settings, app.state.db, chain=settings.audit_chainer_in_serve)
    # PostgreSQL's chainer and reads' staging writes on a thread of their own: their round trips then do not queue
    # behind the requests' callbacks (app/audit/audit_thread.py).
    app.state.ledger = AuditThread(ledger) if ledger.runs_apart else ledger
    app.state.verifier = TokenVerifier(settings)
    app.state.metrics = Metrics()
    app.state.head_revisions = head_revisions(settings)
    app.state.webhook_allow = delivery.allowlist(settings)

    errors.install(app)
    openapi_document.install(app)
    # Every /v1 operation refuses a query parameter it does not declare (a 422 naming it), instead of ignoring it.
    strict_query = [Depends(reject_unknown_query_parameters)]
    # The router tries routes in the order they were included, twice per request (to match, then to handle): the
    # cases, the operations with most traffic, come first. No two routers share a path, so the order decides no
    # match, only the order of the OpenAPI document's paths.
    for router in (cases.router, signals.case_router):
        app.include_router(router, dependencies=strict_query)
    app.include_router(operations.router)
    for router in (organisations.router, audit.router, policies.router, convenants.router,
                   processing_register.router, workflows.router, signals.router,
                   subscriptions.router, work.router, meetings.router, subjects.router, reports.router):
        app.include_router(router, dependencies=strict_query)
    app.mount("/docs-assets", StaticFiles(directory=operations.DOCS_ASSETS), name="docs-assets")

    app.add_middleware(
        RequestMiddleware,
        metrics=app.state.metrics,
        proxies=TrustedProxies(settings.trusted_proxies),
        max_body=settings.max_body_bytes,
    )
    if settings.cors_origins:
        # Outermost (added last): the 413 and 500 that RequestMiddleware answers itself carry CORS headers
        # too, so a portal can read the problem and the request id it asks users to quote.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID",
                           "X-Audit-Toelichting", "traceparent", "tracestate"],  # + OpenTelemetry in browsers
            expose_headers=["ETag", "Location", "X-Request-ID", "Idempotent-Replayed", "WWW-Authenticate",
                            "Retry-After", "API-Version"],
        )
    return app
