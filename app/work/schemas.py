"""Response shapes of the work lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.cases.schemas import ActionStatusCode, StateCode
from app.kit.code_fields import InlineCode
from app.vocabulary import CaseType, WorkReason


class WorkAction(BaseModel):
    """A plan action of the caller's organisation, in the current plan version of a case it may read."""

    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    case_type: CaseType
    case_version: int = Field(description="The case's version: send it as `If-Match` to update the action")
    plan_version: int
    position: int
    description: str
    organisation: str
    due_date: date | None
    status: ActionStatusCode
    overdue: bool = Field(description="The due date has passed and the action is still open or in_uitvoering")


class WorkActionPage(BaseModel):
    """By due date (actions without one last), then id; `next_cursor` continues after the last item."""

    items: list[WorkAction]
    next_cursor: str | None = None


class WorkCase(BaseModel):
    """An open case that awaits the caller's organisation: it holds regie, or its kind owns the current rung."""

    id: uuid.UUID
    reference: str
    case_type: CaseType
    state: StateCode
    tier: int | None
    version: int
    title: str
    due_at: datetime | None
    overdue: bool
    regie_organisation: str | None
    awaiting: list[Annotated[WorkReason, InlineCode(WorkReason)]] = Field(
        description="Why the case is on this list: `regie` (your organisation holds regie), `niveau` (your "
                    "organisation's kind owns the case's current rung, so a decision there is yours)")


class WorkCasePage(BaseModel):
    """By deadline (`due_at`; cases without one last), then id; `next_cursor` continues after the last item."""

    items: list[WorkCase]
    next_cursor: str | None = None
