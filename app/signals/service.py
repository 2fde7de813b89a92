"""Signal intake (single and batch, exactly-once per Idempotency-Key), reading and the triage queue.

Triage has a module of its own (triage.py); matching and idempotency too.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

from pydantic import ValidationError
from sqlalchemy import Row, Select, false, select, tuple_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.access import Decision
from app.audit import record as audit
from app.audit.masking import filters_detail
from app.auth.principal import Principal
from app.cases.models import Case
from app.convenants.grants import best_grant, grants_for
from app.events import publish
from app.kit import bulk_insert, clock
from app.kit.database import table_of
from app.kit.db_errors import refused_value
from app.kit.errors import DomainError, NotFound, ValidationFailed
from app.kit.paging import Window, window
from app.signals import idempotency, matching, views
from app.signals.idempotency import StoredResponse
from app.signals.models import Signal, SignalFeedback
from app.signals.schemas import (
    BatchItemIn,
    MatchOut,
    MelderSignalOut,
    SignalCreate,
    SignalOut,
    SignalStatusOut,
    SignalSummary,
)
from app.signals.views import CaseSide
from app.subjects import identity
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.vocabulary import Action, AuditAction, MatchKind, SignalStatus

_Ts = TypeVarTuple("_Ts")  # the columns of a statement that a filter passes through

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


def _as_seen_by(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    # A key is scoped per organisation, not per role: a replay to a caller who may not see matches
    # (a melder replaying its procesregisseur colleague's key) leaves them out.
    if access.may_see_all_signals(principal) or body.get("matches") is None:
        return body
    return {**body, "matches": None}


async def submit(
    session: AsyncSession, principal: Principal, data: SignalCreate, raw: Mapping[str, Any], key: str, *,
    bsn_key: str,
) -> Submitted:
    """POST /v1/signals: store the signal once per (organisation, key); the same key and body replays.

    A batch of one: the same storage, matching, idempotency and audit as POST /v1/signals:batch."""
    decision = await access.require_sender(session, principal)
    item = _Item(0, data, idempotency.request_hash(raw, bsn_key), key, idempotency.HEADER_LOC)
    (answer,) = await _store_groups(session, principal, [[item]], bsn_key)
    _record(session, principal, decision, answer)
    if isinstance(answer.result, DomainError):
        raise answer.result
    return answer.result


@dataclass(frozen=True)
class BatchOutcome:
    index: int
    key: str | None
    result: Submitted | DomainError


def _item_errors(index: int, exc: ValidationError) -> ValidationFailed:
    # loc and msg only: pydantic's `input` would echo the item back, BSN included.
    errors = [{"loc": ["body", "items", index, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return ValidationFailed("This item has invalid or missing fields", errors=errors)


@dataclass(frozen=True)
class _Item:
    """A valid signal to store: its place in the batch, its content, the hash of its body, its key and where
    the key came from (a batch item's field, or the single request's header)."""

    index: int
    data: SignalCreate
    digest: str
    key: str
    loc: tuple[str | int, ...]


@dataclass
class _NewSignal:
    """The rows of one signal, made before its key is claimed (they are dropped if the key is a replay)."""

    item: _Item
    subjects: list[dict[str, Any]]
    signal: dict[str, Any]
    response: StoredResponse | None = None
    matches: list[MatchOut] | None = None


@dataclass(frozen=True)
class _Answer:
    """One item's answer, and the audit entry it needs (None for a refused item)."""

    item: _Item
    result: Submitted | DomainError
    audit: dict[str, Any] | None = None


def _new_signal(principal: Principal, item: _Item, bsn_key: str) -> _NewSignal:
    data = item.data
    subject_rows = subjects.rows(data.subject, bsn_key)
    # The columns an intake sets; the triage columns (case_id, triage_*) stay NULL until triage.
    signal = {
        "id": uuid.uuid4(), "source_organisation": principal.org, "case_type_hint": data.case_type_hint.value,
        "subject_id": subject_rows[0]["id"], "description": data.description, "category": data.category.value,
        "observed_at": data.observed_at, "external_ref": data.external_ref, "status": SignalStatus.ontvangen,
        "created_by": principal.sub, "created_at": clock.now(),
    }
    return _NewSignal(item, subject_rows, signal)


