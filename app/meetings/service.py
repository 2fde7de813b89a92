"""Meetings: plan one, list and read them, change or adopt one, put cases on its agenda.

Access is app/access/meetings.py; every operation is audited, allowed and denied. Reads that show agenda items
reveal cases: their entries carry the subject ids of those cases (and the case ids in the detail). Decisions are
app/meetings/decisions.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.cases.loading import load_case
from app.kit import clock
from app.kit.errors import Conflict, NotFound, ValidationFailed
from app.kit.paging import Window, window
from app.meetings import views
from app.meetings.loading import OBJECT_TYPE, check_version, load_meeting, refuse_if_adopted
from app.meetings.models import AgendaItem, Meeting, MeetingInvitee
from app.meetings.schemas import AgendaItemCreate, MeetingCreate, MeetingPatch
from app.organisations import lookup as organisations
from app.vocabulary import Action, AuditAction, CaseType, MeetingStatus, MeetingType

# One step forward at a time; vastgesteld is final.
NEXT_STATUS = {MeetingStatus.gepland: MeetingStatus.gehouden, MeetingStatus.gehouden: MeetingStatus.vastgesteld}


async def _unknown_organisations(session: AsyncSession, chair: str | None,
                                 invited: list[str] | None) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if chair is not None and await organisations.kind_of(session, chair) is None:
        errors.append({"loc": ["body", "chair_organisation"], "msg": "no such organisation"})
    for i, code in enumerate(invited or []):
        if await organisations.kind_of(session, code) is None:
            errors.append({"loc": ["body", "invited_organisations", i], "msg": "no such organisation"})
    return errors


def _invitees(invited: list[str], *, chair: str, organiser: str) -> list[MeetingInvitee]:
    # The chair and the organiser take part by construction; the list holds the others, once each.
    return [MeetingInvitee(organisation=o) for o in sorted(set(invited) - {chair, organiser})]


async def create(session: AsyncSession, principal: Principal, body: MeetingCreate) -> Meeting:
    decision = access.require_meeting_role(session, principal, Action.meeting_create)
    errors = await _unknown_organisations(session, body.chair_organisation, body.invited_organisations)
    if errors:
        raise ValidationFailed("The meeting names unknown organisations", errors=errors)
    chair = body.chair_organisation or principal.org
    now = clock.now()
    meeting = Meeting(
        id=uuid.uuid4(), meeting_type=body.meeting_type, title=body.title, scheduled_at=body.scheduled_at,
        chair_organisation=chair, organiser_organisation=principal.org, status=MeetingStatus.gepland, version=1,
        created_at=now, created_by=principal.sub, updated_at=now,
        invitees=_invitees(body.invited_organisations, chair=chair, organiser=principal.org))
    session.add(meeting)
    await session.flush()
    audit.record(session, principal, Action.meeting_create, object_type=OBJECT_TYPE, object_id=meeting.id,
                 role=decision.role, detail={"meeting_type": meeting.meeting_type, "chair": chair,
                                             "invited": [i.organisation for i in meeting.invitees]})
    return meeting


async def list_page(
    session: AsyncSession, principal: Principal, *, meeting_type: MeetingType | None, status: MeetingStatus | None,
    limit: int, after: tuple[datetime, uuid.UUID] | None,
) -> Window[Meeting]:
    """The meetings the caller's organisation takes part in (no agenda: that is read one meeting at a time)."""
    decision = access.require_meeting_role(session, principal, Action.meeting_read)
    stmt = access.visible_meetings(principal, select(Meeting))
    if meeting_type is not None:
        stmt = stmt.where(Meeting.meeting_type == meeting_type)
    if status is not None:
        stmt = stmt.where(Meeting.status == status)
    if after is not None:
        stmt = stmt.where(tuple_(Meeting.created_at, Meeting.id) > tuple_(*after))
    stmt = stmt.order_by(Meeting.created_at, Meeting.id).limit(limit + 1)
    page = window(list((await session.execute(stmt)).scalars()), limit)
    audit.record(session, principal, AuditAction.meeting_list, object_type=OBJECT_TYPE, role=decision.role,
                 detail={"meeting_ids": [str(m.id) for m in page.items]})
    return page


async def _shown(session: AsyncSession, principal: Principal, meeting: Meeting, action: Any, role: str,
                 detail: dict[str, Any] | None = None) -> views.Agenda:
    """The agenda as the caller may see it, audited under `action` with the subjects of the cases it shows."""
    shown = await views.agenda(session, principal, meeting)
    audit.record(session, principal, action, object_type=OBJECT_TYPE, object_id=meeting.id, role=role,
                 subject_ids=shown.subject_ids, detail=(detail or {}) | shown.audit_detail())
    return shown


