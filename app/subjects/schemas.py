"""Subject input (persoon / adres / groep) with validation, and output filtered by data category."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.code_fields import InlineCode
from app.kit.moments import Day
from app.kit.text_fields import NonBlankText, StrippedText
from app.subjects.identity import bsn_valid, normalise_house_number, normalise_postcode
from app.vocabulary import CaseType, DataCategory, SubjectType

Name = Annotated[str, NonBlankText(200)]
Area = Annotated[str, StrippedText(200)]


def _past_date(value: date | None) -> date | None:
    if value is not None and (value > date.today() or value.year < 1900):
        raise ValueError("birth_date must be a real date in the past")
    return value


def _bsn_checked(value: str | None) -> str | None:
    if value is not None and not bsn_valid(value.strip()):
        raise ValueError("not a valid BSN (elfproef)")
    return value.strip() if value else None


def _postcode(value: str) -> str:
    normalised = normalise_postcode(value)
    if normalised is None:
        raise ValueError("not a Dutch postcode (1234AB)")
    return normalised


def _house_number(value: str) -> str:
    normalised = normalise_house_number(value)
    if normalised is None:
        raise ValueError("not a house number (12, 12A, 12-1)")
    return normalised


class PersonAddressIn(BaseModel):
    """Where a person lives, as a signal about a resident knows it: the person then also matches what partners
    report on that address (a police signal about a resident and the corporation's signal on the house)."""

    model_config = ConfigDict(extra="forbid")

    postcode: str
    house_number: str

    _pc = field_validator("postcode")(_postcode)
    _nr = field_validator("house_number")(_house_number)


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal[SubjectType.persoon]
    bsn: str | None = Field(default=None, description="Checked with the elfproef; stored only as a keyed hash")
    name: Name | None = None
    birth_date: Day | None = None
    address: PersonAddressIn | None = None

    _bsn = field_validator("bsn")(_bsn_checked)

    _birth = field_validator("birth_date")(_past_date)


class MemberIn(BaseModel):
    """A member of a group (jeugdgroep namenlijst) or a person of a household: a person subject of its own, so
    that every member is matchable (with a BSN), countable and in its own access log."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    birth_date: Day | None = None
    bsn: str | None = Field(default=None, description="Checked with the elfproef; stored only as a keyed hash")

    _birth = field_validator("birth_date")(_past_date)

    _bsn = field_validator("bsn")(_bsn_checked)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal[SubjectType.adres]
    postcode: str
    house_number: str
    persons: list[MemberIn] = Field(default_factory=list, max_length=50, description="Household members")

    _pc = field_validator("postcode")(_postcode)
    _nr = field_validator("house_number")(_house_number)


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal[SubjectType.groep]
    name: Name
    area: Area | None = None
    members: list[MemberIn] = Field(default_factory=list, max_length=200)


SubjectIn = Annotated[PersonIn | AddressIn | GroupIn, Field(discriminator="type")]


class SubjectOut(BaseModel):
    """Identifying fields (name, birth date, address) appear only with the `identificatie` category."""

    id: uuid.UUID
    type: Annotated[SubjectType, InlineCode(SubjectType)]
    name: str | None = None
    birth_date: date | None = None
    postcode: str | None = None
    house_number: str | None = None
    area: str | None = None
    member_of: uuid.UUID | None = None
    withheld: bool = Field(default=False, description="True when identifying fields were left out by the convenant")


# Data-subject requests (AVG art. 15, Wgs contactpunt): README "Privacy: data-subject requests".


class SubjectSearch(BaseModel):
    """Find a person: by BSN, or by name and birth date. The BSN is only hashed with the server key to look it
    up: never stored, logged or audited from this request."""

    model_config = ConfigDict(extra="forbid")

    bsn: str | None = Field(default=None, description="Checked with the elfproef; only hashed, to look it up")
    name: Name | None = Field(default=None, description="Exactly as recorded, with `birth_date`")
    birth_date: Day | None = None

    _bsn = field_validator("bsn")(_bsn_checked)

    def form_errors(self) -> list[dict[str, object]]:
        """Either `bsn`, or `name` with `birth_date`; the fields that make another request are named."""
        if self.bsn is not None:
            return [{"loc": ["body", f], "msg": "give either bsn, or name with birth_date"}
                    for f in ("name", "birth_date") if getattr(self, f) is not None]
        return [{"loc": ["body", f], "msg": "required without bsn (name with birth_date)"}
                for f in ("name", "birth_date") if getattr(self, f) is None]


class PersonFound(BaseModel):
    """A person subject row: ids only (which cases and signals it belongs to)."""

    id: uuid.UUID
    type: Annotated[SubjectType, InlineCode(SubjectType)]
    member_of: uuid.UUID | None = Field(default=None, description="The household or group it was recorded in")
    case_ids: list[uuid.UUID]
    signal_ids: list[uuid.UUID]


class SubjectSearchResult(BaseModel):
    items: list[PersonFound]


class AccessLogEntry(BaseModel):
    """One access concerning the person: who (organisation and role), when, what, the outcome and the legal basis.
    No other person's ids, and no staff member's id (GET /v1/audit by entry `id` has every field)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    organisation: str
    role: str | None
    action: str
    object_type: str
    case_id: uuid.UUID | None
    outcome: str
    convenant_id: uuid.UUID | None = Field(description="The convenant used as legal basis")
    convenant_version: int | None
    legal_basis: str | None
    toelichting: str | None = Field(description="The reason the caller stated (X-Audit-Toelichting)")
    chained: bool = Field(description="false: not yet a link of the hash chain (within about a second)")


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry]
    next_cursor: str | None = None


