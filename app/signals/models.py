"""A signal (signaal) as a partner reported it, and the idempotency keys of its intake."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.database import Base, UtcDateTime
from app.kit.types import Code
from app.vocabulary import CaseType, DataCategory, RejectionReason, SignalStatus, TriageDecision


class Signal(Base):
    __tablename__ = "signaal"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    source_organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), nullable=False)
    case_type_hint: Mapped[CaseType] = mapped_column(Code(CaseType, 40), nullable=False)
    # The subject row made for this signal (an address's persons or a group's members point at it).
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("subject.id"), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[DataCategory] = mapped_column(Code(DataCategory, 40), nullable=False)
    observed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    external_ref: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[SignalStatus] = mapped_column(Code(SignalStatus, 12), nullable=False,
                                                  default=SignalStatus.ontvangen)
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("casus.id"))
    triage_decision: Mapped[TriageDecision | None] = mapped_column(Code(TriageDecision, 20))
    triage_reason: Mapped[str | None] = mapped_column(Text)
    # Set with `afwijzen`: the code the melder's organisation is shown (the free-text reason stays internal).
    triage_reason_code: Mapped[RejectionReason | None] = mapped_column(Code(RejectionReason, 40))
    triaged_by: Mapped[str | None] = mapped_column(String(200))
    # The organisation that triaged: the melder's contact when no case (or no regie holder) says otherwise.
    triaged_by_organisation: Mapped[str | None] = mapped_column(String(64), ForeignKey("organisation.code"))
    triaged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (
        Index("ix_signaal_status_created_at_id", "status", "created_at", "id"),
        Index("ix_signaal_source_organisation_created_at_id", "source_organisation", "created_at", "id"),
        Index("ix_signaal_created_at_id", "created_at", "id"),
        Index("ix_signaal_subject_id", "subject_id"),
        Index("ix_signaal_case_id", "case_id"),
    )


class SignalFeedback(Base):
    """A short message (terugkoppeling) from the triaging side to the organisation that reported the signal.

    The message is free text: stored here and shown to that organisation only; never logged, audited or put in
    an event (those hold the ids)."""

    __tablename__ = "signaal_feedback"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    signal_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("signaal.id"), nullable=False)
    from_organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), nullable=False)
    author_sub: Mapped[str] = mapped_column(String(200), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_signaal_feedback_signal_id_created_at", "signal_id", "created_at"),)


class IdempotencyRecord(Base):
    """One Idempotency-Key of one sending organisation: the body it came with and the answer it got.

    The primary key (organisation, idempotency_key) is what makes intake exactly-once: the row is
    inserted first, in the transaction that stores the signal, so a second request with the same key
    either waits for that transaction and then finds the row, or finds it at once.
    """

    __tablename__ = "signaal_idempotency"

    organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_signaal_idempotency_expires_at", "expires_at"),)
