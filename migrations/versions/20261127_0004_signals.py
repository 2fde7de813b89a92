"""signals: partner signals with triage outcome, and the idempotency keys of their intake

Revision ID: 0004_signals
Revises: 0003_cases
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_signals"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

SIGNAL_INDEXES = {
    "ix_signaal_status_created_at_id": ["status", "created_at", "id"],
    "ix_signaal_source_organisation_created_at_id": ["source_organisation", "created_at", "id"],
    "ix_signaal_created_at_id": ["created_at", "id"],
    "ix_signaal_subject_id": ["subject_id"],
    "ix_signaal_case_id": ["case_id"],
}


def upgrade() -> None:
    op.create_table(
        "signaal",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("source_organisation", sa.String(64),
                  sa.ForeignKey("organisation.code", name="fk_signaal_source_organisation_organisation"),
                  nullable=False),
        sa.Column("case_type_hint", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), sa.ForeignKey("subject.id", name="fk_signaal_subject_id_subject"),
                  nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("observed_at", TS),
        sa.Column("external_ref", sa.String(100)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id", name="fk_signaal_case_id_casus")),
        sa.Column("triage_decision", sa.String(20)),
        sa.Column("triage_reason", sa.Text()),
        sa.Column("triaged_by", sa.String(200)),
        sa.Column("triaged_at", TS),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("status IN ('ontvangen', 'gekoppeld', 'afgewezen')", name="ck_signaal_status"),
        sa.CheckConstraint("triage_decision IS NULL OR triage_decision IN ('nieuwe_casus', 'koppelen', 'afwijzen')",
                           name="ck_signaal_triage_decision"),
        # Linked signals name their case; received and rejected ones name none.
        sa.CheckConstraint("(status = 'gekoppeld') = (case_id IS NOT NULL)", name="ck_signaal_case_when_linked"),
    )
    for name, columns in SIGNAL_INDEXES.items():
        op.create_index(name, "signaal", columns)

    op.create_table(
        "signaal_idempotency",
        sa.Column("organisation", sa.String(64),
                  sa.ForeignKey("organisation.code", name="fk_signaal_idempotency_organisation_organisation"),
                  nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer()),
        sa.Column("response_body", sa.JSON()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        # The unique (organisation, key) that makes concurrent identical submissions store one signal.
        sa.PrimaryKeyConstraint("organisation", "idempotency_key", name="pk_signaal_idempotency"),
    )
    op.create_index("ix_signaal_idempotency_expires_at", "signaal_idempotency", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_signaal_idempotency_expires_at", "signaal_idempotency")
    op.drop_table("signaal_idempotency")
    for name in SIGNAL_INDEXES:
        op.drop_index(name, "signaal")
    op.drop_table("signaal")
