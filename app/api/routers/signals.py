"""Signals: intake (single, batch), the triage queue, reading, triage, feedback to the melder, and the signals
behind a case. Thin: parse, call the service, shape."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.api.deps import PrincipalDep, SessionDep
from app.api.errors import STATUS_TABLE, TYPE_BASE
from app.api.pagination import CursorQuery, LimitQuery, TimeOrdered, after_time_id, next_cursor, time_id_key
from app.api.query import DateTimeQuery
from app.api.responses import PROBLEMS
from app.kit.errors import DomainError
from app.kit.paging import Window
from app.signals import feedback as signal_feedback
from app.signals import in_case
from app.signals import service as signals
from app.signals import triage as signal_triage
from app.signals.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    BatchItemResult,
    BatchResult,
    CaseSignalPage,
    FeedbackIn,
    FeedbackOut,
    ItemProblem,
    MelderSignalOut,
    SignalBatch,
    SignalCreate,
    SignalOut,
    SignalPage,
    SignalReceipt,
    SignalStatusCode,
    TriageIn,
)
from app.vocabulary import CaseType

router = APIRouter(prefix="/v1/signals", tags=["signals"])
# The signals behind a case: a resource of the case, listed with the case's other parts.
case_router = APIRouter(prefix="/v1/cases", tags=["cases"])


def idempotency_key(
    # Published as a required header below (IDEMPOTENCY_HEADER) but checked here, so that a missing or
    # malformed key is the documented 400 rather than FastAPI's 422.
    key: Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False)] = None,
) -> str:
    if key is None or not key.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "The Idempotency-Key header is required for POST /v1/signals")
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            "The Idempotency-Key header must be 1-200 visible ASCII characters without spaces")
    return key


IdempotencyKeyDep = Annotated[str, Depends(idempotency_key)]

IDEMPOTENCY_HEADER = {"parameters": [{
    "name": "Idempotency-Key", "in": "header", "required": True,
    "description": "1-200 visible ASCII characters, unique per request of your organisation, kept 7 days; "
                   "missing or malformed: 400",
    "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN, "minLength": 1, "maxLength": 200},
}]}


def _bsn_key(request: Request) -> str:
    return str(request.app.state.settings.effective_bsn_hash_key)


@router.post(":batch", response_model=BatchResult, responses=PROBLEMS(401, 403, 413, 422))
async def submit_signal_batch(body: SignalBatch, request: Request, session: SessionDep,
                       principal: PrincipalDep) -> BatchResult:
    """Up to 500 signals, each with its own `idempotency_key`; answered per item, in the items' order."""
    outcomes = await signals.submit_batch(session, principal, body.items, bsn_key=_bsn_key(request))
    return BatchResult(items=[_batch_item(o) for o in outcomes])


def _problem(exc: DomainError) -> ItemProblem:
    for cls, code, slug in STATUS_TABLE:
        if isinstance(exc, cls):
            return ItemProblem(type=TYPE_BASE + slug, title=cls.title, status=code, detail=exc.detail, **exc.extra)
    return ItemProblem(type=TYPE_BASE + "bad-request", title="Bad request", status=400, detail=exc.detail)


def _batch_item(outcome: signals.BatchOutcome) -> BatchItemResult:
    if isinstance(outcome.result, DomainError):
        problem = _problem(outcome.result)
        return BatchItemResult(index=outcome.index, idempotency_key=outcome.key, status=problem.status,
                               problem=problem)
    submitted = outcome.result
    return BatchItemResult(index=outcome.index, idempotency_key=outcome.key, status=submitted.response.status,
                           id=uuid.UUID(submitted.signal_id), replayed=submitted.replayed)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SignalReceipt,
             responses=PROBLEMS(400, 401, 403, 409, 413, 422), openapi_extra=IDEMPOTENCY_HEADER)
