"""Subscriptions and their delivery log, as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.events.types import SUBSCRIBABLE, DeliveryStatus
from app.kit.code_fields import InlineCode, OneOf

EventTypeCode = Annotated[str, OneOf(tuple(t.value for t in SUBSCRIBABLE))]
DeliveryStatusCode = Annotated[DeliveryStatus, InlineCode(DeliveryStatus)]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(min_length=8, max_length=2048)] = Field(
        description="http(s) endpoint; its host must resolve inside CASUSREGIE_WEBHOOK_ALLOW; redirects are not "
                    "followed")
    event_types: list[EventTypeCode] = Field(min_length=1, max_length=len(SUBSCRIBABLE))
    secret: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="Standard Webhooks secret (`whsec_` + base64 of 24-64 bytes); generated and "
                                  "shown once when omitted")
    organisation: Annotated[str, StringConstraints(min_length=2, max_length=64)] | None = Field(
        default=None, description="The subscribing organisation: the caller's by default; another one only for a "
                                  "beheerder")


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation: str
    url: str
    event_types: list[EventTypeCode]
    created_at: datetime
    created_by: str


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="The signing secret: shown in this answer only, keep it")


class SubscriptionPage(BaseModel):
    items: list[SubscriptionOut]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    at: datetime
    outcome: Literal["delivered", "failed", "withheld"]
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: EventTypeCode | Literal["subscription.ping"]
    subject: str
    status: DeliveryStatusCode
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: list[AttemptOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page")


class PingAccepted(BaseModel):
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    status: DeliveryStatusCode
