"""Request and response shapes of the signals API."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.kit import clock
from app.kit.code_fields import InlineCode
from app.kit.moments import Moment
from app.kit.text_fields import NonBlankText
from app.subjects.schemas import SubjectIn, SubjectOut
from app.vocabulary import (
    CaseType,
    DataCategory,
    MatchKind,
    MelderStatus,
    RejectionReason,
    SignalStatus,
    SubjectType,
    TriageDecision,
)

Description = Annotated[str, NonBlankText(20_000)]
Reason = Annotated[str, NonBlankText(5_000)]
Title = Annotated[str, NonBlankText(200)]
# A short message to the melder's organisation: a note's free-text rules, kept short (a terugkoppeling).
FeedbackMessage = Annotated[str, NonBlankText(2_000)]
ExternalRef = Annotated[str, NonBlankText(100)]

# Visible ASCII, no spaces: UUIDs, ULIDs and the usual "<system>-<n>" keys all fit.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"
IdempotencyKey = Annotated[str, StringConstraints(pattern=IDEMPOTENCY_KEY_PATTERN)]

SignalStatusCode = Annotated[SignalStatus, InlineCode(SignalStatus)]
MelderStatusCode = Annotated[MelderStatus, InlineCode(MelderStatus)]
RejectionReasonCode = Annotated[RejectionReason, InlineCode(RejectionReason)]
TriageDecisionCode = Annotated[TriageDecision, InlineCode(TriageDecision)]

# A partner's clock may run a little ahead of ours; more than this is a date in the future.
CLOCK_SKEW = timedelta(minutes=5)
BATCH_LIMIT = 500


class SignalCreate(BaseModel):
    """What a partner reports. The sending organisation is the token's `org`."""

    model_config = ConfigDict(extra="forbid")

    case_type_hint: CaseType
    subject: SubjectIn
    description: Description
    category: DataCategory = Field(description="Data category of the description")
    observed_at: Moment | None = Field(default=None, description="When the partner observed it (with zone)")
    external_ref: ExternalRef | None = Field(default=None, description="The partner system's own reference")

    @field_validator("observed_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value > clock.now() + CLOCK_SKEW or value.year < 1900):
            raise ValueError("observed_at must be a real moment, not in the future")
        return value


class BatchItemIn(SignalCreate):
    idempotency_key: IdempotencyKey


class SignalBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=BATCH_LIMIT,
        description="Up to 500 signals, each a POST /v1/signals body plus its own `idempotency_key`; "
                    "every item is validated and stored on its own, so one bad item fails only itself",
    )


class MatchOut(BaseModel):
    """An untriaged signal or an open case on the same subject (BSN hash, address or group name)."""

    kind: Annotated[MatchKind, InlineCode(MatchKind)]
    id: uuid.UUID
    source_organisation: str | None = Field(default=None, description="signaal: who reported it")
    case_type: CaseType = Field(description="signaal: its case_type_hint; casus: its case type")
    status: str = Field(description="signaal: its status; casus: its state")
    reference: str | None = Field(default=None, description="casus: its reference")
    created_at: datetime


class SignalReceipt(BaseModel):
    """The answer to an intake (and to its replays): no subject data or description, only ids and codes."""

    id: uuid.UUID
    status: SignalStatusCode
    source_organisation: str
    case_type_hint: CaseType
    category: DataCategory
    external_ref: str | None
    observed_at: datetime | None
    created_at: datetime
    matches: list[MatchOut] | None = Field(
        description="Untriaged signals and open cases on the same subject; null for callers who may not see them")


class SignalStatusOut(BaseModel):
    """What the sending organisation's melder may see of its own signal: where it stands, no case content."""

    id: uuid.UUID
    status: MelderStatusCode = Field(description=(
        "ontvangen: not triaged yet; in_behandeling: a case was opened from it and has not moved on from the state "
        "it was opened in; opgepakt: a case was opened from it and has been acted on since; gekoppeld: it joined "
        "an existing case; afgewezen: rejected at triage (see reason_code)"))
    reason_code: RejectionReasonCode | None = Field(default=None, description="afgewezen: why")
    case_reference: str | None = Field(default=None, description="The case it led to or joined (its reference only)")
    contact_organisation: str | None = Field(default=None, description=(
        "Whom to contact about it once triaged: the case's regie organisation, or the organisation that triaged it"))
    source_organisation: str
    case_type_hint: CaseType
    category: DataCategory
    external_ref: str | None
    observed_at: datetime | None
    created_at: datetime


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: FeedbackMessage = Field(description="A short message to the organisation that reported the signal")


