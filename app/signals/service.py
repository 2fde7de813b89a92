"""Signal intake (single and batch, exactly-once per Idempotency-Key), reading and the triage queue.

Triage has a module of its own (triage.py); matching and idempotency too.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app import access, clock
from app.access import Decision
from app.audit import service as audit
from app.convenants.service import grants_for
from app.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from app.organisations import service as organisations
from app.principal import Principal
from app.signals import idempotency, matching, views
from app.signals.idempotency import StoredResponse
from app.signals.models import ONTVANGEN, Signal
from app.signals.schemas import BatchItemIn, SignalCreate, SignalOut, SignalStatusOut, SignalSummary
from app.subjects import service as subjects
from app.subjects.models import Subject

OBJECT_TYPE = "signal"


# --- intake -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """The answer to one intake: stored now (201) or replayed from the key's first answer."""

    response: StoredResponse
    replayed: bool

    @property
    def signal_id(self) -> str:
        return str(self.response.body["id"])


async def _sender(session: AsyncSession, principal: Principal) -> Decision:
    decision = access.require_role(session, principal, "signal:create", object_type=OBJECT_TYPE)
    if await organisations.by_code(session, principal.org) is None:
        access.deny(session, principal, "signal:create", object_type=OBJECT_TYPE, reason="unknown organisation")
        raise NotAllowed(f"Your organisation {principal.org!r} is not a registered ketenpartner")
    return decision


