"""Migration 0011_ave_regie_key renames the AVE `oppakken` key `casusregie_organisatie` to `regie_organisation` in
the history (value kept, other keys and other triggers untouched), and back on downgrade. Regie then still returns
to the named organisation when the case comes down to casusniveau (tests/cases/test_level_owners.py)."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from app.kit.migrations_state import alembic_config
from tests.cases.test_closing_migration import CASE, ORGANISATION, TRANSITION, T
from tests.conftest import make_settings

OLD = {"ave_fase": 3, "casusregie_organisatie": "woonpunt", "criteria": {"a": True, "b": True, "c": True, "d": False}}
NEW = {"ave_fase": 3, "regie_organisation": "woonpunt", "criteria": {"a": True, "b": True, "c": True, "d": False}}
OTHER = {"escalatiereden": "geen_medewerking", "casusregie_organisatie": "not-an-oppakken"}


async def test_the_oppakken_key_is_renamed_and_back(empty_db_url: str) -> None:
    cfg = alembic_config(make_settings(empty_db_url))
    await asyncio.to_thread(command.upgrade, cfg, "0010_regie")  # env.py runs its own event loop
    engine = create_async_engine(empty_db_url)
    case_id = uuid.uuid4()
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(ORGANISATION).values(id=uuid.uuid4(), code="zvh-mh", name="ZVH", kind="zvh",
                                                              created_at=T))
            await conn.execute(sa.insert(CASE).values(
                id=case_id, reference="AVE-1", case_type="woonoverlast", state="procesniveau", title="AVE-1",
                details={}, opened_by_organisation="zvh-mh", version=5, created_by="regisseur-1",
                state_entered_at=T, created_at=T, updated_at=T))
            for version, (trigger, to_state, data) in enumerate(
                    [("triage_starten", "triage", {}), ("oppakken", "casusniveau", OLD),
                     ("escaleren", "procesniveau", OTHER)], start=2):
                await conn.execute(sa.insert(TRANSITION).values(
                    id=uuid.uuid4(), case_id=case_id, version=version, trigger=trigger, from_state=None,
                    to_state=to_state, reason="reden", data=data, actor_sub="regisseur-1", actor_org="zvh-mh",
                    created_at=T))

        async def history() -> dict[str, object]:
            async with engine.connect() as conn:
                return dict((await conn.execute(sa.select(TRANSITION.c.trigger, TRANSITION.c.data))).all())

        await asyncio.to_thread(command.upgrade, cfg, "0011_ave_regie_key")
        assert await history() == {"triage_starten": {}, "oppakken": NEW, "escaleren": OTHER}
        await asyncio.to_thread(command.downgrade, cfg, "0010_regie")
        assert await history() == {"triage_starten": {}, "oppakken": OLD, "escaleren": OTHER}
    finally:
        await engine.dispose()
