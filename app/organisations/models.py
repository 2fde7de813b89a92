"""Ketenpartners."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.database import Base, UtcDateTime
from app.kit.types import Code
from app.vocabulary import OrganisationKind


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[OrganisationKind] = mapped_column(Code(OrganisationKind, 30), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
