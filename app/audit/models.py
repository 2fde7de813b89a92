"""The append-only audit log, its single-row chain head, and the staging table requests append to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.database import Base, UtcDateTime

SeqType = BigInteger().with_variant(Integer(), "sqlite")


class EntryFields:
    """The fields of an entry as a request writes it: staged (AuditStaged) and chained (AuditEntry) alike."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    actor_sub: Mapped[str] = mapped_column(String(200), nullable=False)
    actor_org: Mapped[str] = mapped_column(String(100), nullable=False)
    actor_role: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    object_type: Mapped[str] = mapped_column(String(40), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(100))
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    subject_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    convenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    convenant_version: Mapped[int | None] = mapped_column(Integer)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    toelichting: Mapped[str | None] = mapped_column(Text)
    # Plain strings, not the vocabulary's types: the verifier must read whatever is stored, and name a
    # tampered value instead of failing on it (tests/audit/test_hashed_fields.py).
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(100))
    client_address: Mapped[str | None] = mapped_column(String(100))


class AuditEntry(EntryFields, Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)

    chained = True  # as listed: a link of the chain (AuditStaged: not yet)

    __table_args__ = (
        Index("ix_audit_log_case_id", "case_id"),
        Index("ix_audit_log_actor_sub", "actor_sub"),
        Index("ix_audit_log_actor_org", "actor_org"),
        Index("ix_audit_log_created_at", "created_at"),
        Index("ix_audit_log_action", "action"),
    )


class AuditSubject(Base):
    """Index of subject ids per entry, for AVG art. 15 look-ups (the entry's JSON list is what is hashed)."""

    __tablename__ = "audit_log_subject"

    seq: Mapped[int] = mapped_column(SeqType, ForeignKey("audit_log.seq"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(100), primary_key=True)

    __table_args__ = (Index("ix_audit_log_subject_subject_id", "subject_id"),)


class AuditChainHead(Base):
    """One row: the last seq and hash. Locking it serialises appends; it also exposes a truncated tail."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(SeqType, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditStaged(EntryFields, Base):
    """An entry a request wrote and the chainer has not yet chained (app/audit/chainer.py): every field of
    an entry but seq and the hashes. Deleted in the transaction that chains it."""

    __tablename__ = "audit_staging"

    staged_seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)

    # As listed (GET /v1/audit): not a link of the chain yet, so no seq and no hashes.
    chained = False
    seq = None
    prev_hash = None
    hash = None


STAGED_FIELDS = tuple(c.name for c in AuditStaged.__table__.columns if c.name != "staged_seq")
