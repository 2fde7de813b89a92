"""cases: subjects, cases on their ladders, participants, history, notes, plans, reference counters

Revision ID: 0003_cases
Revises: 0002_convenants
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_cases"
down_revision = "0002_convenants"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subject",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("bsn_hash", sa.String(64)),
        sa.Column("postcode", sa.String(6)),
        sa.Column("house_number", sa.String(12)),
        sa.Column("area", sa.String(200)),
        sa.Column("match_key", sa.String(300)),
        sa.Column("member_of", sa.Uuid(), sa.ForeignKey("subject.id", name="fk_subject_member_of_subject")),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("type IN ('persoon', 'adres', 'groep')", name="ck_subject_type"),
    )
    op.create_index("ix_subject_match_key", "subject", ["match_key"])
    op.create_index("ix_subject_member_of", "subject", ["member_of"])

    op.create_table(
        "casus",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("case_type", sa.String(40), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("tier", sa.Integer()),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("opened_by_organisation", sa.String(64),
                  sa.ForeignKey("organisation.code", name="fk_casus_opened_by_organisation_organisation"),
                  nullable=False),
        sa.Column("regie_organisation", sa.String(64),
                  sa.ForeignKey("organisation.code", name="fk_casus_regie_organisation_organisation")),
        sa.Column("regisseur", sa.String(200)),
        sa.Column("related_case_id", sa.Uuid(), sa.ForeignKey("casus.id", name="fk_casus_related_case_id_casus")),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state_entered_at", TS, nullable=False),
        sa.Column("due_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("closed_at", TS),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("reference", name="uq_casus_reference"),
    )
    op.create_index("ix_casus_case_type_state", "casus", ["case_type", "state"])
    op.create_index("ix_casus_due_at", "casus", ["due_at"])
    op.create_index("ix_casus_created_at_id", "casus", ["created_at", "id"])

    op.create_table(
        "casus_participant",
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id", name="fk_casus_participant_case_id_casus"),
                  primary_key=True),
        sa.Column("organisation", sa.String(64),
                  sa.ForeignKey("organisation.code", name="fk_casus_participant_organisation_organisation"),
                  primary_key=True),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_casus_participant_organisation", "casus_participant", ["organisation", "case_id"])

    op.create_table(
        "casus_subject",
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id", name="fk_casus_subject_case_id_casus"),
                  primary_key=True),
        sa.Column("subject_id", sa.Uuid(), sa.ForeignKey("subject.id", name="fk_casus_subject_subject_id_subject"),
                  primary_key=True),
    )
    op.create_index("ix_casus_subject_subject_id", "casus_subject", ["subject_id"])

    op.create_table(
        "casus_transition",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id", name="fk_casus_transition_case_id_casus"),
                  nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(60), nullable=False),
        sa.Column("from_state", sa.String(40)),
        sa.Column("to_state", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("data_category", sa.String(40)),
        sa.Column("actor_sub", sa.String(200), nullable=False),
        sa.Column("actor_org", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(40)),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("case_id", "version", name="uq_casus_transition_case_id_version"),
    )
    op.create_index("ix_casus_transition_trigger_created_at", "casus_transition", ["trigger", "created_at"])

    op.create_table(
        "casus_note",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id", name="fk_casus_note_case_id_casus"),
                  nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_sub", sa.String(200), nullable=False),
        sa.Column("author_org", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_casus_note_case_id_category", "casus_note", ["case_id", "category"])

    op.create_table(
        "casus_plan",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id", name="fk_casus_plan_case_id_casus"),
                  nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_by_organisation", sa.String(64), nullable=False),
        sa.Column("adopted_at", TS),
        sa.UniqueConstraint("case_id", "version", name="uq_casus_plan_case_id_version"),
    )
    op.create_table(
        "casus_plan_action",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("plan_id", sa.Uuid(), sa.ForeignKey("casus_plan.id", name="fk_casus_plan_action_plan_id_casus_plan"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("organisation", sa.String(64),
                  sa.ForeignKey("organisation.code", name="fk_casus_plan_action_organisation_organisation"),
                  nullable=False),
        sa.Column("due_date", sa.Date()),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_index("ix_casus_plan_action_plan_id", "casus_plan_action", ["plan_id"])
    op.create_table(
        "casus_reference_counter",
        sa.Column("prefix", sa.String(4), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("casus_reference_counter")
    op.drop_index("ix_casus_plan_action_plan_id", "casus_plan_action")
    op.drop_table("casus_plan_action")
    op.drop_table("casus_plan")
    op.drop_index("ix_casus_note_case_id_category", "casus_note")
    op.drop_table("casus_note")
    op.drop_index("ix_casus_transition_trigger_created_at", "casus_transition")
    op.drop_table("casus_transition")
    op.drop_index("ix_casus_subject_subject_id", "casus_subject")
    op.drop_table("casus_subject")
    op.drop_index("ix_casus_participant_organisation", "casus_participant")
    op.drop_table("casus_participant")
    for ix in ("ix_casus_created_at_id", "ix_casus_due_at", "ix_casus_case_type_state"):
        op.drop_index(ix, "casus")
    op.drop_table("casus")
    op.drop_index("ix_subject_member_of", "subject")
    op.drop_index("ix_subject_match_key", "subject")
    op.drop_table("subject")
