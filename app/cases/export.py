"""The pseudonymised case export for the anonymised regional case review (GET /v1/cases/{id}/export).

What the caller may read of the case, built by the same view functions as its reads (`case_view`, the history's
`entry`, the notes filter, `signals.views.in_case`, `meetings.views.decision_out`), then pseudonymised: every
subject by its stable pseudonym (`cases.pseudonyms`), every free text scrubbed, every moment a day count, and no
ids, references, external references or professionals' names at all. One audited `case:export` entry names the
case and every subject the export concerns (ids only)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.cases import history, notes
from app.cases.export_schemas import (
    CaseExport,
    PseudonymisedCase,
    PseudonymisedDecision,
    PseudonymisedNote,
    PseudonymisedParticipant,
    PseudonymisedPlan,
    PseudonymisedPlanAction,
    PseudonymisedSignal,
    PseudonymisedStep,
    PseudonymisedSubject,
)
from app.cases.loading import load_case, subjects_of
from app.cases.models import CaseNote, CasePlan, CaseTransition
from app.cases.pseudonyms import Pseudonymiser, fold
from app.cases.schemas import PlanOut
from app.cases.views import case_view
from app.meetings.models import Meeting, MeetingDecision
from app.meetings.views import decision_out
from app.signals import views as signal_views
from app.signals.models import Signal
from app.subjects.models import Subject
from app.vocabulary import Action, SubjectType
from app.workflows.engine import get_engine


class _Days:
    """Moments as whole days since the case was opened."""

    def __init__(self, opened: datetime) -> None:
        self.opened = opened.date()

    def __call__(self, moment: datetime | date | None) -> int | None:
        if moment is None:
            return None
        day = moment.date() if isinstance(moment, datetime) else moment
        return (day - self.opened).days

    def of(self, moment: datetime) -> int:
        return (moment.date() - self.opened).days


def _register(names: Pseudonymiser, subject: Subject, heads: dict[uuid.UUID, str]) -> str:
    """The subject's pseudonym. The same person in two rows (a case subject and a signal's) is one pseudonym:
    keyed by its BSN hash, else by name and birth date; an address by postcode and house number."""
    if subject.type == SubjectType.adres:
        label = names.address(subject.postcode, subject.house_number)
    elif subject.type == SubjectType.groep:
        label = names.group(subject.name or f"groep {subject.id}", subject.area)
    else:
        if subject.bsn_hash:
            key = f"bsn:{subject.bsn_hash}"
        elif subject.name:
            key = f"name:{fold(subject.name)}|{subject.birth_date}"
        else:
            key = f"id:{subject.id}"
        label = names.person(key, subject.name)
        if subject.postcode:
            names.address(subject.postcode, subject.house_number)
    heads[subject.id] = label
    return label


def _subjects(names: Pseudonymiser, rows: Sequence[Subject], heads: dict[uuid.UUID, str]) -> list[PseudonymisedSubject]:
    """The case's subjects by pseudonym, once each: a person recorded twice (a linked signal's subject row with the
    same BSN) is one subject of the export."""
    listed: dict[str, tuple[Subject, PseudonymisedSubject]] = {}
    for s in rows:
        label = _register(names, s, heads)
        address = names.address(s.postcode, s.house_number) if s.type == SubjectType.persoon and s.postcode else None
        listed.setdefault(label, (s, PseudonymisedSubject(pseudonym=label, type=s.type, member_of=None,
                                                          address=address)))
    for s, shown in listed.values():
        shown.member_of = heads.get(s.member_of) if s.member_of is not None else None
    return [shown for _, shown in listed.values()]


async def export(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> CaseExport:
    loaded = await load_case(session, principal, case_id, Action.case_export)
    case, categories = loaded.case, loaded.access.categories
    days = _Days(case.created_at)

    # Every row with text first, the subjects once more last: a read holds no snapshot across its statements
    # (app/unit_of_work.py read_unit), so a member added while the export reads is still registered before any
    # text that could name it is scrubbed.
    transition_rows = list((await session.execute(
        select(CaseTransition).where(CaseTransition.case_id == case_id).order_by(CaseTransition.version))).scalars())
    note_rows = list((await session.execute(
        notes.visible_notes(case_id, categories).order_by(CaseNote.created_at, CaseNote.id))).scalars())
    plan_row = await session.scalar(select(CasePlan).where(CasePlan.case_id == case_id)
                                    .order_by(CasePlan.version.desc()).limit(1))
    # Decisions of meetings the caller's organisation takes part in (as GET /v1/meetings/{id} shows them), with a
    # role that may read meetings at all.
    decision_rows: list[MeetingDecision] = []
    if access.granting_role(principal, Action.meeting_read) is not None:
        stmt = access.visible_meetings(principal, select(MeetingDecision).join(
            Meeting, Meeting.id == MeetingDecision.meeting_id).where(MeetingDecision.case_id == case_id)
            .order_by(MeetingDecision.created_at, MeetingDecision.id))
        decision_rows = list((await session.execute(stmt)).scalars())
    signal_rows = (await session.execute(
        select(Signal, Subject).join(Subject, Subject.id == Signal.subject_id).where(Signal.case_id == case_id)
        .order_by(Signal.created_at, Signal.id))).all()
    known = {s.id for s in loaded.subjects}
    subject_rows = [*loaded.subjects, *(s for s in await subjects_of(session, case_id) if s.id not in known)]

    # Every subject registered before any text is scrubbed.
    names = Pseudonymiser()
    heads: dict[uuid.UUID, str] = {}
    subjects = _subjects(names, subject_rows, heads)
    for _, subject in signal_rows:
        _register(names, subject, heads)

    view = await case_view(session, case, loaded.access, subject_rows)
    shown_case = PseudonymisedCase(
        case_type=view.case_type, state=view.state, state_withheld=view.state_withheld, state_label=view.state_label,
        tier=view.tier, step=view.step, level_label=view.level_label, title=names.scrub(view.title),
        summary=names.scrub(view.summary), details=names.scrub_data(view.details),
        withheld_details=view.withheld_details, opened_by_organisation=view.opened_by_organisation,
        regie_organisation=view.regie_organisation,
        participants=[PseudonymisedParticipant(organisation=p.organisation, basis=p.basis, day=days.of(p.added_at))
                      for p in view.participants],
        visible_categories=view.visible_categories, due_day=days(view.due_at), overdue=view.overdue,
        closed_day=days(view.closed_at), uitstroomreden=view.uitstroomreden,
        uitstroomreden_withheld=view.uitstroomreden_withheld)

    ladder = get_engine().ladder(case.case_type)
    steps = []
    for t in transition_rows:
        e = history.entry(t, None, ladder, categories)
        steps.append(PseudonymisedStep(
            day=days.of(e.created_at), trigger=e.trigger, trigger_withheld=e.trigger_withheld,
            from_state=e.from_state, to_state=e.to_state, state_withheld=e.state_withheld,
            reason=names.scrub(e.reason), data=names.scrub_data(e.data), data_category=e.data_category,
            data_withheld=e.data_withheld, actor_org=e.actor_org, actor_role=e.actor_role,
            regie_organisation=e.regie_organisation, by_meeting_decision=e.decision_id is not None))

    shown_notes = [PseudonymisedNote(day=days.of(n.created_at), category=n.category, text=names.scrub(n.text) or "",
                              author_org=n.author_org) for n in note_rows]

    plan = None
    if plan_row is not None:
        p = PlanOut.model_validate(plan_row)
        plan = PseudonymisedPlan(
            version=p.version, status=p.status, summary=names.scrub(p.summary), day=days.of(p.created_at),
            adopted_day=days(p.adopted_at),
            actions=[PseudonymisedPlanAction(position=a.position, description=names.scrub(a.description) or "",
                                             organisation=a.organisation, due_day=days(a.due_date), status=a.status)
                     for a in p.actions])

    decisions = []
    for d in decision_rows:
        out = decision_out(d, categories)
        decisions.append(PseudonymisedDecision(
            day=days.of(out.created_at), text=names.scrub(out.text), text_withheld=out.text_withheld,
            data_category=out.data_category, trigger=out.trigger, trigger_withheld=out.trigger_withheld,
            attendees=out.attendees, organisation=out.created_by_organisation))

    signals = []
    for signal, subject in signal_rows:
        s = signal_views.in_case(signal, subject, categories)
        signals.append(PseudonymisedSignal(
            day=days.of(s.created_at), source_organisation=s.source_organisation, case_type_hint=s.case_type_hint,
            category=s.category, description=names.scrub(s.description), description_withheld=s.description_withheld,
            subject=heads[subject.id]))

    # The entry names the case and every subject the export concerns: the case's and its signals' (ids only).
    concerned = sorted({*(s.id for s in subject_rows), *(subject.id for _, subject in signal_rows)}, key=str)
    audit.record(session, principal, Action.case_export, object_type="case", object_id=case_id,
                 role=loaded.decision.role, case_id=case_id, subject_ids=concerned, legal_basis=loaded.decision.basis,
                 detail={"pseudonymised": True, "categories": sorted(categories),
                         "note_ids": [str(n.id) for n in note_rows],
                         "signal_ids": [str(signal.id) for signal, _ in signal_rows],
                         "decision_ids": [str(d.id) for d in decision_rows]})
    return CaseExport(pseudonymised=True, case=shown_case, subjects=subjects, history=steps, notes=shown_notes,
                      plan=plan, decisions=decisions, signals=signals)
