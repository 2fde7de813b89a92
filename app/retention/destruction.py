"""Destroying the personal data of closed cases past their retention term (`casusregie retention`, the worker).

What goes (the free text and the data about persons), set-wise per case with SQL updates, never by loading rows:
- the subjects of the case (its subjects, the subjects of the signals triaged into it, and their members):
  name, birth date, bsn hash, postcode, house number, area, match key -> NULL; except a subject that another
  case not (yet) destroyed, or a signal not triaged into a destroyed case, still refers to (or a member of such a
  group): that one is kept for the other case, and the verklaring names it;
- the case's title -> "[vernietigd]", summary -> NULL, details -> {};
- notes' text, plan action descriptions, transition reasons -> "[vernietigd]"; plan summaries, action-change
  toelichting -> NULL; transition data -> {} but for its reason codes (escalatiereden, uitstroomreden: closed
  vocabularies the monitor report counts, app/workflows/fields.py REASON_CODE_KEYS);
- the text of the meeting decisions on the case and the question of its agenda items;
- the signals triaged into the case: description -> "[vernietigd]", triage reason and external reference ->
  NULL; the feedback messages on them -> "[vernietigd]";
- the reasons of the retention extensions.
Besides, each pass deletes the expired idempotency records of signal intake (`purge_expired_receipts`): a stored
answer repeats the signal's external reference, and once its key has expired (app/signals/idempotency.py) it is
never answered again, so keeping it would only keep that reference past the case's destruction.
What stays: the skeleton (ids, reference, type, states, dates, regie, participants, history's triggers and
actors, plan and action statuses, decision records' triggers) and every audit entry, untouched: they hold ids
only, so the audit chain verifies as before. The case gets `destroyed_at`; the destruction writes a `case:destroy`
entry by `systeem`, the verklaring van vernietiging. Each case is its own transaction and is only destroyed
once (`destroyed_at IS NULL` under the row lock), so a second run changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import record as audit
from app.audit.record import LegalBasis
from app.auth.principal import SYSTEM
from app.cases.models import (
    Case,
    CaseNote,
    CasePlan,
    CasePlanAction,
    CasePlanActionChange,
    CaseRetentionExtension,
    CaseSubject,
    CaseTransition,
)
from app.meetings.models import AgendaItem, MeetingDecision
from app.retention.terms import Term, add_months, term_of
from app.signals.models import IdempotencyRecord, Signal, SignalFeedback
from app.subjects.models import Subject
from app.vocabulary import AuditAction, CaseType
from app.workflows.fields import REASON_CODE_KEYS

log = logging.getLogger("casusregie.retention")

MARKER = "[vernietigd]"
# No convenant term is shorter than a month (convenant_version's check): closed more recently, nothing is due.
_SHORTEST = timedelta(days=28)
SUBJECT_FIELDS = ("name", "birth_date", "bsn_hash", "postcode", "house_number", "area", "match_key")


@dataclass(frozen=True)
class Due:
    """A closed case whose term has passed (what a dry run lists): ids, dates and the basis; no personal data."""

    case_id: uuid.UUID
    reference: str
    closed_at: datetime
    term: Term
    due_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"case_id": str(self.case_id), "reference": self.reference, "closed_at": self.closed_at.isoformat(),
                "term_months": self.term.months, "extension_months": self.term.extension_months,
                "due_at": self.due_at.isoformat(), "convenants": [b.as_json() for b in self.term.basis]}


@dataclass(frozen=True)
class Destruction:
    case_id: uuid.UUID
    counts: dict[str, int]
    kept_subjects: tuple[uuid.UUID, ...]


def _due(case_id: uuid.UUID, reference: str, closed_at: datetime, term: Term | None, now: datetime) -> Due | None:
    if term is None:
        log.warning("retention: no convenant term for a closed case; it is kept", extra={"case_id": str(case_id)})
        return None
    due_at = add_months(closed_at, term.total_months)
    return Due(case_id, reference, closed_at, term, due_at) if due_at <= now else None


async def review(session: AsyncSession, now: datetime, *, batch: int = 500) -> list[Due]:
    """The closed, not destroyed cases whose term (with extensions) has passed at `now`, by closing time. Reads
    the candidates a page at a time (id, reference, type, dates only)."""
    found: list[Due] = []
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        stmt = (select(Case.id, Case.reference, Case.case_type, Case.created_at, Case.closed_at)
                .where(Case.closed_at.is_not(None), Case.destroyed_at.is_(None), Case.closed_at <= now - _SHORTEST)
                .order_by(Case.closed_at, Case.id).limit(batch))
        if after is not None:  # keyset paging on (closed_at, id), typed by the columns on both databases
            stmt = stmt.where(or_(Case.closed_at > after[0], and_(Case.closed_at == after[0], Case.id > after[1])))
        rows = (await session.execute(stmt)).all()
        for case_id, reference, case_type, created_at, closed_at in rows:
            assert closed_at is not None  # the statement's condition
            term = await term_of(session, case_id, CaseType(case_type), created_at, closed_at)
            due = _due(case_id, reference, closed_at, term, now)
            if due is not None:
                found.append(due)
        if len(rows) < batch:
            return found
        after = (rows[-1].closed_at, rows[-1].id)


async def purge_expired_receipts(session: AsyncSession, now: datetime) -> int:
    """Delete the idempotency records whose key has expired (their answers are never given again)."""
    result = await session.execute(delete(_t(IdempotencyRecord)).where(IdempotencyRecord.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


async def _subjects(session: AsyncSession, case_id: uuid.UUID) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """(to destroy, to keep): the case's subjects, its signals' subjects and their members; kept where another
    case not destroyed, or a signal not in a destroyed case, refers to them (or to their group)."""
    direct = set((await session.scalars(union(
        select(CaseSubject.subject_id).where(CaseSubject.case_id == case_id),
        select(Signal.subject_id).where(Signal.case_id == case_id)))).all())
    if not direct:
        return set(), set()
    members = set((await session.scalars(select(Subject.id).where(Subject.member_of.in_(sorted(direct))))).all())
    involved = sorted(direct | members)
    live_other = select(Case.id).where(Case.destroyed_at.is_(None), Case.id != case_id)
    referred = set((await session.scalars(union(
        select(CaseSubject.subject_id).where(CaseSubject.subject_id.in_(involved),
                                             CaseSubject.case_id.in_(live_other)),
        select(Signal.subject_id).where(Signal.subject_id.in_(involved),
                                        or_(Signal.case_id.is_(None), Signal.case_id.in_(live_other)))))).all())
    groups_kept = set((await session.scalars(select(Subject.id).where(
        Subject.id.in_(sorted(members)), Subject.member_of.in_(sorted(referred))))).all()) if referred else set()
    kept = referred | groups_kept
    return set(involved) - kept, kept


async def _set(session: AsyncSession, table: Table, where: Any, values: dict[str, Any]) -> int:
    result = await session.execute(update(table).where(where).values(**values))
    return int(getattr(result, "rowcount", 0) or 0)


async def _scrub_transitions(session: AsyncSession, case_id: uuid.UUID) -> int:
    """Reasons -> MARKER, data -> its reason codes only: one UPDATE per distinct set of codes kept (a case's
    history has a few dozen steps, with a handful of such sets)."""
    rows = (await session.execute(select(CaseTransition.id, CaseTransition.data)
                                  .where(CaseTransition.case_id == case_id))).all()
    by_kept: dict[tuple[tuple[str, Any], ...], list[uuid.UUID]] = {}
    for transition_id, data in rows:
        kept = tuple((k, data[k]) for k in REASON_CODE_KEYS if isinstance(data, dict) and isinstance(data.get(k), str))
        by_kept.setdefault(kept, []).append(transition_id)
    return sum([await _set(session, _t(CaseTransition), CaseTransition.id.in_(ids),
                           {"reason": MARKER, "data": dict(kept)}) for kept, ids in by_kept.items()])


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


async def destroy(session: AsyncSession, case_id: uuid.UUID, now: datetime) -> Destruction | None:
    """Destroy one case's personal data in the caller's transaction, if it is (still) due; None when another
    worker holds it, it was destroyed already, reopened or extended since it was listed."""
    stmt = (select(Case.id, Case.reference, Case.case_type, Case.created_at, Case.closed_at)
            .where(Case.id == case_id, Case.closed_at.is_not(None), Case.destroyed_at.is_(None))
            .with_for_update(skip_locked=True))
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    term = await term_of(session, case_id, CaseType(row.case_type), row.created_at, row.closed_at)
    due = _due(case_id, row.reference, row.closed_at, term, now)
    if due is None:
        return None
    destroyed, kept = await _subjects(session, case_id)
    signals = select(Signal.id).where(Signal.case_id == case_id)
    plans = select(CasePlan.id).where(CasePlan.case_id == case_id)
    counts = {
        "subject": await _set(session, _t(Subject), Subject.id.in_(sorted(destroyed)),
                              dict.fromkeys(SUBJECT_FIELDS))
        if destroyed else 0,
        "casus_note": await _set(session, _t(CaseNote), CaseNote.case_id == case_id, {"text": MARKER}),
        "casus_plan": await _set(session, _t(CasePlan), CasePlan.case_id == case_id, {"summary": None}),
        "casus_plan_action": await _set(session, _t(CasePlanAction), CasePlanAction.plan_id.in_(plans),
                                        {"description": MARKER}),
        "casus_plan_action_change": await _set(session, _t(CasePlanActionChange),
                                               CasePlanActionChange.case_id == case_id, {"toelichting": None}),
        "casus_transition": await _scrub_transitions(session, case_id),
        "overleg_besluit": await _set(session, _t(MeetingDecision), MeetingDecision.case_id == case_id,
                                      {"text": MARKER}),
        "overleg_agendapunt": await _set(session, _t(AgendaItem), AgendaItem.case_id == case_id,
                                         {"question": None}),
        "signaal_feedback": await _set(session, _t(SignalFeedback), SignalFeedback.signal_id.in_(signals),
                                       {"message": MARKER}),
        "signaal": await _set(session, _t(Signal), Signal.case_id == case_id,
                              {"description": MARKER, "triage_reason": None, "external_ref": None}),
        "casus_retention_extension": await _set(session, _t(CaseRetentionExtension),
                                                CaseRetentionExtension.case_id == case_id, {"reason": MARKER}),
        "casus": await _set(session, _t(Case), Case.id == case_id,
                            {"title": MARKER, "summary": None, "details": {}, "destroyed_at": now}),
    }
    assert term is not None  # _due returned a Due
    first = term.basis[0]
    audit.record(session, SYSTEM, AuditAction.case_destroy, object_type="case", object_id=case_id, case_id=case_id,
                 subject_ids=destroyed | kept,
                 legal_basis=LegalBasis(first.convenant_id, first.version, None),
                 detail={"verklaring_van_vernietiging": {
                     "case_id": str(case_id), "destroyed_at": now.isoformat(),
                     "destroyed": {table: {"rows": n, "fields": list(FIELDS[table])} for table, n in counts.items()},
                     "subjects_destroyed": sorted(map(str, destroyed)),
                     "subjects_kept_for_other_cases": sorted(map(str, kept)),
                     "retention": {**due.as_json(), "fallback_all_versions": term.fallback}}})
    log.info("retention: case destroyed", extra={"case_id": str(case_id), "rows": sum(counts.values())})
    return Destruction(case_id, counts, tuple(sorted(kept, key=str)))


FIELDS: dict[str, Sequence[str]] = {
    "subject": SUBJECT_FIELDS,
    "casus_note": ("text",),
    "casus_plan": ("summary",),
    "casus_plan_action": ("description",),
    "casus_plan_action_change": ("toelichting",),
    "casus_transition": ("reason", "data"),
    "overleg_besluit": ("text",),
    "overleg_agendapunt": ("question",),
    "signaal_feedback": ("message",),
    "signaal": ("description", "triage_reason", "external_ref"),
    "casus_retention_extension": ("reason",),
    "casus": ("title", "summary", "details"),
}
