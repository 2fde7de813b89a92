"""ave regie key: the AVE `oppakken` names its regie holder `regie_organisation`

Revision ID: 0011_ave_regie_key
Revises: 0010_regie
Create Date: 2026-12-03

Issue 16 item 1: one term for the regie holder everywhere. The history of AVE cases taken up before this
revision recorded it as `casusregie_organisatie`; the level owners read it back from there when a case comes down
to casusniveau or monitoring, so the key is renamed in place (the value is kept; the downgrade renames it back).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_ave_regie_key"
down_revision = "0010_regie"
branch_labels = None
depends_on = None

OLD, NEW = "casusregie_organisatie", "regie_organisation"
_transition = sa.table("casus_transition", sa.column("id", sa.Uuid()), sa.column("trigger", sa.String()),
                       sa.column("data", sa.JSON()))


def _rename(old: str, new: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_transition.c.id, _transition.c.data)
                        .where(_transition.c.trigger == "oppakken")).all()
    for row_id, data in rows:
        if not isinstance(data, dict) or old not in data:
            continue
        renamed: dict[str, Any] = {(new if key == old else key): value for key, value in data.items()}
        bind.execute(sa.update(_transition).where(_transition.c.id == row_id).values(data=renamed))


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
