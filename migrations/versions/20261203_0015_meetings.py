"""meetings: overleg, its organisations, agenda items and decision records; the decision on a transition

Revision ID: 0015_meetings
Revises: 0014_signal_feedback
Create Date: 2026-12-03

Issue 15 item 1: decisions are taken in meetings; a decision may fire a trigger, and the case's history names
the decision (`casus_transition.decision_id`). Transitions written before were no meeting's: the column stays
empty for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_meetings"
down_revision = "0014_signal_feedback"
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "overleg",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("meeting_type", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("scheduled_at", MOMENT, nullable=False),
        sa.Column("chair_organisation", sa.String(64), sa.ForeignKey("organisation.code"), nullable=False),
        sa.Column("organiser_organisation", sa.String(64), sa.ForeignKey("organisation.code"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("held_at", MOMENT),
        sa.Column("adopted_at", MOMENT),
    )
    op.create_index("ix_overleg_scheduled_at_id", "overleg", ["scheduled_at", "id"])
    op.create_table(
        "overleg_genodigde",
        sa.Column("meeting_id", sa.Uuid(), sa.ForeignKey("overleg.id"), primary_key=True),
        sa.Column("organisation", sa.String(64), sa.ForeignKey("organisation.code"), primary_key=True),
    )
    op.create_index("ix_overleg_genodigde_organisation", "overleg_genodigde", ["organisation", "meeting_id"])
    op.create_table(
        "overleg_agendapunt",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("meeting_id", sa.Uuid(), sa.ForeignKey("overleg.id"), nullable=False),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text()),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("meeting_id", "case_id", name="uq_overleg_agendapunt_meeting_id_case_id"),
    )
    op.create_index("ix_overleg_agendapunt_case_id", "overleg_agendapunt", ["case_id"])
    op.create_table(
        "overleg_besluit",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("meeting_id", sa.Uuid(), sa.ForeignKey("overleg.id"), nullable=False),
        sa.Column("agenda_item_id", sa.Uuid(), sa.ForeignKey("overleg_agendapunt.id"), nullable=False),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data_category", sa.String(40), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("trigger", sa.String(60)),
        sa.Column("trigger_category", sa.String(40)),
        sa.Column("case_version", sa.Integer()),
        sa.Column("plan_version", sa.Integer()),
        sa.Column("corrects_id", sa.Uuid(), sa.ForeignKey("overleg_besluit.id")),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_by_organisation", sa.String(64), nullable=False),
    )
    op.create_index("ix_overleg_besluit_agenda_item_id", "overleg_besluit", ["agenda_item_id", "created_at"])
    with op.batch_alter_table("casus_transition") as batch:
        batch.add_column(sa.Column("decision_id", sa.Uuid()))
        batch.create_foreign_key("fk_casus_transition_decision_id_overleg_besluit", "overleg_besluit",
                                 ["decision_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("casus_transition") as batch:
        batch.drop_constraint("fk_casus_transition_decision_id_overleg_besluit", type_="foreignkey")
        batch.drop_column("decision_id")
    op.drop_table("overleg_besluit")
    op.drop_table("overleg_agendapunt")
    op.drop_table("overleg_genodigde")
    op.drop_table("overleg")
