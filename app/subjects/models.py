"""Subjects: the persons, addresses (households) and groups that signals and cases are about."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.database import Base, UtcDateTime
from app.kit.types import Code
from app.vocabulary import SubjectType


class Subject(Base):
    __tablename__ = "subject"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    type: Mapped[SubjectType] = mapped_column(Code(SubjectType, 10), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    bsn_hash: Mapped[str | None] = mapped_column(String(64))
    postcode: Mapped[str | None] = mapped_column(String(6))
    house_number: Mapped[str | None] = mapped_column(String(12))
    area: Mapped[str | None] = mapped_column(String(200))
    # The matching key (bsn hash, postcode+number or normalised group name); persons without a BSN have none.
    match_key: Mapped[str | None] = mapped_column(String(300))
    # A group's members point at the group.
    member_of: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("subject.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    # A person whose address is known is found on that address too (app/signals/matching.py).
    __table_args__ = (Index("ix_subject_match_key", "match_key"), Index("ix_subject_member_of", "member_of"),
                      Index("ix_subject_postcode_house_number", "postcode", "house_number"))