class FeedbackOut(BaseModel):
    id: uuid.UUID
    message: str
    from_organisation: str
    at: datetime


class MelderSignalOut(SignalStatusOut):
    """The melder's organisation's own signal: its status as in the list, and the feedback sent to it."""

    feedback: list[FeedbackOut] = Field(description="Messages from the triaging side, oldest first")


class TriageOut(BaseModel):
    decision: TriageDecisionCode
    reason: str
    reason_code: RejectionReasonCode | None = Field(default=None, description="afwijzen: the code the melder sees")
    by: str
    at: datetime


class SignalOut(BaseModel):
    """A signal as the procesregisseur sees it. Description and identifying subject fields follow the
    data categories the caller's convenants grant for the hinted case type."""

    id: uuid.UUID
    status: SignalStatusCode
    source_organisation: str
    case_type_hint: CaseType
    category: DataCategory
    description: str | None
    description_withheld: bool
    subject: SubjectOut
    members: list[SubjectOut] = Field(description="An address's persons or a group's members")
    observed_at: datetime | None
    external_ref: str | None
    case_id: uuid.UUID | None
    triage: TriageOut | None
    created_by: str
    created_at: datetime
    matches: list[MatchOut]


class SignalSummary(BaseModel):
    """A row of the procesregisseur's triage queue: no description or identifying fields."""

    id: uuid.UUID
    status: SignalStatusCode
    source_organisation: str
    case_type_hint: CaseType
    category: DataCategory
    subject_id: uuid.UUID
    subject_type: Annotated[SubjectType, InlineCode(SubjectType)]
    observed_at: datetime | None
    external_ref: str | None
    case_id: uuid.UUID | None
    created_at: datetime


class SignalPage(BaseModel):
    items: list[SignalSummary] | list[SignalStatusOut] = Field(
        description="Queue rows for the procesregisseur; status rows for a melder (its own organisation's)")
    next_cursor: str | None = None


class CaseSignalOut(BaseModel):
    """A signal behind a case, as a participant of the case sees it: the description and the subject's identifying
    fields only as far as the caller's convenants grant their data categories for the case's type."""

    id: uuid.UUID
    status: SignalStatusCode
    source_organisation: str
    case_type_hint: CaseType
    category: DataCategory
    description: str | None
    description_withheld: bool
    subject: SubjectOut
    observed_at: datetime | None
    external_ref: str | None
    triage_decision: TriageDecisionCode | None
    triaged_at: datetime | None
    created_at: datetime


class CaseSignalPage(BaseModel):
    items: list[CaseSignalOut]
    next_cursor: str | None = None


class NieuweCasus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal[TriageDecision.nieuwe_casus]
    case_type: CaseType
    reason: Reason
    title: Title | None = Field(default=None, description="Defaults to the ladder's label")


class Koppelen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal[TriageDecision.koppelen]
    case_id: uuid.UUID
    reason: Reason


class Afwijzen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal[TriageDecision.afwijzen]
    reason: Reason = Field(description="The triaging side's own note; never shown to the melder")
    reason_code: RejectionReasonCode = Field(
        default=RejectionReason.anders, description="What the melder's organisation is told; default `anders`")


TriageIn = Annotated[NieuweCasus | Koppelen | Afwijzen, Field(discriminator="decision")]


class ItemProblem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str


class BatchItemResult(BaseModel):
    index: int
    idempotency_key: str | None
    status: int = Field(description="201 stored (or replayed: see `replayed`), or the problem's status")
    id: uuid.UUID | None = None
    replayed: bool = False
    problem: ItemProblem | None = None


class BatchResult(BaseModel):
    items: list[BatchItemResult]
