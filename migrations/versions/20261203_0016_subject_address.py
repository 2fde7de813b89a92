"""subject address: persons are found on their address

Revision ID: 0016_subject_address
Revises: 0015_meetings
Create Date: 2026-12-03

Issue 16 (woonoverlast): a signal about a person may carry the person's address (`subject.postcode`,
`subject.house_number` on the person row), and matching then looks for persons at an address as well as for the
address itself, so the index covers those two columns.
"""

from __future__ import annotations

from alembic import op

revision = "0016_subject_address"
down_revision = "0015_meetings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_subject_postcode_house_number", "subject", ["postcode", "house_number"])


def downgrade() -> None:
    op.drop_index("ix_subject_postcode_house_number", table_name="subject")
