"""case deadlines: the worker acts on each overdue case's deadline once

Revision ID: 0007_case_deadlines
Revises: 0006_convenant_epoch
Create Date: 2026-12-03

One row per (case, due_at) the worker escalated or flagged (app/cases/deadlines.py); a new state gives the case a
new due_at, and so a new deadline.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_case_deadlines"
down_revision = "0006_convenant_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "casus_deadline",
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id"), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("casus_deadline")