class RecordedIn(BaseModel):
    """The household (address) or group a person was recorded in: the address or group, never its other persons."""

    id: uuid.UUID
    type: Annotated[SubjectType, InlineCode(SubjectType)]
    postcode: str | None = None
    house_number: str | None = None
    name: str | None = None
    area: str | None = None


class PersonRecord(BaseModel):
    id: uuid.UUID
    name: str | None
    birth_date: date | None
    bsn_recorded: bool = Field(description="A BSN is held (as a keyed hash only)")
    postcode: str | None
    house_number: str | None
    created_at: datetime
    recorded_in: RecordedIn | None = None


class ExportTransition(BaseModel):
    version: int
    trigger: str
    from_state: str | None
    to_state: str
    reason: str
    data: dict[str, Any]
    data_category: DataCategory | None
    organisation: str
    role: str | None
    created_at: datetime


class ExportNote(BaseModel):
    id: uuid.UUID
    category: DataCategory
    text: str
    source_organisation: str
    created_at: datetime


class ExportPlanActionChange(BaseModel):
    from_status: str
    to_status: str
    toelichting: str | None
    organisation: str
    created_at: datetime


class ExportPlanAction(BaseModel):
    description: str
    organisation: str
    due_date: date | None
    status: str
    changes: list[ExportPlanActionChange]


class ExportPlan(BaseModel):
    version: int
    status: str
    summary: str | None
    source_organisation: str
    created_at: datetime
    adopted_at: datetime | None
    actions: list[ExportPlanAction]


class ExportDecision(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    text: str
    data_category: DataCategory
    source_organisation: str
    created_at: datetime


class ExportCase(BaseModel):
    id: uuid.UUID
    reference: str
    case_type: CaseType
    state: str
    tier: int | None
    title: str
    summary: str | None
    details: dict[str, Any]
    opened_by_organisation: str
    regie_organisation: str | None
    participants: list[str]
    created_at: datetime
    closed_at: datetime | None
    uitstroomreden: str | None
    person_ids: list[uuid.UUID] = Field(description="The person's subject rows in this case (its other subjects "
                                                    "are left out)")
    history: list[ExportTransition]
    notes: list[ExportNote]
    plans: list[ExportPlan]
    decisions: list[ExportDecision]


class ExportSignal(BaseModel):
    id: uuid.UUID
    source_organisation: str
    subject_id: uuid.UUID
    case_type_hint: CaseType
    category: DataCategory
    description: str
    observed_at: datetime | None
    external_ref: str | None
    status: str
    case_id: uuid.UUID | None
    created_at: datetime


class SubjectExport(BaseModel):
    """Everything held on one person, over every subject row of the same person (README "Privacy: data-subject
    requests"): the rows, their cases (state, history, notes, plans, decisions) and signals, each labelled with
    the organisation it came from; nothing of the other subjects of a case, household or group."""

    subject_id: uuid.UUID
    persons: list[PersonRecord]
    cases: list[ExportCase]
    signals: list[ExportSignal]
