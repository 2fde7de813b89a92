"""The next rung comes in (issue 14 item 2; DOMAIN.md "Regie and level owners").

Each state of a ladder names its level owner as an organisation kind (`StateDef.owner`). When a transition
escalates a case (`Ladder.escalates`: to a higher tier) into a state with a fixed owner kind K, and no
participant of the case is of kind K:
- exactly one organisation of kind K is party to an active convenant covering the case type today: it becomes
  a participant (basis `deelnemer`), audited as `participant:create` by `systeem`;
- none, and the state's owner is required (AVE `bestuurlijk_niveau`: no one else holds doorzettingsmacht): the
  transition is refused (422) naming the missing party; the caller raises before it writes anything;
- none otherwise, or several: nothing happens here. Choosing among several, handing regie and marking a regie
  gap are a later issue's (the procesregisseur names one; until then regie stays where it was).

Called by the transition service (a partner escalates) and by the deadline worker (`systeem` escalates), with
the case locked and its participants loaded. Only such an escalation costs a query: the owner candidates and the
participants of kind K, in one statement; every other transition costs nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Date, String, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import record as audit
from app.auth.principal import SYSTEM
from app.cases.models import Case, CaseParticipant
from app.convenants.grants import coverage
from app.convenants.models import ConvenantCaseType, ConvenantParty
from app.events import publish
from app.kit.errors import ValidationFailed
from app.organisations.models import Organisation
from app.vocabulary import Action, ParticipantBasis
from app.workflows.engine import get_engine

# Organisations of one kind that take part in the case or are party to an active convenant covering its type
# today: built once, with bind parameters (the participants as an expanding list).
_PARTIES = (coverage(ConvenantParty.organisation, day=bindparam("today", type_=Date()))
            .where(ConvenantCaseType.case_type == bindparam("case_type", type_=String())))
_OF_KIND = select(Organisation.code).where(
    Organisation.kind == bindparam("kind"),  # typed as the column: an unknown kind fails loudly
    or_(Organisation.code.in_(bindparam("participants", expanding=True)), Organisation.code.in_(_PARTIES)),
)


async def bring_in(
    session: AsyncSession, case: Case, source: str, dest: str, trigger: str, subject_ids: Iterable[uuid.UUID],
    now: datetime,
) -> str | None:
    """Make the level owner of `dest` a participant when `trigger` escalates the case into it (see the module);
    return the organisation brought in, if any. Raises ValidationFailed, having written nothing, when the owner
    is required and no convenant party of its kind exists."""
    ladder = get_engine().ladder(case.case_type)
    state = ladder.state(dest)
    kind = state.owner
    if kind is None or not ladder.escalates(source, dest):
        return None
    taking_part = {p.organisation for p in case.participants}
    params = {"kind": kind, "participants": sorted(taking_part), "today": now.date(), "case_type": str(case.case_type)}
    found = set((await session.scalars(_OF_KIND, params)).all())
    if found & taking_part:  # the owner takes part already
        return None
    # None of them takes part, so each one found is a convenant party: the candidates.
    if not found:
        if state.owner_required:
            raise ValidationFailed(
                f"Escalation to {dest} needs a {kind} party to an active convenant covering {case.case_type}",
                errors=[{"loc": ["body", "trigger"],
                         "msg": f"no {kind} is party to an active convenant covering {case.case_type}"}],
            )
        return None
    if len(found) > 1:  # the procesregisseur chooses (a later issue); bringing in all would over-share
        return None
    (organisation,) = found
    case.participants.append(CaseParticipant(organisation=organisation, basis=ParticipantBasis.deelnemer,
                                             added_at=now, added_by=SYSTEM.sub))
    audit.record(session, SYSTEM, Action.participant_create, object_type="participant", object_id=organisation,
                 case_id=case.id, subject_ids=subject_ids,
                 detail={"via": "niveau", "trigger": trigger, "state": dest})
    publish.participant_added(session, case, organisation)
    return organisation
