"""signal feedback: terugkoppeling to the melder, the rejection's reason code and who triaged

Revision ID: 0014_signal_feedback
Revises: 0013_action_status
Create Date: 2026-12-03

Issue 15 item 4. Signals rejected before this revision get the reason code `anders`: their free-text reason is
the triaging side's own note and is never shown to the melder, so no better code can be derived from it. Who
triaged them (the organisation) stays empty: the token's organisation was not recorded, and a guess would be
presented as fact.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_signal_feedback"
down_revision = "0013_action_status"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("signaal") as batch:
        batch.add_column(sa.Column("triage_reason_code", sa.String(40)))
        batch.add_column(sa.Column("triaged_by_organisation", sa.String(64)))
        batch.create_foreign_key("fk_signaal_triaged_by_organisation_organisation", "organisation",
                                 ["triaged_by_organisation"], ["code"])
    op.execute("UPDATE signaal SET triage_reason_code = 'anders' WHERE status = 'afgewezen'")
    op.create_table(
        "signaal_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(),
                  sa.ForeignKey("signaal.id", name="fk_signaal_feedback_signal_id_signaal"), nullable=False),
        sa.Column("from_organisation", sa.String(64),
                  sa.ForeignKey("organisation.code", name="fk_signaal_feedback_from_organisation_organisation"),
                  nullable=False),
        sa.Column("author_sub", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signaal_feedback"),
    )
    op.create_index("ix_signaal_feedback_signal_id_created_at", "signaal_feedback", ["signal_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_signaal_feedback_signal_id_created_at", table_name="signaal_feedback")
    op.drop_table("signaal_feedback")
    with op.batch_alter_table("signaal") as batch:
        batch.drop_constraint("fk_signaal_triaged_by_organisation_organisation", type_="foreignkey")
        batch.drop_column("triaged_by_organisation")
        batch.drop_column("triage_reason_code")
