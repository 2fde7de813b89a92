"""transition stay: each step records when the case entered the state it leaves

Revision ID: 0018_transition_stay
Revises: 0017_retention
Create Date: 2026-12-03

Issue 18 (monitor report): the time spent in a state is the stay a step ends, from the step into the state to
this one. Recorded on the step (`from_state_entered_at`, the case's `state_entered_at` just before it), the
report's doorlooptijd is a scan of the steps in the period instead of a window over the whole history; existing
steps are filled from the history: the moment of the case's previous step that changed its state (self
transitions change none). The creation step has none. The index on `created_at` serves every period filter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_transition_stay"
down_revision = "0017_retention"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

BACKFILL = """
UPDATE casus_transition SET from_state_entered_at = (
    SELECT p.created_at FROM casus_transition p
    WHERE p.case_id = casus_transition.case_id AND p.version < casus_transition.version
      AND (p.from_state IS NULL OR p.from_state <> p.to_state)
    ORDER BY p.version DESC LIMIT 1)
WHERE from_state IS NOT NULL
"""


def upgrade() -> None:
    with op.batch_alter_table("casus_transition") as batch:
        batch.add_column(sa.Column("from_state_entered_at", TS))
    op.execute(BACKFILL)
    op.create_index("ix_casus_transition_created_at", "casus_transition", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_casus_transition_created_at", table_name="casus_transition")
    with op.batch_alter_table("casus_transition") as batch:
        batch.drop_column("from_state_entered_at")