def _as_seen_by(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    # A key is scoped per organisation, not per role: a replay to a caller who may not see matches
    # (a melder replaying its procesregisseur colleague's key) leaves them out.
    if access.may_see_all_signals(principal) or body.get("matches") is None:
        return body
    return {**body, "matches": None}


async def _intake(
    session: AsyncSession, principal: Principal, decision: Decision, data: SignalCreate, key: str, digest: str,
    bsn_key: str, key_loc: tuple[str | int, ...] = idempotency.HEADER_LOC,
) -> Submitted:
    stored = await idempotency.claim(session, principal.org, key, digest, loc=key_loc)
    if stored is not None:
        signal_id = uuid.UUID(str(stored.body["id"]))
        subject_id = await session.scalar(select(Signal.subject_id).where(Signal.id == signal_id))
        audit.record(session, principal, "signal:create", object_type=OBJECT_TYPE, object_id=signal_id,
                     role=decision.role, subject_ids=[subject_id] if subject_id else [], detail={"replay": True})
        return Submitted(StoredResponse(stored.status, _as_seen_by(principal, stored.body)), replayed=True)

    rows = subjects.build(data.subject, bsn_key)
    await subjects.add_all(session, rows)
    signal = Signal(
        id=uuid.uuid4(), source_organisation=principal.org, case_type_hint=data.case_type_hint.value,
        subject_id=rows[0].id, description=data.description, category=data.category.value,
        observed_at=data.observed_at, external_ref=data.external_ref, status=ONTVANGEN,
        created_by=principal.sub, created_at=clock.now(),
    )
    session.add(signal)
    await session.flush()
    matches = None
    if access.may_see_all_signals(principal):
        matches = await matching.find(session, principal, rows[0].match_key, exclude_signal=signal.id)
    response = StoredResponse(201, views.receipt(signal, matches).model_dump(mode="json"))
    await idempotency.store(session, principal.org, key, response)
    grant = views.best_grant(await grants_for(session, principal.org, signal.case_type_hint, clock.today()))
    audit.record(session, principal, "signal:create", object_type=OBJECT_TYPE, object_id=signal.id,
                 role=decision.role, subject_ids=[r.id for r in rows], legal_basis=grant.basis if grant else None,
                 detail={"replay": False, "matches": [str(m.id) for m in matches or []]})
    return Submitted(response, replayed=False)


async def submit(
    session: AsyncSession, principal: Principal, data: SignalCreate, raw: Mapping[str, Any], key: str, *,
    bsn_key: str,
) -> Submitted:
    """POST /v1/signals: store the signal once per (organisation, key); the same key and body replays."""
    decision = await _sender(session, principal)
    return await _intake(session, principal, decision, data, key, idempotency.request_hash(raw, bsn_key), bsn_key)


@dataclass(frozen=True)
class BatchOutcome:
    index: int
    key: str | None
    result: Submitted | DomainError


def _item_errors(index: int, exc: ValidationError) -> ValidationFailed:
    # loc and msg only: pydantic's `input` would echo the item back, BSN included.
    errors = [{"loc": ["body", "items", index, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return ValidationFailed("This item has invalid or missing fields", errors=errors)


async def submit_batch(
    session: AsyncSession, principal: Principal, items: list[dict[str, Any]], *, bsn_key: str
) -> list[BatchOutcome]:
    """POST /v1/signals:batch: each item validated and stored on its own, in a SAVEPOINT of its own.

    Items are claimed in the order of their keys, not of the list: two batches that share keys then
    wait for one another on PostgreSQL instead of deadlocking. Answers keep the list's order.
    """
    decision = await _sender(session, principal)
    outcomes: dict[int, BatchOutcome] = {}
    valid: list[tuple[str, int, BatchItemIn, dict[str, Any]]] = []
    for index, raw in enumerate(items):
        raw_key = raw.get("idempotency_key")
        key = raw_key if isinstance(raw_key, str) else None
        try:
            item = BatchItemIn.model_validate(raw)
        except ValidationError as exc:
            outcomes[index] = BatchOutcome(index, key, _item_errors(index, exc))
            continue
        body = {k: v for k, v in raw.items() if k != "idempotency_key"}
        valid.append((item.idempotency_key, index, item, body))
    for key, index, item, body in sorted(valid, key=lambda v: (v[0], v[1])):
        digest = idempotency.request_hash(body, bsn_key)
        try:
            async with session.begin_nested():
                result: Submitted | DomainError = await _intake(
                    session, principal, decision, item, key, digest, bsn_key,
                    key_loc=("body", "items", index, "idempotency_key"))
        except DomainError as exc:
            result = exc
        outcomes[index] = BatchOutcome(index, key, result)
    return [outcomes[i] for i in range(len(items))]


# --- reading --------------------------------------------------------------------------------------


def _reader(session: AsyncSession, principal: Principal, object_id: Any = None) -> Decision:
    """`signal:read` (every signal, in full) or `signal:read_own` (its organisation's, status only)."""
    for action in ("signal:read", "signal:read_own"):
        role = access.granting_role(principal, action)
        if role is not None:
            return Decision(action=action, role=role)
    access.deny(session, principal, "signal:read", object_type=OBJECT_TYPE, object_id=object_id, reason="role")
    raise NotAllowed("None of your roles may read signals")


async def load_visible(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, action: str, *, lock: bool = False
) -> Signal:
    """The signal if the caller may know of it; a denied, audited 404 otherwise (no existence oracle)."""
    stmt = access.readable_signals(principal, select(Signal)).where(Signal.id == signal_id)
    if lock:
        stmt = stmt.with_for_update()
    signal = (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
    if signal is None:
        access.deny(session, principal, action, object_type=OBJECT_TYPE, object_id=signal_id,
                    reason="not found or not visible")
        raise NotFound("Signal not found")
    return signal


async def get(session: AsyncSession, principal: Principal, signal_id: uuid.UUID) -> SignalOut | SignalStatusOut:
    decision = _reader(session, principal, signal_id)
    signal = await load_visible(session, principal, signal_id, "signal:read")
    if decision.action == "signal:read_own":
        audit.record(session, principal, "signal:read", object_type=OBJECT_TYPE, object_id=signal.id,
                     role=decision.role, subject_ids=[signal.subject_id], detail={"view": "status"})
        return views.status_view(signal)
    matches = await matching.find(session, principal, await _match_key(session, signal), exclude_signal=signal.id)
    full = await views.full_view(session, principal.org, signal, matches)
    audit.record(session, principal, "signal:read", object_type=OBJECT_TYPE, object_id=signal.id,
                 role=decision.role, case_id=signal.case_id, subject_ids=full.subject_ids,
                 legal_basis=full.grant.basis if full.grant else None,
                 detail={"view": "full", "matches": [str(m.id) for m in matches]})
    return full.out


async def _match_key(session: AsyncSession, signal: Signal) -> str | None:
    return await session.scalar(select(Subject.match_key).where(Subject.id == signal.subject_id))


@dataclass(frozen=True)
class SignalFilter:
    status: str | None = None
    case_type_hint: str | None = None
    source_organisation: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(stmt: Select[Any], flt: SignalFilter) -> Select[Any]:
    if flt.status:
        stmt = stmt.where(Signal.status == flt.status)
    if flt.case_type_hint:
        stmt = stmt.where(Signal.case_type_hint == flt.case_type_hint)
    if flt.source_organisation:
        stmt = stmt.where(Signal.source_organisation == flt.source_organisation)
    if flt.since is not None:
        stmt = stmt.where(Signal.created_at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(Signal.created_at < flt.until)
    return stmt


async def list_page(
    session: AsyncSession, principal: Principal, flt: SignalFilter, *, limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[SignalSummary] | list[SignalStatusOut]:
    """Oldest first (a queue), filtered in SQL to what the caller may know of: all, or its organisation's."""
    decision = _reader(session, principal)
    if flt.since is not None and flt.until is not None and flt.until <= flt.since:
        raise ValidationFailed("The period is empty", errors=[{"loc": ["query", "to"], "msg": "must be after from"}])
    stmt = _filtered(access.readable_signals(principal, select(Signal, Subject.type)), flt)
    stmt = stmt.join(Subject, Subject.id == Signal.subject_id)
    if after is not None:
        stmt = stmt.where(tuple_(Signal.created_at, Signal.id) > tuple_(*after))
    rows = (await session.execute(stmt.order_by(Signal.created_at, Signal.id).limit(limit))).all()
    audit.record(session, principal, "signal:list", object_type=OBJECT_TYPE, role=decision.role,
                 subject_ids=[s.subject_id for s, _ in rows],
                 detail={"filters": {k: str(v) for k, v in flt.__dict__.items() if v is not None},
                         "view": "full" if decision.action == "signal:read" else "status",
                         "signal_ids": [str(s.id) for s, _ in rows]})
    if decision.action == "signal:read":
        return [views.summary(s, subject_type) for s, subject_type in rows]
    return [views.status_view(s) for s, _ in rows]