async def _store_groups(
    session: AsyncSession, principal: Principal, groups: list[list[_Item]], bsn_key: str
) -> list[_Answer]:
    """Store the items of a batch set-wise: one claim of all keys, multi-row inserts of subjects, signals
    and answers. `groups` holds the items per key (items in list order), in key order.

    The first item of a key is the one stored; a later item with the same key replays it, as a second
    request would (another body: 422). A key held already answers each of its items with a replay or a 422.
    Answers come in key order, which is the order the audit entries take.
    """
    see_matches = access.may_see_all_signals(principal)
    fresh = {group[0].key: _new_signal(principal, group[0], bsn_key) for group in groups}
    if not see_matches:  # the answer holds no matches: known now, it is stored with the claim
        for new in fresh.values():
            new.response = StoredResponse(201, views.receipt_of(new.signal, None).model_dump(mode="json"))
    claims = await idempotency.claim_many(session, principal.org, [
        idempotency.Claim(key, new.item.digest, new.response) for key, new in fresh.items()])
    stored = [fresh[group[0].key] for group in groups if group[0].key in claims.taken]
    if see_matches and stored:
        found = await matching.find_in_order(session, principal, [
            (subjects.keys_of(new.subjects[0]), _as_match(new.signal)) for new in stored])
        for new, matches in zip(stored, found, strict=True):
            new.matches = matches
            new.response = StoredResponse(201, views.receipt_of(new.signal, matches).model_dump(mode="json"))
    await subjects.insert_rows(session, [row for new in stored for row in new.subjects])
    await bulk_insert.insert_rows(session, table_of(Signal), [new.signal for new in stored])
    publish.signals_received(session, [new.signal for new in stored])
    if see_matches:
        await idempotency.store_many(session, principal.org, {
            new.item.key: new.response for new in stored if new.response is not None})

    today = clock.today()
    grants = {hint: best_grant(await grants_for(session, principal.org, hint, today))
              for hint in dict.fromkeys(new.signal["case_type_hint"] for new in stored)}
    replayed_ids = {uuid.UUID(str(held.response.body["id"])) for held in claims.held.values() if held.response}
    subject_of: dict[uuid.UUID, uuid.UUID] = {}
    if replayed_ids:
        subject_of = {row.id: row.subject_id for row in await session.execute(
            select(Signal.id, Signal.subject_id).where(Signal.id.in_(replayed_ids)))}
    answers: list[_Answer] = []
    for group in groups:
        first = group[0]
        rest = group
        if first.key in claims.taken:
            new = fresh[first.key]
            stored_response = _answered(new)
            grant = grants[new.signal["case_type_hint"]]
            answers.append(_Answer(first, Submitted(stored_response, replayed=False), {
                "object_id": new.signal["id"], "subject_ids": [row["id"] for row in new.subjects],
                "legal_basis": grant.basis if grant else None,
                "detail": {"replay": False, "matches": [str(m.id) for m in new.matches or []]}}))
            held = idempotency.HeldKey(first.digest, stored_response)
            subject_of[new.signal["id"]] = new.signal["subject_id"]
            rest = group[1:]
        else:
            held = claims.held[first.key]
        for item in rest:
            try:
                response = idempotency.answer(held, item.digest, loc=item.loc)
            except DomainError as exc:
                answers.append(_Answer(item, exc))
                continue
            signal_id = uuid.UUID(str(response.body["id"]))
            subject_id = subject_of.get(signal_id)
            seen = StoredResponse(response.status, _as_seen_by(principal, response.body))
            answers.append(_Answer(item, Submitted(seen, replayed=True), {
                "object_id": signal_id, "subject_ids": [subject_id] if subject_id else [],
                "detail": {"replay": True}}))
    return answers


def _record(session: AsyncSession, principal: Principal, decision: Decision, answer: _Answer) -> None:
    if answer.audit is not None:
        audit.record(session, principal, Action.signal_create, object_type=OBJECT_TYPE, role=decision.role,
                     **answer.audit)


def _answered(new: _NewSignal) -> StoredResponse:
    if new.response is None:
        raise RuntimeError("a stored signal without its answer")  # _store_groups sets one for every stored signal
    return new.response


def _as_match(signal: Mapping[str, Any]) -> MatchOut:
    return MatchOut(kind=MatchKind.signaal, id=signal["id"], source_organisation=signal["source_organisation"],
                    case_type=signal["case_type_hint"], status=signal["status"], created_at=signal["created_at"])


