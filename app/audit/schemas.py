from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.kit.code_fields import OneOf
from app.vocabulary import Action, AuditAction, AuditOutcome

AUDIT_ACTIONS = tuple(sorted(a.value for a in (*Action, *AuditAction)))


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    chained: bool = Field(description="false: written, durable, and not yet a link of the hash chain (the chainer "
                                      "links it within about a second); seq and the hashes are then null")
    seq: int | None
    created_at: datetime
    actor_sub: str
    actor_org: str
    actor_role: str | None
    action: Annotated[str, OneOf(AUDIT_ACTIONS)]
    object_type: str
    object_id: str | None
    case_id: uuid.UUID | None
    subject_ids: list[str]
    convenant_id: uuid.UUID | None
    convenant_version: int | None
    legal_basis: str | None
    toelichting: str | None
    outcome: Annotated[str, OneOf(tuple(o.value for o in AuditOutcome))]
    detail: dict[str, Any] | None
    request_id: str | None
    client_address: str | None
    prev_hash: str | None
    hash: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = None


class CheckpointRef(BaseModel):
    seq: int
    time: str


class CheckpointProblemOut(BaseModel):
    seq: int
    time: str
    source: str = Field(description="The checkpoint file (or `witness`)")
    reason: str


class VerificationOut(BaseModel):
    valid: bool = Field(description="The chain recomputes, its head names its last entry, and no signed checkpoint "
                                    "contradicts it")
    entries: int
    head: str
    first_invalid_id: str | None = None
    first_invalid_seq: int | None = None
    reason: str | None = None
    staged: int = Field(0, description="Entries written and not yet chained")
    oldest_staged_age_seconds: float | None = None
    checkpoints_checked: int = 0
    newest_checkpoint: CheckpointRef | None = None
    contradicted_checkpoint: CheckpointProblemOut | None = Field(
        None, description="The first signed checkpoint the log contradicts (truncated or rewritten)")


class CheckpointOut(BaseModel):
    seq: int
    hash: str
    time: str
    key_id: str
    signature: str = Field(description="Ed25519 over `casusregie-audit-checkpoint/v1\\n{seq}\\n{hash}\\n{time}\\n`, "
                                       "base64")


class CheckpointPage(BaseModel):
    items: list[CheckpointOut]
    next_cursor: str | None = None


class PublicKeyOut(BaseModel):
    key_id: str
    public_key_pem: str
    algorithm: str = "Ed25519"
