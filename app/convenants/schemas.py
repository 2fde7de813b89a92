from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.convenants.views import ConvenantView
from app.kit.moments import Day
from app.kit.text_fields import NonBlankText
from app.organisations.schemas import OrgCode
from app.vocabulary import CaseType, ConvenantStatus, DataCategory, OrganisationKind, PartyRole

ConvenantCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=2, max_length=64)]
Title = Annotated[str, NonBlankText(200)]
Purpose = Annotated[str, NonBlankText(500)]
LegalBasisText = Annotated[str, NonBlankText(2000)]
Reason = Annotated[str, NonBlankText(2000)]
RetentionMonths = Annotated[int, Field(ge=1, le=600, description="Bewaartermijn after closure of a case, in months")]


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: OrgCode
    role: PartyRole
    data_categories: list[DataCategory] = Field(min_length=1, max_length=len(DataCategory))


class ConvenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ConvenantCode
    title: Title
    case_types: list[CaseType] = Field(min_length=1, max_length=len(CaseType))
    purposes: list[Purpose] = Field(min_length=1, max_length=20)
    legal_basis: LegalBasisText
    valid_from: Day
    valid_until: Day = Field(description="Last day of validity (inclusive); must be after valid_from")
    retention_months: RetentionMonths
    parties: list[PartyIn] = Field(max_length=100, description="Activation needs at least two")


# Fields a PATCH may change (every field of the create body except `code`).
UPDATABLE_FIELDS = ("title", "case_types", "purposes", "legal_basis", "valid_from", "valid_until",
                    "retention_months", "parties")


class ConvenantUpdate(BaseModel):
    """Any subset of the fields except `code`. On an active convenant this makes a new concept version."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    case_types: list[CaseType] | None = Field(default=None, min_length=1, max_length=len(CaseType))
    purposes: list[Purpose] | None = Field(default=None, min_length=1, max_length=20)
    legal_basis: LegalBasisText | None = None
    valid_from: Day | None = None
    valid_until: Day | None = None
    retention_months: RetentionMonths | None = None
    parties: list[PartyIn] | None = Field(default=None, max_length=100)

    @field_validator(*UPDATABLE_FIELDS, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Omit a field to keep it; null is not a value any of them can take.
        if value is None:
            raise ValueError("may not be null; omit the field to keep its value")
        return value


class TerminateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


E = TypeVar("E", bound=StrEnum)


def _in_enum_order(enum: type[E], values: Any) -> list[E]:
    """Codes in the order DOMAIN.md lists them (stable output whatever the storage order)."""
    return sorted({enum(v) for v in values}, key=list(enum).index)


class PartyOut(BaseModel):
    organisation: str
    role: PartyRole
    data_categories: list[DataCategory]


class ConvenantWarningOut(BaseModel):
    """Something the administrator should know; it does not stop activation."""

    code: str = Field(description="`regie_zonder_categorie`: a party that may hold regie on cases of case_type "
                                  "is not granted the category that ladder asks of its regie holder")
    case_type: CaseType
    organisation: str
    category: DataCategory
    message: str


class ConvenantOut(BaseModel):
    """One version of a convenant; `id` is the convenant's stable id, the same for every version."""

    id: uuid.UUID
    code: str
    version: int
    status: ConvenantStatus
    title: str
    case_types: list[CaseType]
    purposes: list[str]
    legal_basis: str
    valid_from: date
    valid_until: date
    retention_months: int
    parties: list[PartyOut]
    created_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None
    termination_reason: str | None
    pending_version: int | None = Field(
        default=None, description="Number of a newer concept version awaiting activation, if any"
    )
    warnings: list[ConvenantWarningOut] = Field(default_factory=list)

    @classmethod
    def from_view(cls, view: ConvenantView) -> ConvenantOut:
        v = view.version
        return cls(
            id=view.convenant.id, code=view.convenant.code, version=v.version, status=ConvenantStatus(v.status),
            title=v.title, case_types=_in_enum_order(CaseType, (c.case_type for c in v.case_types)),
            purposes=list(v.purposes), legal_basis=v.legal_basis, valid_from=v.valid_from,
            valid_until=v.valid_until, retention_months=v.retention_months,
            parties=[
                PartyOut(organisation=p.organisation, role=PartyRole(p.role),
                         data_categories=_in_enum_order(DataCategory, (c.category for c in p.categories)))
                for p in sorted(v.parties, key=lambda p: p.organisation)
            ],
            created_at=v.created_at, activated_at=v.activated_at, ended_at=v.ended_at,
            termination_reason=v.termination_reason, pending_version=view.pending_version,
            warnings=[ConvenantWarningOut(code=w.code, case_type=CaseType(w.case_type), organisation=w.organisation,
                                          category=DataCategory(w.category), message=w.message)
                      for w in view.warnings],
        )


class ConvenantPage(BaseModel):
    items: list[ConvenantOut]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page")


class ConvenantVersions(BaseModel):
    items: list[ConvenantOut] = Field(description="Every version, oldest first")


# --- processing register (AVG art. 30) ---------------------------------------------------------


class ControllerOut(BaseModel):
    organisation: str
    name: str
    kind: OrganisationKind
    role: PartyRole


class DataSubjectCategoryOut(BaseModel):
    case_type: CaseType
    description: str


class CategoryGrantOut(BaseModel):
    code: DataCategory
    label: str
    avg_class: str


class RecipientOut(BaseModel):
    organisation: str
    name: str
    role: PartyRole
    data_categories: list[CategoryGrantOut]


class ProcessingRecordOut(BaseModel):
    convenant_id: uuid.UUID
    code: str
    version: int
    title: str
    controllers: list[ControllerOut]
    purposes: list[str]
    data_subject_categories: list[DataSubjectCategoryOut]
    recipients: list[RecipientOut]
    legal_basis: str
    retention_months: int
    valid_from: date
    valid_until: date
    security_measures: list[str]


class ProcessingRegisterOut(BaseModel):
    generated_at: datetime
    records: list[ProcessingRecordOut] = Field(description="One record per active, currently valid convenant")
