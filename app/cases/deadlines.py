"""Deadlines that break stagnation (issue 14 item 1a), acted on by `casusregie worker`.

A case past its `due_at` that is not closed gets its ladder's stagnation rule, once per deadline:
- `escalate` (AVE on every rung with a next one: DOMAIN.md "breaking stagnation is AVE's purpose"): the rule's
  trigger is fired with the rule's data (`escalatiereden: stagnatie_samenwerking`) by the actor `systeem`,
  through the ladder's machine like any transition: a new state and deadline, a history row, an audit entry,
  and the next rung's level owner brought in (app/cases/level_owners.py). Where that owner is required but no
  convenant party of its kind exists (AVE `bestuurlijk_niveau` without a gemeente), the case is flagged
  instead, its entry saying why: a person has to act, and the pass goes on;
- otherwise `flag`: an audit entry `case:overdue` by `systeem` (the case's `overdue` shows it already).

`casus_deadline` holds one row per (case, due_at) acted on, written in the same transaction as the act, so a
deadline is acted on once; entering a new state sets a new `due_at`, which re-arms. Each case is its own
transaction, its row locked with `FOR UPDATE SKIP LOCKED` on PostgreSQL: several workers never act on the same
case at once, and a worker killed mid-pass leaves the rest for the next pass. The system acts by the ladder's
rule, not by a role: no access decision is made for it, and its entries say `systeem`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import record as audit
from app.auth.principal import SYSTEM
from app.cases import level_owners
from app.cases.models import Case, CaseDeadline, CaseSubject, CaseTransition
from app.cases.service import enter_state
from app.events import publish
from app.kit.errors import ValidationFailed
from app.vocabulary import Action, AuditAction
from app.workflows.engine import FireResult, get_engine
from app.workflows.model import FINAL_STATE, GuardContext, TransitionDef

REASON = "Termijn verstreken: stagnatie doorbroken door de worker"
ESCALATED = "escalated"
FLAGGED = "flagged"


@dataclass(frozen=True)
class DeadlineAct:
    case_id: uuid.UUID
    due_at: datetime
    action: str
    to_state: str | None = None


def _not_acted_on() -> ColumnElement[bool]:
    return ~exists().where(CaseDeadline.case_id == Case.id, CaseDeadline.due_at == Case.due_at)


async def overdue(session: AsyncSession, now: datetime, limit: int) -> list[uuid.UUID]:
    """Cases past their deadline, not closed, whose deadline nobody acted on yet; oldest deadline first."""
    stmt = (select(Case.id).where(Case.due_at < now, Case.state != FINAL_STATE, _not_acted_on())
            .order_by(Case.due_at).limit(limit))
    return list((await session.scalars(stmt)).all())


async def act(session: AsyncSession, case_id: uuid.UUID, now: datetime) -> DeadlineAct | None:
    """Apply the stagnation rule to one case, in the caller's transaction; None when there is nothing (left) to
    do: another worker holds the case, or it moved on or was acted on since it was listed."""
    stmt = (select(Case).where(Case.id == case_id, Case.due_at < now, Case.state != FINAL_STATE, _not_acted_on())
            .with_for_update(skip_locked=True))
    case = await session.scalar(stmt)
    if case is None or case.due_at is None:
        return None
    due = case.due_at
    subject_ids = list((await session.scalars(select(CaseSubject.subject_id)
                                              .where(CaseSubject.case_id == case.id))).all())
    engine = get_engine()
    ladder = engine.ladder(case.case_type)
    rule = ladder.stagnation
    done: DeadlineAct
    escalation: tuple[TransitionDef, FireResult] | None = None
    refused: dict[str, Any] = {}
    if rule.escalates_from(case.state) and rule.trigger is not None:
        tdef = engine.transition(case.case_type, case.state, rule.trigger)
        assert tdef is not None  # the engine checks every stagnation rule against its ladder at start-up
        result = engine.fire(case.case_type, case.state, rule.trigger,
                             GuardContext(details=case.details or {}, data=dict(rule.data), plan=None,
                                          actor_org_kind=None))
        try:
            await level_owners.enter(session, case, result.source, result.dest, tdef.trigger, subject_ids, now)
        except ValidationFailed:  # raised before anything was written: flag the case instead
            refused = {"escalation_refused": {"trigger": tdef.trigger, "to": result.dest,
                                              "missing_owner": ladder.state(result.dest).owner}}
        else:
            escalation = (tdef, result)
    if escalation is not None:
        tdef, result = escalation
        case.details = result.details
        entered = case.state_entered_at
        enter_state(case, ladder, result.dest, now)
        case.version += 1
        case.updated_at = now
        session.add(CaseTransition(
            id=uuid.uuid4(), case_id=case.id, version=case.version, trigger=tdef.trigger, from_state=result.source,
            from_state_entered_at=entered, to_state=result.dest, reason=REASON, data=result.data,
            data_category=tdef.data_category, actor_sub=SYSTEM.sub, actor_org=SYSTEM.org, actor_role=None,
            created_at=now, regie_organisation=case.regie_organisation))
        audit.record(session, SYSTEM, Action.case_transition, object_type="case", object_id=case.id,
                     case_id=case.id, subject_ids=subject_ids,
                     detail={"trigger": tdef.trigger, "from": result.source, "to": result.dest,
                             "version": case.version, "reason": "stagnatie", "due_at": due.isoformat()})
        publish.case_transitioned(session, case, trigger=tdef.trigger, from_state=result.source, actor_org=SYSTEM.org)
        done = DeadlineAct(case.id, due, ESCALATED, result.dest)
    else:
        audit.record(session, SYSTEM, AuditAction.case_overdue, object_type="case", object_id=case.id,
                     case_id=case.id, subject_ids=subject_ids,
                     detail={"state": case.state, "due_at": due.isoformat(), **refused})
        publish.case_overdue(session, case, due)
        done = DeadlineAct(case.id, due, FLAGGED)
    session.add(CaseDeadline(case_id=case.id, due_at=due, action=done.action, acted_at=now))
    return done
