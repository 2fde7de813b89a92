"""Response shape of the monitor report (GET /v1/reports/monitor); the CSV form holds the same rows
(app/reports/csv_form.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.cases.schemas import StateCode
from app.vocabulary import CaseType, Direction, MonitorIndicator, ReportGrouping, ReportUnit, Uitstroomreden

SUPPRESSED: Literal["<5"] = "<5"
# A count of 1 to 4 is shown as "<5" (0 stays 0): a small cell could point at a person.
Count = int | Literal["<5"]


class MonitorCell(BaseModel):
    """One cell of an indicator's breakdown: the dimensions that apply to it, and its figure."""

    case_type: CaseType | None = None
    state: StateCode | None = None
    tier: int | None = None
    direction: Direction | None = None
    reason: str | None = Field(None, description="The escalation reason code (`escalatiereden`), where recorded")
    uitstroomreden: Uitstroomreden | None = None
    organisation: str | None = None
    count: Count | None = Field(None, description="Duration cells: the number of stays behind the figure")
    value: Count | float | None = Field(
        None, description="A count (\"<5\" for 1 to 4), or days (one decimal; null when there were 1 to 4 stays)")


class MonitorFigure(BaseModel):
    """One indicator for one period (or, `as_of` set, for the moment the report was made)."""

    code: MonitorIndicator
    label: str = Field(description="The indicator in the wording of the Uitvoeringsplan Veiligheid")
    unit: ReportUnit
    from_: date | None = Field(None, alias="from", description="First day of the period (inclusive)")
    to: date | None = Field(None, description="Last day of the period (inclusive)")
    as_of: datetime | None = Field(None, description="Set for figures of the moment the report was made")
    value: Count | None = Field(description="The total; null for the duration indicators")
    breakdown: list[MonitorCell]

    model_config = {"populate_by_name": True}


class Suppression(BaseModel):
    below: int = Field(5, description="Counts from 1 up to this value (exclusive) are suppressed")
    shown_as: Literal["<5"] = SUPPRESSED


class MonitorReport(BaseModel):
    """The monitor indicators for a period (both days inclusive, UTC), optionally per calendar month."""

    from_: date = Field(alias="from")
    to: date
    group_by: ReportGrouping | None = None
    as_of: datetime = Field(description="When the report was made")
    suppression: Suppression = Field(default_factory=Suppression)
    indicators: list[MonitorFigure]

    model_config = {"populate_by_name": True}