async def get(session: AsyncSession, principal: Principal, meeting_id: uuid.UUID) -> tuple[Meeting, views.Agenda]:
    meeting, decision = await load_meeting(session, principal, meeting_id, Action.meeting_read)
    return meeting, await _shown(session, principal, meeting, Action.meeting_read, decision.role)


async def besluitenlijst(session: AsyncSession, principal: Principal,
                         meeting_id: uuid.UUID) -> tuple[Meeting, views.Agenda]:
    meeting, decision = await load_meeting(session, principal, meeting_id, Action.meeting_read)
    return meeting, await _shown(session, principal, meeting, AuditAction.meeting_besluitenlijst, decision.role)


async def patch(session: AsyncSession, principal: Principal, meeting_id: uuid.UUID, body: MeetingPatch,
                if_match: int | None) -> tuple[Meeting, views.Agenda]:
    meeting, decision = await load_meeting(session, principal, meeting_id, Action.meeting_update, lock=True)
    refuse_if_adopted(meeting, "changing it")
    check_version(meeting, if_match)
    errors = await _unknown_organisations(session, body.chair_organisation, body.invited_organisations)
    if errors:
        raise ValidationFailed("The meeting names unknown organisations", errors=errors)
    now = clock.now()
    changed = sorted(body.model_fields_set)
    if body.status is not None and body.status != meeting.status:
        if NEXT_STATUS.get(meeting.status) != body.status:
            allowed = NEXT_STATUS.get(meeting.status)
            raise Conflict(f"A meeting that is {meeting.status} cannot become {body.status}",
                           allowed=[allowed] if allowed else [])
        meeting.status = body.status
        if body.status == MeetingStatus.gehouden:
            meeting.held_at = now
        else:
            meeting.adopted_at = now
    if body.title is not None:
        meeting.title = body.title
    if body.scheduled_at is not None:
        meeting.scheduled_at = body.scheduled_at
    if body.chair_organisation is not None:
        meeting.chair_organisation = body.chair_organisation
    if body.invited_organisations is not None or body.chair_organisation is not None:
        invited = body.invited_organisations if body.invited_organisations is not None else [
            i.organisation for i in meeting.invitees]
        meeting.invitees = _invitees(invited, chair=meeting.chair_organisation,
                                     organiser=meeting.organiser_organisation)
    meeting.version += 1
    meeting.updated_at = now
    await session.flush()
    shown = await _shown(session, principal, meeting, Action.meeting_update, decision.role,
                         {"fields": changed, "status": meeting.status, "version": meeting.version})
    return meeting, shown


async def add_item(session: AsyncSession, principal: Principal, meeting_id: uuid.UUID,
                   body: AgendaItemCreate) -> tuple[Meeting, AgendaItem, str, CaseType]:
    """Put a case on the agenda: the caller must be able to read the case (else 422 naming `case_id`, the
    denied attempt audited, nothing said about whether the case exists)."""
    meeting, _ = await load_meeting(session, principal, meeting_id, Action.meeting_update, lock=True)
    refuse_if_adopted(meeting, "changing the agenda")
    try:
        loaded = await load_case(session, principal, body.case_id, Action.meeting_update)
    except NotFound:
        raise ValidationFailed("No such case, or not one you may read", errors=[
            {"loc": ["body", "case_id"], "msg": "no such case, or not one you may read"}]) from None
    taken = await session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id,
                                                             AgendaItem.case_id == body.case_id))
    if taken is not None:
        raise Conflict("This case is on the meeting's agenda already", agenda_item_id=str(taken))
    position = body.position
    if position is None:
        last = await session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id))
        position = (last or 0) + 1
    now = clock.now()
    item = AgendaItem(id=uuid.uuid4(), meeting_id=meeting.id, case_id=body.case_id, position=position,
                      question=body.question, created_at=now, created_by=principal.sub)
    session.add(item)
    meeting.version += 1
    meeting.updated_at = now
    await session.flush()
    loaded.record(session, principal, Action.meeting_update, object_type=OBJECT_TYPE, object_id=meeting.id,
                  detail={"operation": "agenda", "agenda_item_id": str(item.id), "version": meeting.version})
    return meeting, item, loaded.case.reference, loaded.case.case_type
