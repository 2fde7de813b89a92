from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    seq: int
    created_at: datetime
    actor_sub: str
    actor_org: str
    actor_role: str | None
    action: str
    object_type: str
    object_id: str | None
    case_id: uuid.UUID | None
    subject_ids: list[str]
    convenant_id: uuid.UUID | None
    convenant_version: int | None
    legal_basis: str | None
    toelichting: str | None
    outcome: str
    detail: dict[str, Any] | None
    request_id: str | None
    client_address: str | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = None


class VerificationOut(BaseModel):
    valid: bool
    entries: int
    head: str
    first_invalid_id: str | None = None
    first_invalid_seq: int | None = None
    reason: str | None = None
