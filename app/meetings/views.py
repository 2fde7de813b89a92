"""What a caller sees of a meeting: its agenda limited to the cases it may read (in SQL), each decision's text
and trigger withheld where its data category is not covered; and the besluitenlijst as Markdown."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.auth.principal import Principal
from app.cases.models import Case, CaseSubject
from app.meetings.models import AgendaItem, Meeting, MeetingDecision
from app.meetings.schemas import AgendaItemOut, Besluitenlijst, DecisionOut, MeetingOut, MeetingSummary
from app.vocabulary import DataCategory


@dataclass
class Agenda:
    """The visible items, and for the audit entry the cases and subjects they reveal."""

    items: list[AgendaItemOut]
    case_ids: list[uuid.UUID] = field(default_factory=list)
    subject_ids: list[uuid.UUID] = field(default_factory=list)
    withheld_decision_ids: list[uuid.UUID] = field(default_factory=list)

    def audit_detail(self) -> dict[str, object]:
        detail: dict[str, object] = {"case_ids": [str(c) for c in self.case_ids],
                                     "agenda_item_ids": [str(i.id) for i in self.items]}
        if self.withheld_decision_ids:
            detail["withheld_decision_ids"] = [str(d) for d in self.withheld_decision_ids]
        return detail


def summary(meeting: Meeting) -> MeetingSummary:
    return MeetingSummary(
        id=meeting.id, meeting_type=meeting.meeting_type, title=meeting.title, scheduled_at=meeting.scheduled_at,
        status=meeting.status, chair_organisation=meeting.chair_organisation,
        organiser_organisation=meeting.organiser_organisation,
        invited_organisations=[i.organisation for i in meeting.invitees], version=meeting.version,
        created_at=meeting.created_at, updated_at=meeting.updated_at, held_at=meeting.held_at,
        adopted_at=meeting.adopted_at)


def decision_out(d: MeetingDecision, categories: frozenset[DataCategory],
                 corrected_by: Iterable[uuid.UUID] = ()) -> DecisionOut:
    text_withheld = d.data_category not in categories
    trigger_withheld = d.trigger_category is not None and d.trigger_category not in categories
    return DecisionOut(
        id=d.id, meeting_id=d.meeting_id, agenda_item_id=d.agenda_item_id, case_id=d.case_id,
        text=None if text_withheld else d.text, text_withheld=text_withheld, data_category=d.data_category,
        attendees=list(d.attendees), trigger=None if trigger_withheld else d.trigger,
        trigger_withheld=trigger_withheld, case_version=d.case_version, plan_version=d.plan_version,
        corrects=d.corrects_id, corrected_by=list(corrected_by), created_at=d.created_at, created_by=d.created_by,
        created_by_organisation=d.created_by_organisation)


async def agenda(session: AsyncSession, principal: Principal, meeting: Meeting) -> Agenda:
    stmt = access.readable_agenda(principal, (
        select(AgendaItem, Case.reference, Case.case_type).join(Case, Case.id == AgendaItem.case_id)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.created_at, AgendaItem.id)))
    rows = (await session.execute(stmt)).all()
    if not rows:
        return Agenda(items=[])
    item_ids = [item.id for item, _, _ in rows]
    case_ids = [item.case_id for item, _, _ in rows]
    decisions: dict[uuid.UUID, list[MeetingDecision]] = defaultdict(list)
    corrected_by: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for d in (await session.execute(select(MeetingDecision).where(MeetingDecision.agenda_item_id.in_(item_ids))
                                    .order_by(MeetingDecision.created_at, MeetingDecision.id))).scalars():
        decisions[d.agenda_item_id].append(d)
        if d.corrects_id is not None:
            corrected_by[d.corrects_id].append(d.id)
    categories = await access.visible_categories(session, principal, (t for _, _, t in rows))
    subject_ids = sorted(set((await session.execute(
        select(CaseSubject.subject_id).where(CaseSubject.case_id.in_(case_ids)))).scalars()), key=str)
    out = Agenda(items=[], case_ids=case_ids, subject_ids=subject_ids)
    for item, reference, case_type in rows:
        shown = [decision_out(d, categories[case_type], corrected_by[d.id]) for d in decisions[item.id]]
        out.withheld_decision_ids += [d.id for d in shown if d.text_withheld or d.trigger_withheld]
        out.items.append(AgendaItemOut(id=item.id, case_id=item.case_id, case_reference=reference,
                                       case_type=case_type, position=item.position, question=item.question,
                                       decisions=shown))
    return out


def meeting_out(meeting: Meeting, shown: Agenda) -> MeetingOut:
    return MeetingOut(**summary(meeting).model_dump(), agenda=shown.items)


def besluitenlijst(meeting: Meeting, shown: Agenda) -> Besluitenlijst:
    from_meeting = summary(meeting)
    return Besluitenlijst(meeting=from_meeting, vastgesteld=from_meeting.status == "vastgesteld", items=shown.items)


def _quoted(text: str) -> str:
    # Quoted line by line: free text cannot break the document's structure (a heading, a list).
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def render_markdown(lijst: Besluitenlijst) -> str:
    """The besluitenlijst for the minutes: what this caller may see of it, and where something is withheld."""
    m = lijst.meeting
    invited = ", ".join(m.invited_organisations) or "-"
    lines = [
        f"# Besluitenlijst {m.meeting_type}: {m.title}",
        "",
        f"- Datum: {m.scheduled_at.isoformat()}",
        f"- Voorzitter: {m.chair_organisation}",
        f"- Organisator: {m.organiser_organisation}",
        f"- Genodigden: {invited}",
        f"- Status: {m.status}" + (f" (vastgesteld op {m.adopted_at.isoformat()})" if m.adopted_at else ""),
        "",
    ]
    for number, item in enumerate(lijst.items, start=1):
        lines += [f"## {number}. {item.case_reference} ({item.case_type})", ""]
        if item.question:
            lines += ["Vraag:", "", _quoted(item.question), ""]
        if not item.decisions:
            lines += ["Geen besluit.", ""]
        for d in item.decisions:
            heading = f"### Besluit {d.id} ({d.data_category})"
            if d.corrects is not None:
                heading += f", correctie van {d.corrects}"
            lines += [heading, ""]
            lines += [_quoted(d.text) if d.text is not None else
                      f"_Tekst niet zichtbaar: de categorie {d.data_category} valt buiten uw convenant._", ""]
            lines.append(f"- Aanwezig: {', '.join(d.attendees)}")
            if d.trigger_withheld:
                lines.append("- Stap in de casus: niet zichtbaar (categorie buiten uw convenant)")
            elif d.trigger is not None:
                lines.append(f"- Stap in de casus: {d.trigger} (casusversie {d.case_version})")
            if d.plan_version is not None:
                lines.append(f"- Acties in plan van aanpak versie {d.plan_version}")
            if d.corrected_by:
                lines.append(f"- Gecorrigeerd door: {', '.join(str(c) for c in d.corrected_by)}")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
