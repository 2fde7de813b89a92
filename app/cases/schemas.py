"""Request and response shapes of the cases API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.kit.code_fields import InlineCode, OneOf
from app.kit.moments import Day
from app.kit.text_fields import NonBlankText
from app.organisations.schemas import OrgCode
from app.subjects.schemas import SubjectIn, SubjectOut
from app.vocabulary import (
    SETTABLE_ACTION_STATUSES,
    ActionStatus,
    CaseType,
    DataCategory,
    ParticipantBasis,
    PlanStatus,
    Uitstroomreden,
)
from app.workflows.codes import HISTORY_TRIGGERS, STATES, STEPS, TRIGGERS

StateCode = Annotated[str, OneOf(STATES)]
TriggerCode = Annotated[str, OneOf(TRIGGERS)]
StepCode = Annotated[str, OneOf(STEPS)]
HistoryTrigger = Annotated[str, OneOf(HISTORY_TRIGGERS)]
Title = Annotated[str, NonBlankText(200)]
Text = Annotated[str, NonBlankText(20_000)]
Reason = Annotated[str, NonBlankText(5_000)]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_type: CaseType
    title: Title
    summary: Text | None = None
    initial_state: StateCode | None = Field(default=None, description="Only where the ladder allows (IJAM tiers)")
    subjects: list[SubjectIn] = Field(min_length=1, max_length=20)
    related_case_id: uuid.UUID | None = None
    regie_organisation: OrgCode | None = None
    details: dict[str, Any] | None = None


class CasePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    summary: Text | None = None
    regie_organisation: OrgCode | None = None
    regisseur: Title | None = None
    details: dict[str, Any] | None = Field(default=None, description="Merged key by key, then validated")


class ParticipantOut(BaseModel):
    organisation: str
    basis: Annotated[ParticipantBasis, InlineCode(ParticipantBasis)]
    added_at: datetime


STATE_WITHHELD = Field(False, description="The state is left out (as are its tier, step, deadline and regie holder): "
                                         "being in it reveals a decision of a data category the convenant does not "
                                         "cover; `state_label` then says `In behandeling`")

LEVEL_LABEL = Field(None, description="The rung in Dutch, in the ladder's own word (DOMAIN.md): `Stap 2A` where the "
                                      "ladder has steps (`step`, jeugdgroep), `Niveau 2` where it has tiers (`tier`); "
                                      "null in a state off the rungs and when the state is withheld")


class CaseOut(BaseModel):
    id: uuid.UUID
    reference: str
    case_type: CaseType
    state: StateCode | None
    state_withheld: bool = STATE_WITHHELD
    state_label: str
    tier: int | None
    step: StepCode | None
    level_label: str | None = LEVEL_LABEL
    version: int
    due_at: datetime | None
    overdue: bool
    title: str
    summary: str | None
    details: dict[str, Any]
    withheld_details: list[str] = Field(description="Details fields left out because the convenant does not cover "
                                                    "their data category")
    opened_by_organisation: str
    regie_organisation: str | None
    regie_gap: bool = Field(description="The state's level owner (an organisation kind, GET /v1/workflows) does not "
                                        "hold regie: none or several of that kind are convenant parties, so the "
                                        "procesregisseur names one (PATCH regie_organisation)")
    regisseur: str | None
    related_case_id: uuid.UUID | None
    participants: list[ParticipantOut]
    subjects: list[SubjectOut]
    visible_categories: list[DataCategory]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    destroyed_at: datetime | None = Field(
        None, description="Set when the retention term passed and the case's personal data was destroyed; the "
                          "case then reads as its skeleton and cannot change")
    uitstroomreden: Uitstroomreden | None = Field(
        None, description="Why the case was closed; null while it is open (heropenen clears it), and when withheld")
    uitstroomreden_withheld: bool = Field(
        False, description="The reason is left out: it would tell which decision closed the case, of a data category "
                           "the convenant does not cover (as the history withholds that decision)")


class CaseSummary(BaseModel):
    """A list row, enough for a worklist: no subjects or details (those are read one case at a time, audited per
    case). A withheld state withholds with it its label, tier, step, deadline and regie holder."""

    id: uuid.UUID
    reference: str
    case_type: CaseType
    state: StateCode | None
    state_withheld: bool = STATE_WITHHELD
    state_label: str = Field(description="The state's Dutch label; `In behandeling` when the state is withheld")
    tier: int | None
    step: StepCode | None
    level_label: str | None = LEVEL_LABEL
    version: int
    title: str
    due_at: datetime | None
    overdue: bool
    regie_organisation: str | None
    open_actions: int = Field(description="Actions of the latest plan van aanpak version still to be done (status "
                                          "`open` or `in_uitvoering`); 0 without a plan")
    created_at: datetime


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = None


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trigger: TriggerCode
    reason: Reason
    data: dict[str, Any] = Field(default_factory=dict)


class AvailableTransition(BaseModel):
    trigger: TriggerCode
    to: StateCode
    to_label: str
    required_data: list[str]
    data_schema: dict[str, Any]
    data_category: DataCategory | None
    ready: bool = Field(description="Whether the case itself lets this trigger fire now, by the guards firing runs: "
                                    "its details, its plan van aanpak, the level owner the next rung needs. The "
                                    "request's own data (`required_data`) is not judged: a trigger that only needs "
                                    "data in its body is ready")
    missing: list[str] = Field(description="When not ready: what the case lacks, named as a 422 on firing would name "
                                           "it (`plan`, `plan.actions`, `basisvoorwaarden.onderdak`, "
                                           "`level_owner.gemeente`); `withheld` stands for conditions on details "
                                           "of a category your convenant does not cover. Empty when ready")


class HistoryEntry(BaseModel):
    id: uuid.UUID
    version: int
    trigger: HistoryTrigger | None = Field(description="Null when the transition's data category is not covered for "
                                                      "you (`trigger_withheld`): its name would tell the decision")
    trigger_withheld: bool
    from_state: StateCode | None
    to_state: StateCode | None
    state_withheld: bool = Field(False, description="A state of this step is left out (null) because being in it "
                                                    "reveals a decision of a data category the convenant does not "
                                                    "cover, as in the case (`In behandeling`)")
    reason: str | None = Field(description="Null with the trigger: the reason of a withheld decision")
    data: dict[str, Any] | None = Field(description="Null when its data category is not covered for you")
    data_category: DataCategory | None
    data_withheld: bool
    actor_sub: str
    actor_org: str
    actor_role: str | None
    created_at: datetime
    regie_organisation: str | None = Field(description="The regie holder once this step was taken (DOMAIN.md "
                                                       "\"Regie and level owners\")")
    decision_id: uuid.UUID | None = Field(description="The meeting decision that took this step "
                                                      "(GET /v1/meetings/{meeting_id}), if a meeting took it")
    meeting_id: uuid.UUID | None = Field(description="The meeting of that decision")


class HistoryPage(BaseModel):
    """Oldest first; `next_cursor` continues after the last entry."""

    items: list[HistoryEntry]
    next_cursor: str | None = None


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: OrgCode


class RetentionExtensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1, le=24, description="Months added to the case's retention term")
    reason: Reason


class RetentionExtensionOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    months: int
    reason: str
    created_at: datetime
    created_by_organisation: str
    # All extensions of the case together (this one included), in months; at most two extensions per case.
    extension_months: int


class ParticipantList(BaseModel):
    items: list[ParticipantOut]


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: DataCategory
    text: Text


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    category: DataCategory
    text: str
    author_sub: str
    author_org: str
    created_at: datetime


class NotePage(BaseModel):
    items: list[NoteOut]
    next_cursor: str | None = None


ActionStatusCode = Annotated[ActionStatus, InlineCode(ActionStatus)]


class PlanActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text
    organisation: OrgCode
    due_date: Day | None = None
    status: ActionStatusCode = ActionStatus.open


class PlanPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: Text | None = None
    actions: list[PlanActionIn] = Field(default_factory=list, max_length=200)


class PlanActionPatch(BaseModel):
    """A partner's update of its own action: the status (not `vervallen`, which only a new plan version sets),
    and why."""

    model_config = ConfigDict(extra="forbid")

    status: Annotated[str, OneOf(tuple(s.value for s in SETTABLE_ACTION_STATUSES))]
    toelichting: Reason | None = None


class PlanActionChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    from_status: ActionStatusCode
    to_status: ActionStatusCode
    toelichting: str | None
    actor_sub: str
    actor_org: str
    actor_role: str | None
    created_at: datetime


class PlanActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    position: int
    description: str
    organisation: str
    due_date: date | None
    status: ActionStatusCode
    changes: list[PlanActionChangeOut] = Field(
        description="Every status change the owning organisation (or the plan's author) made to this action since "
                    "this plan version, oldest first; the last is the current status")


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    status: Annotated[PlanStatus, InlineCode(PlanStatus)]
    summary: str | None
    created_at: datetime
    created_by: str
    created_by_organisation: str
    adopted_at: datetime | None
    actions: list[PlanActionOut]


class PlanVersions(BaseModel):
    items: list[PlanOut]
