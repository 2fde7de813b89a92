"""action status: the issue's words for a plan action's status, and every change a partner makes to it

Revision ID: 0013_action_status
Revises: 0012_group_members
Create Date: 2026-12-03

Issue 15 items 2 and 3. A plan action's status moves from `open, lopend, afgerond, vervallen` to `open,
in_uitvoering, gereed, niet_gelukt, vervallen`: existing rows map `lopend -> in_uitvoering` and `afgerond ->
gereed`. The owning partner now sets the status itself (PATCH /v1/cases/{id}/plan/actions/{action_id}) without a
new plan version; `casus_plan_action_change` keeps every such change (who, for which organisation, when, from,
to, toelichting). The work list reads one organisation's actions by due date
(`ix_casus_plan_action_organisation_due_date`).

Downgrading maps back, and `niet_gelukt` (which the old words lack) to `afgerond`: the action ended.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_action_status"
down_revision = "0012_group_members"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# old status -> new status, as the upgrade maps existing rows
RENAMED = {"lopend": "in_uitvoering", "afgerond": "gereed"}
# new status -> old status, as the downgrade maps them back
RESTORED = {"in_uitvoering": "lopend", "gereed": "afgerond", "niet_gelukt": "afgerond"}

_ACTION = sa.table("casus_plan_action", sa.column("status", sa.String(20)))


def _map(mapping: dict[str, str]) -> None:
    for old, new in mapping.items():
        op.execute(_ACTION.update().where(_ACTION.c.status == old).values(status=new))


def upgrade() -> None:
    _map(RENAMED)
    op.create_index("ix_casus_plan_action_organisation_due_date", "casus_plan_action", ["organisation", "due_date"])
    op.create_table(
        "casus_plan_action_change",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("action_id", sa.Uuid(),
                  sa.ForeignKey("casus_plan_action.id", name="fk_casus_plan_action_change_action_id_casus_plan_action"),
                  nullable=False),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("casus.id", name="fk_casus_plan_action_change_case_id_casus"),
                  nullable=False),
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("toelichting", sa.Text()),
        sa.Column("actor_sub", sa.String(200), nullable=False),
        sa.Column("actor_org", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(40)),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_casus_plan_action_change_action_id_created_at", "casus_plan_action_change",
                    ["action_id", "created_at"])
    op.create_index("ix_casus_plan_action_change_case_id", "casus_plan_action_change", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_casus_plan_action_change_case_id", "casus_plan_action_change")
    op.drop_index("ix_casus_plan_action_change_action_id_created_at", "casus_plan_action_change")
    op.drop_table("casus_plan_action_change")
    op.drop_index("ix_casus_plan_action_organisation_due_date", "casus_plan_action")
    _map(RESTORED)