async def submit_signal(body: SignalCreate, request: Request, session: SessionDep, principal: PrincipalDep,
                        key: IdempotencyKeyDep) -> JSONResponse:
    """Store a signal once per `Idempotency-Key`: the same key and body replay the first answer (header
    `Idempotent-Replayed: true`); the same key with another body is a 422."""
    raw: Any = await request.json()
    submitted = await signals.submit(session, principal, body, raw, key, bsn_key=_bsn_key(request))
    return JSONResponse(
        submitted.response.body, status_code=submitted.response.status,
        headers={"Location": f"/v1/signals/{submitted.signal_id}",
                 "Idempotent-Replayed": "true" if submitted.replayed else "false"},
    )


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("", response_model=SignalPage, responses=PROBLEMS(401, 403, 422))
async def list_signals(
    session: SessionDep,
    principal: PrincipalDep,
    status_: Annotated[SignalStatusCode | None, Query(alias="status")] = None,
    case_type_hint: CaseType | None = None,
    source_organisation: Annotated[str | None, Query(max_length=64)] = None,
    case_id: Annotated[uuid.UUID | None, Query(description="The signals triaged into this case (a melder: none)")]
    = None,
    from_: Annotated[DateTimeQuery | None, Query(alias="from", description="Received at or after (RFC 3339)")] = None,
    to: Annotated[DateTimeQuery | None, Query(description="Received before (RFC 3339)")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> SignalPage:
    """The procesregisseur's triage queue (oldest first); for a melder, its own organisation's signals' status."""
    flt = signals.SignalFilter(status=status_, case_id=case_id,
                               case_type_hint=case_type_hint.value if case_type_hint else None,
                               source_organisation=source_organisation, since=_utc(from_), until=_utc(to))
    page = await signals.list_page(session, principal, flt, limit=limit, after=after_time_id(cursor))
    rows: Window[TimeOrdered] = page  # queue rows or status rows: both are listed by (created_at, id)
    return SignalPage(items=page.items, next_cursor=next_cursor(rows, time_id_key))


@router.get("/{signal_id}", response_model=SignalOut | MelderSignalOut, responses=PROBLEMS(401, 403, 404, 422))
async def get_signal(signal_id: uuid.UUID, session: SessionDep,
                     principal: PrincipalDep) -> SignalOut | MelderSignalOut:
    """In full with `matches` for the procesregisseur; a melder sees its own organisation's only: the status, the
    case reference and contact organisation once taken up, and the feedback sent to it, never case content."""
    return await signals.get(session, principal, signal_id)


@router.post("/{signal_id}/triage", response_model=SignalOut, responses=PROBLEMS(401, 403, 404, 409, 413, 422))
async def triage_signal(signal_id: uuid.UUID, body: TriageIn, session: SessionDep,
                        principal: PrincipalDep) -> SignalOut:
    """`nieuwe_casus` (case_type), `koppelen` (case_id) or `afwijzen`, each with a reason. Once: 409 after."""
    return await signal_triage.triage(session, principal, signal_id, body)


@router.post("/{signal_id}/feedback", status_code=status.HTTP_201_CREATED, response_model=FeedbackOut,
             responses=PROBLEMS(401, 403, 404, 413, 422))
async def send_signal_feedback(signal_id: uuid.UUID, body: FeedbackIn, session: SessionDep, principal: PrincipalDep,
                               response: Response) -> FeedbackOut:
    """A short message from the triaging side (procesregisseur; not of the reporting organisation) to the
    organisation that reported the signal; it reads it on the signal, and its subscriptions get
    `signal.feedback_sent` (ids only)."""
    sent = await signal_feedback.send(session, principal, signal_id, body)
    # Feedback is read on the signal (there is no single-feedback resource): the location is the signal.
    response.headers["Location"] = f"/v1/signals/{signal_id}"
    return sent


@case_router.get("/{case_id}/signals", response_model=CaseSignalPage, responses=PROBLEMS(401, 404, 422))
async def list_case_signals(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                            limit: LimitQuery = 50, cursor: CursorQuery = None) -> CaseSignalPage:
    """The signals triaged into this case, oldest first, for whoever may read the case (404 otherwise); the
    description and identifying fields as the caller's data categories for the case allow."""
    page = await in_case.listing(session, principal, case_id, limit=limit, after=after_time_id(cursor))
    return CaseSignalPage(items=page.items, next_cursor=next_cursor(page, time_id_key))
