"""Convenants (data-sharing agreements) and their versions.

`convenant` is the stable identity (id, code); everything that can change lives on a
`convenant_version`. An active version is never edited: a change becomes version n+1 (`concept`),
and activating it turns the old one `vervangen`. At most one version per convenant is `actief`
(enforced by the service under a row lock on `convenant`, and by a partial unique index).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.kit.database import Base, UtcDateTime
from app.kit.types import Code
from app.vocabulary import CaseType, ConvenantStatus, DataCategory, PartyRole


class Convenant(Base):
    __tablename__ = "convenant"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ConvenantVersion(Base):
    __tablename__ = "convenant_version"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    convenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("convenant.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[ConvenantStatus] = mapped_column(Code(ConvenantStatus, 20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    purposes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    retention_months: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    # Always wanted together with the version (responses, copies); loaded eagerly, also under asyncio.
    case_types: Mapped[list[ConvenantCaseType]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ConvenantCaseType.case_type"
    )
    parties: Mapped[list[ConvenantParty]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ConvenantParty.organisation"
    )

    __table_args__ = (
        UniqueConstraint("convenant_id", "version", name="uq_convenant_version_convenant_id_version"),
        CheckConstraint("status IN ('concept', 'actief', 'beeindigd', 'vervangen')", name="status"),
        CheckConstraint("retention_months BETWEEN 1 AND 600", name="retention_months"),
        CheckConstraint("valid_until > valid_from", name="period"),
        # The access query: active versions valid today.
        Index("ix_convenant_version_status_validity", "status", "valid_from", "valid_until"),
        # At most one active version per convenant, whatever the code above does.
        Index("uq_convenant_version_one_active", "convenant_id", unique=True,
              postgresql_where=text("status = 'actief'"), sqlite_where=text("status = 'actief'")),
    )


class ConvenantCaseType(Base):
    __tablename__ = "convenant_case_type"

    version_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("convenant_version.id"), primary_key=True)
    case_type: Mapped[CaseType] = mapped_column(Code(CaseType, 40), primary_key=True)

    __table_args__ = (Index("ix_convenant_case_type_case_type", "case_type"),)


class ConvenantParty(Base):
    __tablename__ = "convenant_party"

    version_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("convenant_version.id"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), primary_key=True)
    role: Mapped[PartyRole] = mapped_column(Code(PartyRole, 20), nullable=False)

    categories: Mapped[list[ConvenantPartyCategory]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ConvenantPartyCategory.category"
    )

    __table_args__ = (
        CheckConstraint("role IN ('kernpartner', 'casuspartner')", name="role"),
        Index("ix_convenant_party_organisation", "organisation"),
    )


class ConvenantPartyCategory(Base):
    __tablename__ = "convenant_party_category"

    version_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[DataCategory] = mapped_column(Code(DataCategory, 40), primary_key=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["version_id", "organisation"], ["convenant_party.version_id", "convenant_party.organisation"],
            name="fk_convenant_party_category_party",
        ),
    )


class ConvenantEpoch(Base):
    """One row: a token that triggers redraw with every change to the convenant tables grants are read
    from (migration 0006), so that a process's grant cache knows when it is stale."""

    __tablename__ = "convenant_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False)
