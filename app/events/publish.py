"""The events each change publishes, one function per event type: what its `data` holds is decided here, once,
and holds ids, codes and states only (the fields a partner system needs to fetch the rest through the API,
where access and audit apply)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Case
from app.events.outbox import emit, emit_many, row
from app.events.types import EventType
from app.workflows.engine import get_engine


def _categories(case: Case, *states: str | None, extra: str | None = None) -> str | None:
    """The data categories a receiver needs for this event (comma-separated): a state that reveals a decision
    (StateDef.category, e.g. radicalisering's PGA states) and the event's own (a note's)."""
    ladder = get_engine().ladder(case.case_type)
    found = {c for s in states if s is not None and (c := ladder.state(s).category) is not None}
    if extra is not None:
        found.add(extra)
    return ",".join(sorted(found)) or None


def _case(case: Case) -> dict[str, object]:
    return {"case_id": case.id, "reference": case.reference, "case_type": str(case.case_type), "state": case.state,
            "tier": case.tier, "version": case.version}


def case_created(session: AsyncSession, case: Case) -> None:
    emit(session, EventType.case_created, case.id, _case(case), case_id=case.id,
         data_category=_categories(case, case.state))


def case_transitioned(session: AsyncSession, case: Case, *, trigger: str, from_state: str, actor_org: str) -> None:
    emit(session, EventType.case_transitioned, case.id,
         _case(case) | {"trigger": trigger, "from_state": from_state, "actor_organisation": actor_org},
         case_id=case.id, data_category=_categories(case, case.state, from_state))


def case_overdue(session: AsyncSession, case: Case, due_at: datetime) -> None:
    emit(session, EventType.case_overdue, case.id, _case(case) | {"due_at": due_at}, case_id=case.id,
         data_category=_categories(case, case.state))


def participant_added(session: AsyncSession, case: Case, organisation: str) -> None:
    emit(session, EventType.case_participant_added, case.id, _case(case) | {"organisation": organisation},
         case_id=case.id, data_category=_categories(case, case.state))


def participant_removed(session: AsyncSession, case: Case, organisation: str) -> None:
    emit(session, EventType.case_participant_removed, case.id, _case(case) | {"organisation": organisation},
         case_id=case.id, data_category=_categories(case, case.state))


def plan_adopted(session: AsyncSession, case: Case, plan_id: uuid.UUID, plan_version: int) -> None:
    emit(session, EventType.case_plan_adopted, case.id,
         _case(case) | {"plan_id": plan_id, "plan_version": plan_version}, case_id=case.id,
         data_category=_categories(case, case.state))


def note_added(session: AsyncSession, case: Case, note_id: uuid.UUID, category: str) -> None:
    """Ids and the category, never the text; delivered only to organisations that may read the category."""
    emit(session, EventType.case_note_added, case.id,
         _case(case) | {"note_id": note_id, "data_category": category}, case_id=case.id,
         data_category=_categories(case, case.state, extra=category))


def signals_received(session: AsyncSession, signals: list[dict[str, Any]]) -> None:
    """The signals stored by one request (their rows as inserted), one event each, in one insert."""
    emit_many(session, [
        row(EventType.signal_received, s["id"],
            {"signal_id": s["id"], "source_organisation": s["source_organisation"],
             "case_type_hint": s["case_type_hint"], "status": str(s["status"])}, signal_id=s["id"])
        for s in signals])


def signal_triaged(session: AsyncSession, signal_id: uuid.UUID, *, decision: str, status: str) -> None:
    """It reaches the melder's organisation too (its terugkoppeling); the case a signal was linked to is not in
    it, since the melder may not see that case: whoever may asks the API, where the access rules apply."""
    emit(session, EventType.signal_triaged, signal_id,
         {"signal_id": signal_id, "decision": decision, "status": status}, signal_id=signal_id)


def signal_feedback_sent(session: AsyncSession, signal_id: uuid.UUID, *, feedback_id: uuid.UUID,
                         from_organisation: str) -> None:
    """Ids and the sender's code, never the message: the melder's organisation reads it through the API (GET
    /v1/signals/{id}), where access and audit apply. Delivered to that organisation only (app/access/events.py)."""
    emit(session, EventType.signal_feedback_sent, signal_id,
         {"signal_id": signal_id, "feedback_id": feedback_id, "from_organisation": from_organisation},
         signal_id=signal_id)


def convenant_changed(session: AsyncSession, event_type: EventType, convenant_id: uuid.UUID, *, version: int,
                      status: str, case_types: list[str]) -> None:
    emit(session, event_type, convenant_id,
         {"convenant_id": convenant_id, "version": version, "status": status, "case_types": case_types},
         convenant_id=convenant_id)
