"""Loading a meeting for an operation: through the visibility filter, locked when it will change, decided on."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.access import Decision
from app.audit import record as audit
from app.auth.principal import Principal
from app.kit import preconditions
from app.kit.errors import Conflict
from app.meetings.models import Meeting
from app.vocabulary import Action, AuditOutcome, MeetingStatus

OBJECT_TYPE = "meeting"


async def load_meeting(
    session: AsyncSession, principal: Principal, meeting_id: uuid.UUID, action: Action, *, lock: bool = False,
) -> tuple[Meeting, Decision]:
    """The meeting and the caller's decision on it (404 when its organisation takes no part, 403 when it may
    see but not do this; both audited). `lock`: a change; a later refusal (409, 412, 422) is a denied attempt."""
    stmt = access.visible_meetings(principal, select(Meeting).where(Meeting.id == meeting_id))
    if lock:
        stmt = stmt.with_for_update(of=Meeting)
    meeting = await session.scalar(stmt.execution_options(populate_existing=True))
    decision = access.require_meeting(session, principal, action, meeting, meeting_id)
    assert meeting is not None  # require_meeting refuses a missing one
    if lock:
        audit.on_refusal(session, lambda exc: audit.record(
            session, principal, action, object_type=OBJECT_TYPE, object_id=meeting_id, role=decision.role,
            outcome=AuditOutcome.denied, detail=audit.refusal_detail(exc)))
    return meeting, decision


def parse_if_match(header: str | None) -> int | None:
    return preconditions.parse_if_match(header, "meeting")


def check_version(meeting: Meeting, if_match: int | None) -> None:
    preconditions.check_version(meeting.version, if_match, "meeting")


def refuse_if_adopted(meeting: Meeting, what: str) -> None:
    """A vastgesteld meeting is the adopted record: it does not change (corrections are new decisions)."""
    if meeting.status == MeetingStatus.vastgesteld:
        raise Conflict(f"The besluitenlijst of this meeting is vastgesteld: {what} is no longer possible; record "
                       "a correcting decision (`corrects`) instead")
