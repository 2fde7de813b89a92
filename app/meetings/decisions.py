"""Decision records (besluiten) on agenda items: text, data category, attendees, and optionally the actions it
adds to the case's plan and the trigger it fires.

Everything goes through the case's own paths, in the request's one transaction: the actions through
`plans.put` (a new plan version), the trigger through `transitions.fire` (access, guards, level owners, history,
audit, events), which records the decision on the history entry. Any refusal on the way (a guard, a stale
case version, a missing level owner) rolls the whole decision back: no decision without its step.

A vastgesteld meeting takes only corrections: a new decision naming the one it corrects (`corrects`, of the same
agenda item). The corrected one stays as it was, shown with `corrected_by`; the besluitenlijst shows both.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.auth.principal import Principal
from app.cases import plans, transitions
from app.cases.loading import check_version, load_case
from app.cases.schemas import PlanActionIn, PlanPut, TransitionRequest
from app.kit import clock
from app.kit.errors import NotFound, ValidationFailed
from app.meetings.loading import OBJECT_TYPE, load_meeting, refuse_if_adopted
from app.meetings.models import AgendaItem, Meeting, MeetingDecision
from app.meetings.schemas import DecisionCreate
from app.vocabulary import Action, DataCategory, MeetingStatus
from app.workflows.engine import get_engine

MAX_PLAN_ACTIONS = 200  # PlanPut's limit


async def decide(session: AsyncSession, principal: Principal, meeting_id: uuid.UUID, item_id: uuid.UUID,
                 body: DecisionCreate) -> tuple[Meeting, MeetingDecision, frozenset[DataCategory]]:
    """The meeting, the decision, and the categories the caller may read on the case (for the answer)."""
    meeting, _ = await load_meeting(session, principal, meeting_id, Action.meeting_decide, lock=True)
    item = await session.scalar(select(AgendaItem).where(AgendaItem.id == item_id,
                                                         AgendaItem.meeting_id == meeting.id))
    if item is None:
        access.deny(session, principal, Action.meeting_decide, object_type=OBJECT_TYPE, object_id=meeting.id,
                    reason="agenda item not found")
        raise NotFound("Agenda item not found")
    if body.corrects is None:
        refuse_if_adopted(meeting, "a new decision")
    # The case decides too: the caller's organisation must take part in it, and may write only what it may read.
    loaded = await load_case(session, principal, item.case_id, Action.meeting_decide)
    case = loaded.case
    access.require_category(session, principal, Action.meeting_decide, loaded.access, body.data_category,
                            case_id=case.id, object_type=OBJECT_TYPE, subject_ids=loaded.subject_ids)
    errors = await _problems(session, meeting, item, body, {p.organisation for p in case.participants})
    if errors:
        raise ValidationFailed("The decision cannot be recorded as given", errors=errors)

    tdef = get_engine().transition(case.case_type, case.state, body.trigger) if body.trigger else None
    now = clock.now()
    record = MeetingDecision(
        id=uuid.uuid4(), meeting_id=meeting.id, agenda_item_id=item.id, case_id=case.id, text=body.text,
        data_category=body.data_category, attendees=list(dict.fromkeys(body.attendees)), trigger=body.trigger,
        trigger_category=tdef.data_category if tdef is not None else None, corrects_id=body.corrects,
        created_at=now, created_by=principal.sub, created_by_organisation=principal.org)
    session.add(record)
    await session.flush()  # before the transition that names it is written

    if_match = body.case_version
    if body.actions:
        latest = await transitions.latest_plan(session, case.id)
        kept = [PlanActionIn.model_construct(description=a.description, organisation=a.organisation,
                                             due_date=a.due_date, status=a.status)
                for a in (latest.actions if latest is not None else [])]
        # Validated already (the request body, and the plan's own rows): constructed, not validated again.
        _, plan = await plans.put(session, principal, case.id, PlanPut.model_construct(
            summary=latest.summary if latest is not None else None, actions=[*kept, *body.actions]), if_match)
        record.plan_version = plan.version
        if_match = None
    if body.trigger is not None:
        reason = body.reason or f"Besluit {meeting.meeting_type} van {meeting.scheduled_at.date().isoformat()}"
        fired = await transitions.fire(session, principal, case.id, TransitionRequest(
            trigger=body.trigger, reason=reason, data=body.data), if_match, decision_id=record.id)
        record.case_version = fired.case.version
    elif if_match is not None:
        # No step and no plan: the version the caller decided on is still checked.
        await _check_case_version(session, principal, case.id, if_match)

    if meeting.status == MeetingStatus.gepland:
        # Recording a decision says the meeting took place.
        meeting.status = MeetingStatus.gehouden
        meeting.held_at = now
    meeting.version += 1
    meeting.updated_at = now
    await session.flush()
    loaded.record(session, principal, Action.meeting_decide, object_type=OBJECT_TYPE, object_id=meeting.id,
                  detail={"decision_id": str(record.id), "agenda_item_id": str(item.id),
                          "data_category": record.data_category, "trigger": record.trigger,
                          "corrects": str(record.corrects_id) if record.corrects_id else None,
                          "plan_version": record.plan_version, "version": meeting.version})
    return meeting, record, loaded.access.categories


async def _check_case_version(session: AsyncSession, principal: Principal, case_id: uuid.UUID,
                              if_match: int) -> None:
    loaded = await load_case(session, principal, case_id, Action.meeting_decide, lock=True)
    check_version(loaded.case, if_match)


async def _problems(session: AsyncSession, meeting: Meeting, item: AgendaItem, body: DecisionCreate,
                    participants: set[str]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    present = {meeting.chair_organisation, meeting.organiser_organisation, *(i.organisation for i in meeting.invitees)}
    errors += [{"loc": ["body", "attendees", i], "msg": "not the chair, organiser or an invited organisation"}
               for i, org in enumerate(body.attendees) if org not in present]
    if body.trigger is None:
        if body.data:
            errors.append({"loc": ["body", "data"], "msg": "data goes with a trigger"})
        if body.reason is not None:
            errors.append({"loc": ["body", "reason"], "msg": "a reason goes with a trigger"})
    errors += [{"loc": ["body", "actions", i, "organisation"], "msg": "owner must take part in the case"}
               for i, a in enumerate(body.actions) if a.organisation not in participants]
    if body.actions:
        latest = await transitions.latest_plan(session, item.case_id)
        if (len(latest.actions) if latest is not None else 0) + len(body.actions) > MAX_PLAN_ACTIONS:
            errors.append({"loc": ["body", "actions"], "msg": f"the plan would exceed {MAX_PLAN_ACTIONS} actions"})
    if body.corrects is not None:
        corrected = await session.scalar(select(MeetingDecision.id).where(
            MeetingDecision.id == body.corrects, MeetingDecision.agenda_item_id == item.id))
        if corrected is None:
            errors.append({"loc": ["body", "corrects"], "msg": "no decision of this agenda item"})
    return errors
