"""Migrations build the whole schema on an empty database, and back down again, on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.migrations_state import alembic_config, current_revisions, head_revisions
from tests.conftest import make_settings


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_empty_database_to_head_and_down(empty_db_url: str) -> None:
    import asyncio

    settings = make_settings(empty_db_url)
    cfg = alembic_config(settings)
    await asyncio.to_thread(command.upgrade, cfg, "head")
    tables = await _tables(empty_db_url)
    assert {"organisation", "audit_log", "audit_chain_head"} <= tables
    engine = create_async_engine(empty_db_url)
    assert await current_revisions(engine) == head_revisions(settings)
    await engine.dispose()
    await asyncio.to_thread(command.downgrade, cfg, "base")
    assert await _tables(empty_db_url) <= {"alembic_version"}
