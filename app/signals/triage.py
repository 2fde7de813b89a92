"""Triage (procesregisseur): a signal becomes a new case, joins an existing one, or is rejected. Once.

Whichever case the signal lands in, its sending organisation takes part when it is party to an active
convenant covering that case's type (zicht op elkaar); otherwise it stays outside, as any partner would.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.cases import members
from app.cases import service as cases
from app.cases.loading import LoadedCase, load_case
from app.cases.models import Case, CaseParticipant
from app.convenants.grants import parties_for
from app.events import publish
from app.kit import clock
from app.kit.errors import Conflict, ValidationFailed
from app.signals import matching, views
from app.signals.schemas import Afwijzen, Koppelen, NieuweCasus, SignalOut
from app.signals.service import OBJECT_TYPE, load_visible
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.vocabulary import Action, ParticipantBasis, SignalStatus
from app.workflows.engine import get_engine
from app.workflows.model import FINAL_STATE


async def _sender_joins(session: AsyncSession, principal: Principal, case: Case, organisation: str) -> bool:
    if not get_engine().ladder(case.case_type).melder_joins:
        return False
    if any(p.organisation == organisation for p in case.participants):
        return False
    if organisation not in await parties_for(session, case.case_type, clock.today()):
        return False
    case.participants.append(CaseParticipant.joining(case, organisation, ParticipantBasis.deelnemer, at=clock.now(),
                                                     by=principal.sub))
    return True


async def _new_case(
    session: AsyncSession, principal: Principal, body: NieuweCasus, rows: list[Subject]
) -> LoadedCase:
    ladder = get_engine().ladder(body.case_type.value)
    if rows[0].type != ladder.subject_type:
        raise ValidationFailed(
            "The signal's subject does not fit this case type",
            errors=[{"loc": ["body", "case_type"],
                     "msg": f"the signal is about a {rows[0].type}; {ladder.case_type} cases are about a "
                            f"{ladder.subject_type}"}],
        )
    return await cases.open_case(session, principal, case_type=body.case_type, title=body.title or ladder.label,
                                 subject_rows=rows)


async def _existing_case(
    session: AsyncSession, principal: Principal, body: Koppelen, rows: list[Subject]
) -> LoadedCase:
    # 404 for a case the caller may not see, exactly as reading it would.
    loaded = await load_case(session, principal, body.case_id, Action.case_update, lock=True)
    if loaded.case.state == FINAL_STATE:
        raise Conflict("The case is closed; reopen it (heropenen) before linking signals to it")
    await members.merge_signal_subjects(session, loaded, rows)
    return loaded


async def triage(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, body: NieuweCasus | Koppelen | Afwijzen
) -> SignalOut:
    decision = access.require_role(session, principal, Action.signal_triage, object_type=OBJECT_TYPE,
                                   object_id=signal_id)
    signal = await load_visible(session, principal, signal_id, Action.signal_triage, lock=True)
    if signal.status != SignalStatus.ontvangen:
        raise Conflict(f"This signal was triaged already (status {signal.status})")
    rows = await views.subject_rows(session, signal.subject_id)
    loaded: LoadedCase | None = None
    if isinstance(body, NieuweCasus):
        loaded = await _new_case(session, principal, body, rows)
    elif isinstance(body, Koppelen):
        loaded = await _existing_case(session, principal, body, rows)
    now = clock.now()
    joined = False
    if loaded is not None:
        joined = await _sender_joins(session, principal, loaded.case, signal.source_organisation)
        if isinstance(body, Koppelen):
            loaded.changed(now)
    signal.status = SignalStatus.afgewezen if isinstance(body, Afwijzen) else SignalStatus.gekoppeld
    signal.case_id = loaded.case.id if loaded else None
    signal.triage_decision = body.decision
    signal.triage_reason = body.reason
    signal.triage_reason_code = body.reason_code if isinstance(body, Afwijzen) else None
    signal.triaged_by = principal.sub
    signal.triaged_by_organisation = principal.org
    signal.triaged_at = now
    await session.flush()

    subject_ids = [s.id for s in rows] + list(loaded.subject_ids if loaded else ())
    basis = loaded.decision.basis if loaded else None
    audit.record(session, principal, Action.signal_triage, object_type=OBJECT_TYPE, object_id=signal.id,
                 role=decision.role, case_id=signal.case_id, subject_ids=subject_ids, legal_basis=basis,
                 detail={"decision": body.decision,
                         "reason_code": body.reason_code if isinstance(body, Afwijzen) else None,
                         "participants_added": [signal.source_organisation] if joined else []})
    publish.signal_triaged(session, signal.id, decision=str(body.decision), status=str(signal.status))
    if joined and loaded is not None:
        publish.participant_added(session, loaded.case, signal.source_organisation)
        audit.record(session, principal, Action.participant_create, object_type="participant",
                     object_id=signal.source_organisation, role=loaded.decision.role, case_id=loaded.case.id,
                     subject_ids=subject_ids, legal_basis=basis, detail={"via": Action.signal_triage})
    matches = await matching.find(session, principal, subjects.keys_of(rows[0]), exclude_signal=signal.id)
    return (await views.full_view(session, principal.org, signal, matches)).out
