"""Migrations build the whole schema on an empty database, and back down again, on both databases; the
schema they build is the one the models describe."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Index, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.kit.migrations_state import alembic_config, current_revisions, head_revisions
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


def _describe(diff: Any) -> str:
    if isinstance(diff, tuple) and diff[0] in ("add_index", "remove_index") and isinstance(diff[1], Index):
        return f"{diff[0]} {diff[1].table.name}.{diff[1].name}"
    return repr(diff)


def _autogenerate_diff(cfg: Config) -> list[str]:
    """What `alembic revision --autogenerate` would write, as compare_metadata reports it: run through
    migrations/env.py (as Alembic's own `check` runs), so that the comparison uses its target_metadata
    and compare options, on the sync connection env.py hands over from its async engine."""
    script = ScriptDirectory.from_config(cfg)
    found: list[str] = []

    def compare(_heads: Any, context: MigrationContext) -> list[Any]:
        found.extend(_describe(d) for d in compare_metadata(context, context.opts["target_metadata"]))
        return []  # no migration steps to run

    with EnvironmentContext(cfg, script, fn=compare):
        script.run_env()
    return found


async def test_migrated_schema_matches_the_models(empty_db_url: str) -> None:
    cfg = alembic_config(make_settings(empty_db_url))
    await asyncio.to_thread(command.upgrade, cfg, "head")
    drift = await asyncio.to_thread(_autogenerate_diff, cfg)  # env.py runs its own event loop
    assert drift == []
