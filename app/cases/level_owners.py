"""Regie where the domain puts it, and the next rung brought in (issue 14 item 2, issue 16 item 1; DOMAIN.md
"Regie and level owners").

Each state of a ladder names its level owner as an organisation kind (`StateDef.owner`). When a case is opened
in, or enters, a state with a fixed owner kind K and its regie organisation is not of kind K:
- exactly one organisation of kind K takes part in the case or is party to an active convenant covering the
  case type today: it becomes a participant if it is not one (audited `participant:create` by `systeem`, event
  `case.participant_added`) and the regie organisation (audited `case:update` by `systeem`, with the trigger
  and the state); the previous regie holder stays a participant;
- none, and the transition escalates into a state whose owner is required (AVE `bestuurlijk_niveau`: no one
  else holds doorzettingsmacht): the transition is refused (422) naming the missing party, before anything is
  written;
- none otherwise, or several: regie stays where it was and the case shows `regie_gap: true`
  (app/cases/views.py) until the procesregisseur names one (PATCH `regie_organisation`).
A case opened with an explicit `regie_organisation` keeps it: the procesregisseur named it.

Called by opening (app/cases/service.py), the transition service and the deadline worker, with the case locked
and its participants loaded. The candidates come from the grant cache (per convenant epoch) and the organisation
kinds from the per-process kind cache, so a warm request sends no statement for this.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import record as audit
from app.auth.principal import SYSTEM, Principal
from app.cases.models import Case, CaseParticipant, CaseTransition
from app.convenants.grants import cache_for, party_kinds
from app.events import publish
from app.kit.errors import ValidationFailed
from app.organisations import lookup as organisations
from app.vocabulary import Action, ParticipantBasis
from app.workflows.engine import get_engine
from app.workflows.model import Ladder


def set_regie(case: Case, organisation: str, principal: Principal, now: datetime) -> None:
    """The regie organisation participates by construction; the previous one stays as a plain participant."""
    for p in case.participants:
        if p.basis == ParticipantBasis.regie:
            p.basis = ParticipantBasis.deelnemer
    existing = next((p for p in case.participants if p.organisation == organisation), None)
    if existing is None:
        case.participants.append(CaseParticipant.joining(case, organisation, ParticipantBasis.regie, at=now,
                                                         by=principal.sub))
    elif existing.basis != ParticipantBasis.opener:
        existing.basis = ParticipantBasis.regie
    case.regie_organisation = organisation


async def owner_candidates(session: AsyncSession, case: Case, kind: str, now: datetime,
                           epoch: str | None) -> set[str]:
    """Organisations of `kind` that take part in the case or are party to a covering convenant today."""
    day = now.date()
    parties = (await cache_for(session).party_kinds(session, epoch, case.case_type, day) if epoch is not None
               else await party_kinds(session, case.case_type, day))
    found = {org for org, k in parties.items() if k == kind}
    for p in case.participants:
        if p.organisation not in parties and await organisations.kind_of(session, p.organisation) == kind:
            found.add(p.organisation)
    return found


async def regie_gap(session: AsyncSession, case: Case) -> bool:
    """The state has a fixed level owner and the regie organisation is not of its kind."""
    kind = get_engine().ladder(case.case_type).state(case.state).owner
    if kind is None:
        return False
    return case.regie_organisation is None or await organisations.kind_of(session, case.regie_organisation) != kind


def _hand_over(session: AsyncSession, case: Case, organisation: str, detail: dict[str, Any],
               subject_ids: Iterable[uuid.UUID], now: datetime) -> None:
    """Regie to `organisation` by `systeem`, audited as a case update naming the previous holder."""
    previous = case.regie_organisation
    set_regie(case, organisation, SYSTEM, now)
    audit.record(session, SYSTEM, Action.case_update, object_type="case", object_id=case.id, case_id=case.id,
                 subject_ids=list(subject_ids),
                 detail=detail | {"fields": ["regie_organisation"], "regie_organisation": organisation,
                                  "previous": previous})


async def _back_to_named(
    session: AsyncSession, case: Case, key: str, dest: str, trigger: str, subject_ids: Iterable[uuid.UUID],
    now: datetime,
) -> str | None:
    """A state owned by the organisation a transition's data named (AVE `casusniveau`/`monitoring`: the
    `regie_organisation` of `oppakken`): regie returns to it when the case comes back down."""
    triggers = [t.trigger for t in get_engine().ladder(case.case_type).transitions if t.sets_regie_from == key]
    data = await session.scalar(
        select(CaseTransition.data).where(CaseTransition.case_id == case.id, CaseTransition.trigger.in_(triggers))
        .order_by(CaseTransition.version.desc()).limit(1))
    named = (data or {}).get(key)
    if not isinstance(named, str) or named == case.regie_organisation:
        return None  # not named yet: the naming transition itself hands regie (app/cases/service.py hand_regie)
    _hand_over(session, case, named, {"via": "niveau", "trigger": trigger, "state": dest}, subject_ids, now)
    return named


def _owner_required(ladder: Ladder, source: str | None, dest: str) -> str | None:
    """The owner kind without which entering `dest` from `source` is refused: escalating into a state whose owner
    is required (AVE `bestuurlijk_niveau`); None where a missing owner only leaves a regie gap."""
    state = ladder.state(dest)
    if state.owner is None or not state.owner_required or source is None or not ladder.escalates(source, dest):
        return None
    return state.owner


async def missing_owner(session: AsyncSession, case: Case, source: str, dest: str, now: datetime, *,
                        epoch: str | None = None) -> str | None:
    """The owner kind whose absence `enter` would refuse moving the case from `source` to `dest` for, without
    changing anything (readiness of a trigger, app/cases/transitions.py); None when it would not refuse."""
    kind = _owner_required(get_engine().ladder(case.case_type), source, dest)
    if kind is None:
        return None
    if case.regie_organisation is not None and await organisations.kind_of(session, case.regie_organisation) == kind:
        return None
    return None if await owner_candidates(session, case, kind, now, epoch) else kind


async def enter(
    session: AsyncSession, case: Case, source: str | None, dest: str, trigger: str,
    subject_ids: Iterable[uuid.UUID], now: datetime, *, epoch: str | None = None,
) -> str | None:
    """Apply the level owner of `dest` (see the module); the organisation given regie, if any. `source` None: the
    case is being opened. Raises ValidationFailed, having written nothing, when the owner is required and no
    convenant party of its kind exists."""
    ladder = get_engine().ladder(case.case_type)
    state = ladder.state(dest)
    kind = state.owner
    if kind is None:
        if state.owner_named_by is None or source is None:
            return None
        return await _back_to_named(session, case, state.owner_named_by, dest, trigger, subject_ids, now)
    if case.regie_organisation is not None and await organisations.kind_of(session, case.regie_organisation) == kind:
        return None
    found = await owner_candidates(session, case, kind, now, epoch)
    if not found:
        if _owner_required(ladder, source, dest) is not None:
            raise ValidationFailed(
                f"Escalation to {dest} needs a {kind} party to an active convenant covering {case.case_type}",
                errors=[{"loc": ["body", "trigger"],
                         "msg": f"no {kind} is party to an active convenant covering {case.case_type}"}],
            )
        return None
    if len(found) > 1:
        # Unambiguous after all when exactly one of them takes part in the case already (invited earlier, or it
        # held regie on an earlier rung): it needs no one brought in. Otherwise the procesregisseur names one;
        # bringing in all would over-share.
        taking_part = found & {p.organisation for p in case.participants}
        if len(taking_part) != 1:
            return None
        found = taking_part
    (organisation,) = found
    subject_ids = list(subject_ids)
    detail = {"via": "niveau", "trigger": trigger, "state": dest}
    if all(p.organisation != organisation for p in case.participants):
        audit.record(session, SYSTEM, Action.participant_create, object_type="participant", object_id=organisation,
                     case_id=case.id, subject_ids=subject_ids, detail=detail)
        publish.participant_added(session, case, organisation)
    _hand_over(session, case, organisation, detail, subject_ids, now)
    return organisation
