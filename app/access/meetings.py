"""Meeting access: who sees a meeting, who manages it, and which of its agenda items and decision texts a
caller's organisation may read.

- Seeing a meeting: a role with `meeting:read` AND the caller's organisation chairs, organised or is invited to
  it (`VISIBLE_MEETINGS`, one SQL predicate for the list and the single meeting). Any other meeting does not
  exist for it: 404, audited as a denied attempt.
- Managing it (`meeting:update`, `meeting:decide`): the role AND the organisation chairs or organised it; an
  invited organisation's procesregisseur sees the meeting but may not change it (403).
- Its agenda items: only those of cases the organisation may read, by the case rule itself (`READABLE_CASES`
  joined into the item query), so a partner never learns which other cases were discussed.
- A decision's text: only with its data category among the organisation's grants for the case type, as a note;
  the fired trigger's name likewise with the transition's category, as the case's history withholds it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any, TypeVarTuple

from sqlalchemy import Select, String, bindparam, exists, false, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import readable_cases
from app.access.decisions import Decision, deny, granting_role
from app.auth.principal import Principal
from app.convenants.grants import categories_of, grants_for
from app.kit import clock
from app.kit.errors import NotAllowed, NotFound
from app.meetings.models import Meeting, MeetingInvitee
from app.vocabulary import Action, CaseType, DataCategory

OBJECT_TYPE = "meeting"

_Ts = TypeVarTuple("_Ts")

_ORG = bindparam("meeting_org", type_=String())
VISIBLE_MEETINGS = or_(
    Meeting.chair_organisation == _ORG,
    Meeting.organiser_organisation == _ORG,
    exists().where(MeetingInvitee.meeting_id == Meeting.id, MeetingInvitee.organisation == _ORG),
)


def meeting_params(principal: Principal) -> dict[str, Any]:
    return {"meeting_org": principal.org}


def visible_meetings(principal: Principal, stmt: Select[*_Ts]) -> Select[*_Ts]:
    """Limit `stmt` (selecting from Meeting) to the meetings the caller's organisation takes part in."""
    return stmt.where(VISIBLE_MEETINGS).params(meeting_params(principal))


def manages(principal: Principal, meeting: Meeting) -> bool:
    return principal.org in (meeting.chair_organisation, meeting.organiser_organisation)


def require_meeting_role(session: AsyncSession, principal: Principal, action: Action,
                         meeting_id: uuid.UUID | None = None) -> Decision:
    """The role decision before any meeting is looked at: `meeting:create` for creating; for anything else a
    role that may read meetings at all (one without gets 403 for every meeting: it may know that meetings exist,
    not which; whether it may change this one is decided on the meeting, `require_meeting`)."""
    needed = action if action == Action.meeting_create else Action.meeting_read
    role = granting_role(principal, needed)
    if role is None:
        deny(session, principal, action, object_type=OBJECT_TYPE, object_id=meeting_id, reason="role")
        raise NotAllowed(f"None of your roles may perform {action}")
    return Decision(action=action, role=role)


def require_meeting(session: AsyncSession, principal: Principal, action: Action, meeting: Meeting | None,
                    meeting_id: uuid.UUID) -> Decision:
    """Decide on one meeting, loaded through `visible_meetings` (None: not visible, or no such meeting): 403
    without a meeting role, 404 when the organisation takes no part, 403 for a change by another than the chair's
    or organiser's procesregisseur. Every refusal audited."""
    reading = require_meeting_role(session, principal, action, meeting_id)
    if meeting is None:
        deny(session, principal, action, object_type=OBJECT_TYPE, object_id=meeting_id,
             reason="not found or not invited")
        raise NotFound("Meeting not found")
    if action == Action.meeting_read:
        return reading
    role = granting_role(principal, action)
    if role is None:
        deny(session, principal, action, object_type=OBJECT_TYPE, object_id=meeting_id, reason="role")
        raise NotAllowed(f"None of your roles may perform {action}")
    if not manages(principal, meeting):
        deny(session, principal, action, object_type=OBJECT_TYPE, object_id=meeting_id,
             reason="only the chair or organiser manages the meeting")
        raise NotAllowed("Only the chair's or the organiser's procesregisseur manages this meeting")
    return Decision(action=action, role=role)


def readable_agenda(principal: Principal, stmt: Select[*_Ts], today: date | None = None) -> Select[*_Ts]:
    """Limit `stmt` (agenda items joined to their Case) to the cases the caller may read: the case rule itself,
    and a role that may read cases."""
    if granting_role(principal, Action.case_read) is None:
        return stmt.where(false())
    return readable_cases(principal, stmt, today)


async def visible_categories(session: AsyncSession, principal: Principal,
                             case_types: Iterable[CaseType]) -> dict[CaseType, frozenset[DataCategory]]:
    """Per case type, the data categories the caller's organisation may read (its covering grants): the items
    are already limited to cases it takes part in."""
    today = clock.today()
    return {t: categories_of(await grants_for(session, principal.org, t, today)) for t in set(case_types)}
