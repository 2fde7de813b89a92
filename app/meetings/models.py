"""A meeting (overleg) with its organisations, agenda of cases and decision records (besluiten).

Table names are Dutch like the domain (`overleg`, `overleg_besluit`): `casus_transition.decision_id` refers to
`overleg_besluit`, so a case's history names the decision that moved it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.kit.database import Base, UtcDateTime
from app.kit.types import Code
from app.vocabulary import DataCategory, MeetingStatus, MeetingType


class Meeting(Base):
    __tablename__ = "overleg"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    meeting_type: Mapped[MeetingType] = mapped_column(Code(MeetingType, 40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Chair and organiser manage the meeting (their procesregisseur); both, and the invited, see it.
    chair_organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), nullable=False)
    organiser_organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"),
                                                        nullable=False)
    status: Mapped[MeetingStatus] = mapped_column(Code(MeetingStatus, 20), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    adopted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    invitees: Mapped[list[MeetingInvitee]] = relationship(
        lazy="selectin", order_by="MeetingInvitee.organisation", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_overleg_scheduled_at_id", "scheduled_at", "id"),)


class MeetingInvitee(Base):
    __tablename__ = "overleg_genodigde"

    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("overleg.id"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), primary_key=True)

    __table_args__ = (Index("ix_overleg_genodigde_organisation", "organisation", "meeting_id"),)


class AgendaItem(Base):
    __tablename__ = "overleg_agendapunt"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("overleg.id"), nullable=False)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    # The question put to the meeting; readable only by those who may read the case (as the item itself).
    question: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (
        UniqueConstraint("meeting_id", "case_id", name="uq_overleg_agendapunt_meeting_id_case_id"),
        Index("ix_overleg_agendapunt_case_id", "case_id"),
    )


class MeetingDecision(Base):
    """A decision record (besluit) on one agenda item. Never changed: a correction is a new decision naming
    the one it corrects (`corrects_id`)."""

    __tablename__ = "overleg_besluit"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("overleg.id"), nullable=False)
    agenda_item_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("overleg_agendapunt.id"), nullable=False)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    data_category: Mapped[DataCategory] = mapped_column(Code(DataCategory, 40), nullable=False)
    # Organisation codes of those present when it was taken (a subset of the meeting's organisations).
    attendees: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    trigger: Mapped[str | None] = mapped_column(String(60))
    # The data category of the fired transition's data (as on casus_transition): the trigger's name is withheld
    # from an organisation without it, as in the case's history.
    trigger_category: Mapped[DataCategory | None] = mapped_column(Code(DataCategory, 40))
    # The case version the fired transition produced.
    case_version: Mapped[int | None] = mapped_column(Integer)
    # The plan version holding the actions this decision created.
    plan_version: Mapped[int | None] = mapped_column(Integer)
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("overleg_besluit.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_by_organisation: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (Index("ix_overleg_besluit_agenda_item_id", "agenda_item_id", "created_at"),)
