"""Migration 0013_action_status moves existing plan actions to the issue's words (`lopend -> in_uitvoering`,
`afgerond -> gereed`), leaves `open` and `vervallen` as they are, and maps back on downgrade."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from app.kit.migrations_state import alembic_config
from tests.conftest import make_settings

T = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
ORGANISATION = sa.table("organisation", sa.column("id", sa.Uuid()), sa.column("code"), sa.column("name"),
                        sa.column("kind"), sa.column("created_at", sa.DateTime(timezone=True)))
CASE = sa.table("casus", *(sa.column(c) for c in ("reference", "case_type", "state", "title", "opened_by_organisation",
                                                   "version", "created_by")),
                sa.column("id", sa.Uuid()), sa.column("details", sa.JSON()),
                *(sa.column(c, sa.DateTime(timezone=True)) for c in ("state_entered_at", "created_at", "updated_at")))
PLAN = sa.table("casus_plan", sa.column("id", sa.Uuid()), sa.column("case_id", sa.Uuid()), sa.column("version"),
                sa.column("status"), sa.column("created_at", sa.DateTime(timezone=True)), sa.column("created_by"),
                sa.column("created_by_organisation"))
ACTION = sa.table("casus_plan_action", sa.column("id", sa.Uuid()), sa.column("plan_id", sa.Uuid()),
                  sa.column("position"), sa.column("description"), sa.column("organisation"), sa.column("status"))

# description (= the status before) -> the status after the upgrade
UPGRADED = {"open": "open", "lopend": "in_uitvoering", "afgerond": "gereed", "vervallen": "vervallen"}


async def _statuses(engine: sa.ext.asyncio.AsyncEngine) -> dict[str, str]:
    async with engine.connect() as conn:
        return dict((await conn.execute(sa.select(ACTION.c.description, ACTION.c.status))).all())


async def test_existing_actions_get_the_new_words(empty_db_url: str) -> None:
    cfg = alembic_config(make_settings(empty_db_url))
    await asyncio.to_thread(command.upgrade, cfg, "0010_regie")  # env.py runs its own event loop
    engine = create_async_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(ORGANISATION).values(id=uuid.uuid4(), code="zvh-mh", name="ZVH", kind="zvh",
                                                              created_at=T))
            case_id, plan_id = uuid.uuid4(), uuid.uuid4()
            await conn.execute(sa.insert(CASE).values(
                id=case_id, reference="IJ-1", case_type="ijam", state="netwerkoverleg", title="t", details={},
                opened_by_organisation="zvh-mh", version=1, created_by="regisseur-1", state_entered_at=T,
                created_at=T, updated_at=T))
            await conn.execute(sa.insert(PLAN).values(id=plan_id, case_id=case_id, version=1, status="concept",
                                                      created_at=T, created_by="r", created_by_organisation="zvh-mh"))
            for position, status in enumerate(UPGRADED, start=1):
                await conn.execute(sa.insert(ACTION).values(id=uuid.uuid4(), plan_id=plan_id, position=position,
                                                            description=status, organisation="zvh-mh", status=status))
        await asyncio.to_thread(command.upgrade, cfg, "0013_action_status")
        assert await _statuses(engine) == UPGRADED
        async with engine.begin() as conn:
            await conn.execute(sa.update(ACTION).where(ACTION.c.description == "open").values(status="niet_gelukt"))
        await asyncio.to_thread(command.downgrade, cfg, "0010_regie")
        assert await _statuses(engine) == {"open": "afgerond", "lopend": "lopend", "afgerond": "afgerond",
                                           "vervallen": "vervallen"}
    finally:
        await engine.dispose()
