"""A case (casus) on its ladder, with participants, subjects, history, notes and plan versions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.kit.database import Base, UtcDateTime
from app.kit.types import Code

# Imported for its tables: casus_transition.decision_id refers to overleg_besluit, which must be in the metadata
# wherever a transition is flushed (the worker's too), not only where the meetings API is loaded.
from app.meetings import models as meeting_models
from app.subjects.models import Subject
from app.vocabulary import ActionStatus, CaseType, DataCategory, ParticipantBasis, PlanStatus, Uitstroomreden

REFERRED_TABLES = (meeting_models,)


class Case(Base):
    __tablename__ = "casus"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    case_type: Mapped[CaseType] = mapped_column(Code(CaseType, 40), nullable=False)
    state: Mapped[str] = mapped_column(String(40), nullable=False)
    tier: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    opened_by_organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), nullable=False)
    regie_organisation: Mapped[str | None] = mapped_column(String(64), ForeignKey("organisation.code"))
    regisseur: Mapped[str | None] = mapped_column(String(200))
    related_case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("casus.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    state_entered_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why the case was closed: set on entering afgesloten, cleared by heropenen (app/workflows/closing.py).
    uitstroomreden: Mapped[Uitstroomreden | None] = mapped_column(Code(Uitstroomreden, 40))
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    # Set when its retention term passed and its personal data was destroyed (app/retention): the skeleton stays.
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    participants: Mapped[list[CaseParticipant]] = relationship(
        lazy="selectin", order_by="CaseParticipant.organisation", cascade="all, delete-orphan"
    )
    # The case's subjects in display order. Read-only here (links are written as CaseSubject rows) and never
    # loaded by surprise: app/cases/loading.py joins them into a read's case query, or selects them after a lock.
    subjects: Mapped[list[Subject]] = relationship(
        secondary="casus_subject", order_by="(Subject.created_at, Subject.id)", viewonly=True, lazy="raise"
    )

    __table_args__ = (
        Index("ix_casus_case_type_state", "case_type", "state"),
        Index("ix_casus_due_at", "due_at"),
        Index("ix_casus_created_at_id", "created_at", "id"),
    )


class CaseParticipant(Base):
    __tablename__ = "casus_participant"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), primary_key=True)
    # opener | regie | deelnemer: the first two participate by construction and cannot be removed.
    basis: Mapped[ParticipantBasis] = mapped_column(Code(ParticipantBasis, 20), nullable=False)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    added_by: Mapped[str] = mapped_column(String(200), nullable=False)
    # The case's created_at, copied (it never changes): a case list is an organisation's participations newest
    # case first, which this index answers in order up to the page's LIMIT (app/access/cases.py `readable_listing`)
    # instead of walking every case newest first and probing whether the organisation takes part.
    case_created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_casus_participant_organisation_case_created_at", "organisation", "case_created_at",
                            "case_id"),)

    @classmethod
    def joining(cls, case: Case, organisation: str, basis: ParticipantBasis, *, at: datetime,
                by: str) -> CaseParticipant:
        """`organisation` taking part in `case` from `at` on: the one way a participation is made."""
        return cls(case_id=case.id, organisation=organisation, basis=basis, added_at=at, added_by=by,
                   case_created_at=case.created_at)


class CaseSubject(Base):
    __tablename__ = "casus_subject"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), primary_key=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("subject.id"), primary_key=True)

    __table_args__ = (Index("ix_casus_subject_subject_id", "subject_id"),)


class CaseTransition(Base):
    __tablename__ = "casus_transition"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), nullable=False)
    # The case version this transition produced: unique per case, so a lost update cannot double-write.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    trigger: Mapped[str] = mapped_column(String(60), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(40))
    # When the case entered from_state: this step ends a stay in it from then to created_at (the monitor report's
    # doorlooptijd, app/reports). None for the step that opened the case.
    from_state_entered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    to_state: Mapped[str] = mapped_column(String(40), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    data_category: Mapped[DataCategory | None] = mapped_column(Code(DataCategory, 40))
    actor_sub: Mapped[str] = mapped_column(String(200), nullable=False)
    actor_org: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_role: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Who held regie once this step was taken, so the history names the regie holder at every moment.
    regie_organisation: Mapped[str | None] = mapped_column(String(64))
    # The meeting decision that fired this step (app/meetings), if a meeting took it.
    decision_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("overleg_besluit.id"))

    __table_args__ = (
        UniqueConstraint("case_id", "version", name="uq_casus_transition_case_id_version"),
        Index("ix_casus_transition_trigger_created_at", "trigger", "created_at"),
        # The monitor report's periods.
        Index("ix_casus_transition_created_at", "created_at"),
    )


class CaseNote(Base):
    __tablename__ = "casus_note"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), nullable=False)
    category: Mapped[DataCategory] = mapped_column(Code(DataCategory, 40), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    author_sub: Mapped[str] = mapped_column(String(200), nullable=False)
    author_org: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_casus_note_case_id_category", "case_id", "category"),)


class CasePlan(Base):
    __tablename__ = "casus_plan"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[PlanStatus] = mapped_column(Code(PlanStatus, 20), nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_by_organisation: Mapped[str] = mapped_column(String(64), nullable=False)
    adopted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    actions: Mapped[list[CasePlanAction]] = relationship(
        lazy="selectin", order_by="CasePlanAction.position", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_casus_plan_case_id_version"),)


class CasePlanAction(Base):
    __tablename__ = "casus_plan_action"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus_plan.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    organisation: Mapped[str] = mapped_column(String(64), ForeignKey("organisation.code"), nullable=False)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(Code(ActionStatus, 20), nullable=False)

    # Every status change by PATCH …/plan/actions/{id}, oldest first: the regie holder reads them with the plan.
    changes: Mapped[list[CasePlanActionChange]] = relationship(
        lazy="selectin", order_by="(CasePlanActionChange.created_at, CasePlanActionChange.id)",
        cascade="all, delete-orphan",
    )

    # The work list (GET /v1/work/actions): one organisation's actions, by due date.
    __table_args__ = (Index("ix_casus_plan_action_organisation_due_date", "organisation", "due_date"),)


class CasePlanActionChange(Base):
    """One status change of a plan action by a partner: who (and for which organisation), when, from, to, why.
    Insert-only; a new plan version starts new action rows, so these stay with the version they were made on."""

    __tablename__ = "casus_plan_action_change"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    action_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus_plan_action.id"), nullable=False)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), nullable=False, index=True)
    from_status: Mapped[ActionStatus] = mapped_column(Code(ActionStatus, 20), nullable=False)
    to_status: Mapped[ActionStatus] = mapped_column(Code(ActionStatus, 20), nullable=False)
    toelichting: Mapped[str | None] = mapped_column(Text)
    actor_sub: Mapped[str] = mapped_column(String(200), nullable=False)
    actor_org: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_role: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_casus_plan_action_change_action_id_created_at", "action_id", "created_at"),)


class CaseRetentionExtension(Base):
    """A postponement of the case's destruction (app/retention): `months` more after the term, with a reason, by
    the procesregisseur taking part; at most two per case."""

    __tablename__ = "casus_retention_extension"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_by_organisation: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (Index("ix_casus_retention_extension_case_id", "case_id"),)


class CaseReferenceCounter(Base):
    """Per case type and year: the last reference number handed out (JG-2025-0001)."""

    __tablename__ = "casus_reference_counter"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False)


class CaseDeadline(Base):
    """A deadline the worker acted on (app/cases/deadlines.py): one row per (case, due_at), so each deadline is
    acted on once; a case whose `due_at` moves (a new state) has a new deadline."""

    __tablename__ = "casus_deadline"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("casus.id"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # escalated | flagged
    acted_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
