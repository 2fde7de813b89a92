"""Who takes part in a case. Only a party to an active convenant covering the case type may be invited."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.loading import LoadedCase, check_version, load_case
from app.cases.models import CaseParticipant
from app.convenants.grants import parties_for
from app.events import publish
from app.kit import clock
from app.kit.errors import Conflict, NotFound, ValidationFailed
from app.organisations import lookup as organisations
from app.vocabulary import Action, AuditAction, ParticipantBasis


async def add(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, organisation: str, if_match: int | None
) -> tuple[LoadedCase, CaseParticipant]:
    loaded = await load_case(session, principal, case_id, Action.participant_create, lock=True)
    case = loaded.case
    check_version(case, if_match)
    if await organisations.by_code(session, organisation) is None:
        raise ValidationFailed("Unknown organisation", errors=[{"loc": ["body", "organisation"],
                                                                 "msg": "no such organisation"}])
    if organisation not in await parties_for(session, case.case_type, clock.today()):
        raise ValidationFailed(
            "Only a party to an active convenant covering this case type can take part",
            errors=[{"loc": ["body", "organisation"],
                     "msg": f"not party to an active convenant covering {case.case_type}"}],
        )
    if any(p.organisation == organisation for p in case.participants):
        raise Conflict(f"{organisation} already takes part in this case")
    now = clock.now()
    participant = CaseParticipant.joining(case, organisation, ParticipantBasis.deelnemer, at=now, by=principal.sub)
    case.participants.append(participant)
    loaded.changed(now)
    await session.flush()
    publish.participant_added(session, case, organisation)
    loaded.record(session, principal, Action.participant_create, object_type="participant", object_id=organisation)
    return loaded, participant


async def listing(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[CaseParticipant]:
    loaded = await load_case(session, principal, case_id, Action.participant_read)
    loaded.record(session, principal, AuditAction.participant_list, object_type="participant")
    return list(loaded.case.participants)


async def remove(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, organisation: str, if_match: int | None
) -> LoadedCase:
    """Removing revokes that organisation's access on its next request (access reads participation live)."""
    loaded = await load_case(session, principal, case_id, Action.participant_delete, lock=True)
    case = loaded.case
    check_version(case, if_match)
    participant = next((p for p in case.participants if p.organisation == organisation), None)
    if participant is None:
        raise NotFound(f"{organisation} does not take part in this case")
    if participant.basis in ("opener", "regie"):
        raise Conflict(f"{organisation} takes part by construction ({participant.basis}); change the regie first")
    case.participants.remove(participant)
    loaded.changed(clock.now())
    await session.flush()
    publish.participant_removed(session, case, organisation)
    loaded.record(session, principal, Action.participant_delete, object_type="participant", object_id=organisation)
    return loaded
