"""uitstroom: why a closed case was closed

Revision ID: 0009_uitstroom
Revises: 0008_events
Create Date: 2026-12-03

`casus.uitstroomreden` is set when a case enters afgesloten and cleared by heropenen (issue 16 item 2). Cases
closed before this revision get the reason their closing trigger records from now on: `afsluiten` then existed
only at a ladder's regular end (doel_bereikt); the ladders' other closing decisions as app/workflows says.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_uitstroom"
down_revision = "0008_events"
branch_labels = None
depends_on = None

# The closing triggers as they stood at this revision, and the reason each records.
REASONS = {
    "afsluiten": "doel_bereikt",
    "geen_groepsaanpak": "geen_grondslag",
    "niet_in_behandeling": "geen_grondslag",
    "geen_zorgen": "geen_grondslag",
    "besluit_geen_actie": "geen_grondslag",
    "besluit_strafrechtelijk": "strafrechtelijk_afgedaan",
}


def upgrade() -> None:
    op.add_column("casus", sa.Column("uitstroomreden", sa.String(40)))
    # The latest transition into afgesloten of each closed case names the trigger that closed it.
    cases = " ".join(f"WHEN '{trigger}' THEN '{reason}'" for trigger, reason in REASONS.items())
    op.execute(f"""UPDATE casus SET uitstroomreden = CASE (
    SELECT t.trigger FROM casus_transition t WHERE t.case_id = casus.id AND t.to_state = 'afgesloten'
    ORDER BY t.version DESC LIMIT 1) {cases} END
WHERE state = 'afgesloten'""")


def downgrade() -> None:
    op.drop_column("casus", "uitstroomreden")
