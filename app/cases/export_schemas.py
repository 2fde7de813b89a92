"""The pseudonymised case export (GET /v1/cases/{id}/export?pseudonymised=true): the case as its caller may read
it, for the anonymised regional case review, without anything that identifies a subject or the case itself.

No ids, no reference, no BSN, no external references, no names of professionals; every moment is a day count
from the day the case was opened (`day` 0), so the review sees the course of the case and not its calendar."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.cases.schemas import HistoryTrigger, StateCode, StepCode
from app.kit.code_fields import InlineCode
from app.vocabulary import (
    ActionStatus,
    CaseType,
    DataCategory,
    ParticipantBasis,
    PlanStatus,
    SubjectType,
    Uitstroomreden,
)

Day = Annotated[int, Field(description="Days since the case was opened (0: that day)")]


class PseudonymisedSubject(BaseModel):
    pseudonym: str = Field(description="`Persoon A`, `Adres 1`, `Groep 1`: the same in every text of this export, "
                                       "and only in this export")
    type: Annotated[SubjectType, InlineCode(SubjectType)]
    member_of: str | None = Field(description="The pseudonym of the group or address (household) it belongs to")
    address: str | None = Field(description="A person's address, as its pseudonym")


class PseudonymisedParticipant(BaseModel):
    organisation: str
    basis: Annotated[ParticipantBasis, InlineCode(ParticipantBasis)]
    day: Day


class PseudonymisedCase(BaseModel):
    case_type: CaseType
    state: StateCode | None
    state_withheld: bool
    state_label: str
    tier: int | None
    step: StepCode | None
    level_label: str | None
    title: str | None
    summary: str | None
    details: dict[str, Any]
    withheld_details: list[str]
    opened_by_organisation: str
    regie_organisation: str | None
    participants: list[PseudonymisedParticipant]
    visible_categories: list[DataCategory]
    due_day: Day | None
    overdue: bool
    closed_day: Day | None
    uitstroomreden: Uitstroomreden | None
    uitstroomreden_withheld: bool


class PseudonymisedStep(BaseModel):
    """A step of the case's history, withheld as GET …/history withholds it."""

    day: Day
    trigger: HistoryTrigger | None
    trigger_withheld: bool
    from_state: StateCode | None
    to_state: StateCode | None
    state_withheld: bool
    reason: str | None
    data: dict[str, Any] | None
    data_category: DataCategory | None
    data_withheld: bool
    actor_org: str
    actor_role: str | None
    regie_organisation: str | None
    by_meeting_decision: bool


class PseudonymisedNote(BaseModel):
    day: Day
    category: DataCategory
    text: str
    author_org: str


class PseudonymisedPlanAction(BaseModel):
    position: int
    description: str
    organisation: str
    due_day: Day | None
    status: Annotated[ActionStatus, InlineCode(ActionStatus)]


class PseudonymisedPlan(BaseModel):
    version: int
    status: Annotated[PlanStatus, InlineCode(PlanStatus)]
    summary: str | None
    day: Day
    adopted_day: Day | None
    actions: list[PseudonymisedPlanAction]


class PseudonymisedDecision(BaseModel):
    """A meeting decision on the case in a meeting the caller's organisation takes part in; text and trigger
    withheld as the meeting view withholds them."""

    day: Day
    text: str | None
    text_withheld: bool
    data_category: DataCategory
    trigger: str | None
    trigger_withheld: bool
    attendees: list[str]
    organisation: str


class PseudonymisedSignal(BaseModel):
    day: Day
    source_organisation: str
    case_type_hint: CaseType
    category: DataCategory
    description: str | None
    description_withheld: bool
    subject: str = Field(description="The pseudonym of the signal's subject")


class CaseExport(BaseModel):
    pseudonymised: Literal[True]
    case: PseudonymisedCase
    subjects: list[PseudonymisedSubject]
    history: list[PseudonymisedStep]
    notes: list[PseudonymisedNote]
    plan: PseudonymisedPlan | None
    decisions: list[PseudonymisedDecision]
    signals: list[PseudonymisedSignal]