def _refused(item: _Item) -> ValidationFailed:
    return ValidationFailed("A value in this item cannot be stored (a NUL character, or a number or date out of "
                            "range)", errors=[{"loc": ["body", "items", item.index], "msg": "value out of range"}])


async def _store_one_key_at_a_time(
    session: AsyncSession, principal: Principal, groups: list[list[_Item]], bsn_key: str
) -> list[_Answer]:
    """The fallback when the database refused a value of the batch: each key in a savepoint of its own,
    so the item whose value is refused fails alone."""
    answers: list[_Answer] = []
    for group in groups:
        try:
            async with session.begin_nested():
                answers += await _store_groups(session, principal, [group], bsn_key)
        except DBAPIError as exc:
            if not refused_value(exc):
                raise
            answers += [_Answer(item, _refused(item)) for item in group]
    return answers


async def submit_batch(
    session: AsyncSession, principal: Principal, items: list[dict[str, Any]], *, bsn_key: str
) -> list[BatchOutcome]:
    """POST /v1/signals:batch: every item validated on its own, then the valid ones stored set-wise.

    Keys are claimed in key order, not in the list's, so two batches that share keys wait for one another
    on PostgreSQL instead of deadlocking. A value the database refuses (a NUL character) sends the batch
    back to one savepoint per key, so that only its item fails. Answers keep the list's order.
    """
    decision = await access.require_sender(session, principal)
    outcomes: dict[int, BatchOutcome] = {}
    by_key: dict[str, list[_Item]] = {}
    for index, raw in enumerate(items):
        raw_key = raw.get("idempotency_key")
        key = raw_key if isinstance(raw_key, str) else None
        try:
            data = BatchItemIn.model_validate(raw)
        except ValidationError as exc:
            outcomes[index] = BatchOutcome(index, key, _item_errors(index, exc))
            continue
        body = {k: v for k, v in raw.items() if k != "idempotency_key"}
        by_key.setdefault(data.idempotency_key, []).append(
            _Item(index, data, idempotency.request_hash(body, bsn_key), data.idempotency_key,
                  ("body", "items", index, "idempotency_key")))
    groups = [by_key[key] for key in sorted(by_key)]
    answers: list[_Answer] = []
    try:
        if groups:
            async with session.begin_nested():
                answers = await _store_groups(session, principal, groups, bsn_key)
    except DBAPIError as exc:
        if not refused_value(exc):
            raise
        answers = await _store_one_key_at_a_time(session, principal, groups, bsn_key)
    for answer in answers:
        _record(session, principal, decision, answer)
        outcomes[answer.item.index] = BatchOutcome(answer.item.index, answer.item.key, answer.result)
    return [outcomes[i] for i in range(len(items))]


# --- reading --------------------------------------------------------------------------------------


