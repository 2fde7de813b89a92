"""GET /v1/subjects/{id}/export: everything held on one person (AVG art. 15), over every row of the same person
(app/subjects/rights.py), in a fixed number of statements whatever the number of cases.

Included: the person rows (name, birth date, address; whether a BSN is held, never its hash), the household or
group each was recorded in (its address or name, not its other persons); the cases the rows are subjects of, with
state, history, notes, plan versions and meeting decisions, each labelled with the organisation it came from; the
signals about the person's rows or the household/group they were recorded in, and the address or group signals
behind the person's cases. Left out: every other subject of those cases, households and groups (names, birth dates,
ids), and signals about another person. Free text (a note, a reason) is exported as the partner wrote it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit.record import record
from app.auth.principal import Principal
from app.cases.models import Case, CaseNote, CasePlan, CaseSubject, CaseTransition
from app.meetings.models import MeetingDecision
from app.signals.models import Signal
from app.subjects.models import Subject
from app.subjects.rights import same_person
from app.subjects.schemas import (
    ExportCase,
    ExportDecision,
    ExportNote,
    ExportPlan,
    ExportPlanAction,
    ExportPlanActionChange,
    ExportSignal,
    ExportTransition,
    PersonRecord,
    RecordedIn,
    SubjectExport,
)
from app.vocabulary import Action, SubjectType


def _plan(plan: CasePlan) -> ExportPlan:
    return ExportPlan(
        version=plan.version, status=plan.status, summary=plan.summary,
        source_organisation=plan.created_by_organisation, created_at=plan.created_at, adopted_at=plan.adopted_at,
        actions=[ExportPlanAction(description=a.description, organisation=a.organisation, due_date=a.due_date,
                                  status=a.status,
                                  changes=[ExportPlanActionChange(from_status=c.from_status, to_status=c.to_status,
                                                                  toelichting=c.toelichting, organisation=c.actor_org,
                                                                  created_at=c.created_at) for c in a.changes])
                 for a in plan.actions])


async def export(session: AsyncSession, principal: Principal, subject_id: uuid.UUID) -> SubjectExport:
    decision = access.require_subject_request(session, principal, Action.subject_export, object_id=subject_id)
    rows = await same_person(session, principal, Action.subject_export, subject_id)
    ids = [r.id for r in rows]
    head_ids = {r.member_of for r in rows if r.member_of is not None}
    heads = {h.id: h for h in (await session.scalars(select(Subject).where(Subject.id.in_(head_ids)))).all()}

    links = (await session.execute(select(CaseSubject.case_id, CaseSubject.subject_id)
                                   .where(CaseSubject.subject_id.in_(ids)))).all()
    persons_in: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for case_id, row_id in links:
        persons_in[case_id].append(row_id)
    case_ids = sorted(persons_in)
    cases = (await session.scalars(select(Case).where(Case.id.in_(case_ids))
                                   .order_by(Case.created_at, Case.id))).all()
    history: dict[uuid.UUID, list[ExportTransition]] = defaultdict(list)
    for t in (await session.scalars(select(CaseTransition).where(CaseTransition.case_id.in_(case_ids))
                                    .order_by(CaseTransition.case_id, CaseTransition.version))).all():
        history[t.case_id].append(ExportTransition(
            version=t.version, trigger=t.trigger, from_state=t.from_state, to_state=t.to_state, reason=t.reason,
            data=t.data, data_category=t.data_category, organisation=t.actor_org, role=t.actor_role,
            created_at=t.created_at))
    notes: dict[uuid.UUID, list[ExportNote]] = defaultdict(list)
    for n in (await session.scalars(select(CaseNote).where(CaseNote.case_id.in_(case_ids))
                                    .order_by(CaseNote.created_at, CaseNote.id))).all():
        notes[n.case_id].append(ExportNote(id=n.id, category=n.category, text=n.text, source_organisation=n.author_org,
                                           created_at=n.created_at))
    plans: dict[uuid.UUID, list[ExportPlan]] = defaultdict(list)
    for p in (await session.scalars(select(CasePlan).where(CasePlan.case_id.in_(case_ids))
                                    .order_by(CasePlan.case_id, CasePlan.version))).all():
        plans[p.case_id].append(_plan(p))
    decisions: dict[uuid.UUID, list[ExportDecision]] = defaultdict(list)
    for d in (await session.scalars(select(MeetingDecision).where(MeetingDecision.case_id.in_(case_ids))
                                    .order_by(MeetingDecision.created_at, MeetingDecision.id))).all():
        decisions[d.case_id].append(ExportDecision(id=d.id, meeting_id=d.meeting_id, text=d.text,
                                                   data_category=d.data_category,
                                                   source_organisation=d.created_by_organisation,
                                                   created_at=d.created_at))
    # About the person's rows or their household/group; or an address or group signal behind one of their cases.
    signals = (await session.scalars(
        select(Signal).join(Subject, Subject.id == Signal.subject_id)
        .where(or_(Signal.subject_id.in_([*ids, *head_ids]),
                   and_(Signal.case_id.in_(case_ids), Subject.type != SubjectType.persoon)))
        .order_by(Signal.created_at, Signal.id))).all()

    result = SubjectExport(
        subject_id=subject_id,
        persons=[PersonRecord(
            id=r.id, name=r.name, birth_date=r.birth_date, bsn_recorded=r.bsn_hash is not None, postcode=r.postcode,
            house_number=r.house_number, created_at=r.created_at,
            recorded_in=None if r.member_of not in heads else RecordedIn(
                id=heads[r.member_of].id, type=heads[r.member_of].type, postcode=heads[r.member_of].postcode,
                house_number=heads[r.member_of].house_number, name=heads[r.member_of].name,
                area=heads[r.member_of].area)) for r in rows],
        cases=[ExportCase(
            id=c.id, reference=c.reference, case_type=c.case_type, state=c.state, tier=c.tier, title=c.title,
            summary=c.summary, details=c.details, opened_by_organisation=c.opened_by_organisation,
            regie_organisation=c.regie_organisation, participants=[p.organisation for p in c.participants],
            created_at=c.created_at, closed_at=c.closed_at, uitstroomreden=c.uitstroomreden,
            person_ids=sorted(persons_in[c.id]), history=history[c.id], notes=notes[c.id], plans=plans[c.id],
            decisions=decisions[c.id]) for c in cases],
        signals=[ExportSignal(
            id=s.id, source_organisation=s.source_organisation, subject_id=s.subject_id,
            case_type_hint=s.case_type_hint, category=s.category, description=s.description,
            observed_at=s.observed_at, external_ref=s.external_ref, status=s.status, case_id=s.case_id,
            created_at=s.created_at) for s in signals],
    )
    record(session, principal, Action.subject_export, object_type="subject", object_id=subject_id,
           role=decision.role, subject_ids=ids,
           detail={"persons": len(ids), "cases": len(result.cases), "signals": len(result.signals)})
    return result
