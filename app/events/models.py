"""The transactional outbox, subscriptions, and each subscription's deliveries with their attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.events.types import DeliveryStatus
from app.kit.database import Base, UtcDateTime
from app.kit.types import Code

SeqType = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(Base):
    """A CloudEvent written in the transaction of the change it reports (so it exists exactly when the change
    does). `envelope` is the structured-mode JSON as it will be sent, byte for byte on every attempt; the
    columns beside it say whom it concerns, for the access check at delivery."""

    __tablename__ = "event_outbox"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False)
    type: Mapped[str] = mapped_column(String(60), nullable=False)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    signal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    convenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # The data categories a receiver needs, comma-separated (a note's; a state's that reveals a decision).
    data_category: Mapped[str | None] = mapped_column(String(40))
    envelope: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Set when the worker has made the event's deliveries (one per matching subscription).
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_event_outbox_undispatched", "seq", postgresql_where=text("dispatched_at IS NULL"),
                            sqlite_where=text("dispatched_at IS NULL")),)


class Subscription(Base):
    __tablename__ = "event_subscription"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    event_types: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    # The Standard Webhooks signing secret (whsec_...): shown once at creation, never again.
    secret: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Delivery(Base):
    """One event to one subscription (its status: app/events/types.py DeliveryStatus)."""

    __tablename__ = "event_delivery"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("event_subscription.id"), nullable=False)
    event_seq: Mapped[int] = mapped_column(SeqType, ForeignKey("event_outbox.seq"), nullable=False)
    status: Mapped[DeliveryStatus] = mapped_column(Code(DeliveryStatus, 20), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # A worker that claimed it holds it until then; one killed mid-delivery leaves it to the next after that.
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_seq", name="uq_event_delivery_once"),
        Index("ix_event_delivery_due", "next_attempt_at", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
    )


class DeliveryAttempt(Base):
    __tablename__ = "event_delivery_attempt"

    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("event_delivery.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)  # delivered | failed | withheld
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