async def load_visible(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, action: Action, *, lock: bool = False
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


async def get(session: AsyncSession, principal: Principal, signal_id: uuid.UUID) -> SignalOut | MelderSignalOut:
    decision = access.signal_reader(session, principal, signal_id)
    if decision.action == Action.signal_read_own:
        signal, case, feedback = await _load_for_melder(session, principal, signal_id)
        audit.record(session, principal, Action.signal_read, object_type=OBJECT_TYPE, object_id=signal.id,
                     role=decision.role, subject_ids=[signal.subject_id],
                     detail={"view": "status", "feedback": [str(f.id) for f in feedback]})
        return views.melder_view(signal, case, feedback)
    signal = await load_visible(session, principal, signal_id, Action.signal_read)
    matches = await matching.find(session, principal, await _match_keys(session, signal), exclude_signal=signal.id)
    full = await views.full_view(session, principal.org, signal, matches)
    audit.record(session, principal, Action.signal_read, object_type=OBJECT_TYPE, object_id=signal.id,
                 role=decision.role, case_id=signal.case_id, subject_ids=full.subject_ids,
                 legal_basis=full.grant.basis if full.grant else None,
                 detail={"view": "full", "matches": [str(m.id) for m in matches]})
    return full.out


# What the melder's view needs of the case its signal landed in: outer-joined into the signal's own statement.
_CASE_SIDE = (Case.reference, Case.state, Case.case_type, Case.regie_organisation)


async def _load_for_melder(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID
) -> tuple[Signal, CaseSide, list[SignalFeedback]]:
    """The signal, the case side of its status and its feedback in one statement (a row per feedback message, the
    signal's columns repeated): the melder's view costs the round trip the status view did before it."""
    stmt = (access.readable_signals(principal, select(Signal, *_CASE_SIDE, SignalFeedback))
            .outerjoin(Case, Case.id == Signal.case_id)
            .outerjoin(SignalFeedback, SignalFeedback.signal_id == Signal.id)
            .where(Signal.id == signal_id)
            .order_by(SignalFeedback.created_at, SignalFeedback.id))
    rows = (await session.execute(stmt.execution_options(populate_existing=True))).all()
    if not rows:
        access.deny(session, principal, Action.signal_read, object_type=OBJECT_TYPE, object_id=signal_id,
                    reason="not found or not visible")
        raise NotFound("Signal not found")
    signal, reference, state, case_type, regie = rows[0][:5]
    feedback = [row[5] for row in rows if row[5] is not None]
    return signal, CaseSide(reference, state, case_type, regie), feedback


async def _match_keys(session: AsyncSession, signal: Signal) -> tuple[str, ...]:
    row = (await session.execute(select(Subject.match_key, Subject.type, Subject.postcode, Subject.house_number)
                                 .where(Subject.id == signal.subject_id))).one_or_none()
    return identity.match_keys(row[0], str(row[1]), row[2], row[3]) if row is not None else ()


@dataclass(frozen=True)
class SignalFilter:
    status: str | None = None
    case_id: uuid.UUID | None = None
    case_type_hint: str | None = None
    source_organisation: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(stmt: Select[*_Ts], flt: SignalFilter) -> Select[*_Ts]:
    if flt.status:
        stmt = stmt.where(Signal.status == flt.status)
    if flt.case_id is not None:
        stmt = stmt.where(Signal.case_id == flt.case_id)
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
) -> Window[SignalSummary] | Window[SignalStatusOut]:
    """Oldest first (a queue), filtered in SQL to what the caller may know of: all, or its organisation's."""
    decision = access.signal_reader(session, principal)
    if flt.since is not None and flt.until is not None and flt.until <= flt.since:
        raise ValidationFailed("The period is empty", errors=[{"loc": ["query", "to"], "msg": "must be after from"}])
    full = decision.action == Action.signal_read
    if full:
        queue = await _page(session, _filtered(access.readable_signals(principal, select(Signal, Subject.type)), flt),
                            limit=limit, after=after)
        _record_list(session, principal, decision, flt, [row[0] for row in queue.items])
        return Window([views.summary(row[0], row[1]) for row in queue.items], queue.more)
    # The melder's status rows derive from the case its signals landed in: joined here, so that the page stays
    # one statement. A melder knows no case ids: a case filter finds nothing for it.
    stmt = _filtered(access.readable_signals(principal, select(Signal, Subject.type, *_CASE_SIDE)), flt)
    stmt = stmt.outerjoin(Case, Case.id == Signal.case_id)
    if flt.case_id is not None:
        stmt = stmt.where(false())
    own = await _page(session, stmt, limit=limit, after=after)
    _record_list(session, principal, decision, flt, [row[0] for row in own.items])
    return Window([views.status_view(row[0], CaseSide(*row[2:6])) for row in own.items], own.more)


async def _page(
    session: AsyncSession, stmt: Select[*_Ts], *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> Window[Row[*_Ts]]:
    stmt = stmt.join(Subject, Subject.id == Signal.subject_id)
    if after is not None:
        stmt = stmt.where(tuple_(Signal.created_at, Signal.id) > tuple_(*after))
    return window((await session.execute(stmt.order_by(Signal.created_at, Signal.id).limit(limit + 1))).all(), limit)


def _record_list(
    session: AsyncSession, principal: Principal, decision: Decision, flt: SignalFilter, rows: list[Signal]
) -> None:
    audit.record(session, principal, AuditAction.signal_list, object_type=OBJECT_TYPE, role=decision.role,
                 subject_ids=[s.subject_id for s in rows],
                 detail={"filters": filters_detail(flt),
                         "view": "full" if decision.action == Action.signal_read else "status",
                         "signal_ids": [str(s.id) for s in rows]})
