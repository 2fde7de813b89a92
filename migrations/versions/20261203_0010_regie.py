"""regie in the history: who held regie once each step was taken

Revision ID: 0010_regie
Revises: 0009_uitstroom
Create Date: 2026-12-03

Issue 16 item 1: regie moves with the level owner; the history names the regie holder at every moment. Entries
written before stay empty: who held regie then was not recorded (a PATCH could have moved it), and a guess would
be presented as fact.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_regie"
down_revision = "0009_uitstroom"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("casus_transition") as batch:
        batch.add_column(sa.Column("regie_organisation", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("casus_transition") as batch:
        batch.drop_column("regie_organisation")
