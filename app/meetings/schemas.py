"""Request and response shapes of the meetings API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.cases.schemas import PlanActionIn, Reason, Text, Title, TriggerCode
from app.kit.moments import Moment
from app.organisations.schemas import OrgCode
from app.vocabulary import CaseType, DataCategory, MeetingStatus, MeetingType


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting_type: MeetingType
    title: Title
    scheduled_at: Moment
    chair_organisation: OrgCode | None = Field(None, description="Default: your organisation")
    invited_organisations: list[OrgCode] = Field(default_factory=list, max_length=50)


class MeetingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    scheduled_at: Moment | None = None
    chair_organisation: OrgCode | None = None
    invited_organisations: list[OrgCode] | None = Field(None, max_length=50, description="Replaces the list")
    status: MeetingStatus | None = Field(None, description="One step forward: gepland -> gehouden -> vastgesteld "
                                                           "(the besluitenlijst adopted; from then on the meeting "
                                                           "is immutable, 409, and takes only corrections)")


class AgendaItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: uuid.UUID
    question: Text | None = Field(None, description="The question put to the meeting")
    position: int | None = Field(None, ge=1, le=1000, description="Default: after the last item")


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text
    data_category: DataCategory = Field(description="The category of the text: attendees without it see the "
                                                    "decision withheld")
    attendees: list[OrgCode] = Field(min_length=1, max_length=50,
                                     description="The organisations present (chair, organiser or invited)")
    trigger: TriggerCode | None = Field(None, description="Fired on the item's case through the case's own "
                                                          "transition rules (as POST /v1/cases/{id}/transitions)")
    reason: Reason | None = Field(None, description="The transition's reason; default: the meeting and its date")
    data: dict[str, Any] = Field(default_factory=dict, description="The trigger's data")
    actions: list[PlanActionIn] = Field(default_factory=list, max_length=50,
                                        description="Added to the case's plan van aanpak (a new plan version), "
                                                    "before the trigger fires")
    corrects: uuid.UUID | None = Field(None, description="The decision (of this item) this one corrects; the only "
                                                         "decision a vastgesteld meeting takes")
    case_version: int | None = Field(None, ge=1, le=2_147_483_647,
                                     description="The case's ETag you decided on (as If-Match on the case): "
                                                 "412 when the case changed since")


class DecisionOut(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    agenda_item_id: uuid.UUID
    case_id: uuid.UUID
    text: str | None = Field(description="Null when its data category is not covered for you (`text_withheld`)")
    text_withheld: bool
    data_category: DataCategory
    attendees: list[str]
    trigger: str | None = Field(description="The trigger it fired; null when none, or when the transition's data "
                                            "category is not covered for you (`trigger_withheld`)")
    trigger_withheld: bool
    case_version: int | None = Field(description="The case version the fired transition produced")
    plan_version: int | None = Field(description="The plan version holding the actions it created")
    corrects: uuid.UUID | None
    corrected_by: list[uuid.UUID]
    created_at: datetime
    created_by: str
    created_by_organisation: str


class AgendaItemOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    case_type: CaseType
    position: int
    question: str | None
    decisions: list[DecisionOut]


class MeetingSummary(BaseModel):
    id: uuid.UUID
    meeting_type: MeetingType
    title: str
    scheduled_at: datetime
    status: MeetingStatus
    chair_organisation: str
    organiser_organisation: str
    invited_organisations: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    held_at: datetime | None
    adopted_at: datetime | None


class MeetingOut(MeetingSummary):
    agenda: list[AgendaItemOut] = Field(description="Only the items of cases you may read")


class MeetingPage(BaseModel):
    items: list[MeetingSummary]
    next_cursor: str | None = None


class Besluitenlijst(BaseModel):
    """The decisions per agenda item, as the minutes record them (`Accept: text/markdown` for the document)."""

    meeting: MeetingSummary
    vastgesteld: bool
    items: list[AgendaItemOut] = Field(description="Only the items of cases you may read")
