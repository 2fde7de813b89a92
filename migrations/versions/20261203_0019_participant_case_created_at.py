"""participant case_created_at: a case list is answered by one index in its order

Revision ID: 0019_participant_case_created_at
Revises: 0018_transition_stay
Create Date: 2026-12-03

Issue 11 (half the work per request): a case list page is the caller's organisation's participations, newest
case first. With the case's `created_at` copied onto each participation (it never changes), the index
(organisation, case_created_at, case_id) yields a page in order up to its LIMIT; before, PostgreSQL walked every
case newest first and probed each for participation (100 000 cases, 10 % visible: 3.6 ms and 1 600 buffers a
page; after: 0.9 ms and 370). It replaces the (organisation, case_id) index, whose lookups the primary key
(case_id, organisation) and the new index's leading column serve. Existing participations are filled from their
case; the column is then required.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_participant_case_created_at"
down_revision = "0018_transition_stay"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE casus_participant SET case_created_at = (
    SELECT casus.created_at FROM casus WHERE casus.id = casus_participant.case_id)
"""


def upgrade() -> None:
    with op.batch_alter_table("casus_participant") as batch:
        batch.add_column(sa.Column("case_created_at", sa.DateTime(timezone=True)))
    op.execute(BACKFILL)
    with op.batch_alter_table("casus_participant") as batch:
        batch.alter_column("case_created_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.drop_index("ix_casus_participant_organisation")
        batch.create_index("ix_casus_participant_organisation_case_created_at",
                           ["organisation", "case_created_at", "case_id"])


def downgrade() -> None:
    with op.batch_alter_table("casus_participant") as batch:
        batch.drop_index("ix_casus_participant_organisation_case_created_at")
        batch.create_index("ix_casus_participant_organisation", ["organisation", "case_id"])
        batch.drop_column("case_created_at")
