"""retention: destroyed cases and retention extensions

Revision ID: 0017_retention
Revises: 0016_subject_address
Create Date: 2026-12-03

Issue 17 item 5. `casus.destroyed_at` marks a case whose personal data the retention job destroyed (the skeleton
stays); `casus_retention_extension` holds the postponements (at most two per case, checked by the service).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_retention"
down_revision = "0016_subject_address"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("casus") as batch:
        batch.add_column(sa.Column("destroyed_at", TS))
    op.create_table(
        "casus_retention_extension",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(),
                  sa.ForeignKey("casus.id", name="fk_casus_retention_extension_case_id_casus"), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_by_organisation", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_casus_retention_extension"),
    )
    op.create_index("ix_casus_retention_extension_case_id", "casus_retention_extension", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_casus_retention_extension_case_id", table_name="casus_retention_extension")
    op.drop_table("casus_retention_extension")
    with op.batch_alter_table("casus") as batch:
        batch.drop_column("destroyed_at")
