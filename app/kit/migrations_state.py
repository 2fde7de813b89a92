"""Alembic helpers: where the migrations are, the head revision, and upgrading (CLI, demo, tests)."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(settings.migrations_dir))
    # The schema owner's URL when one is set: the runtime role may not alter tables (README).
    cfg.set_main_option("sqlalchemy.url", settings.effective_migration_url)
    cfg.attributes["settings"] = settings
    return cfg


def head_revisions(settings: Settings) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(settings)).get_heads())


def upgrade_to_head(settings: Settings) -> None:
    """Run migrations synchronously (the env runs its own event loop; call from no running loop)."""
    command.upgrade(alembic_config(settings), "head")


async def upgrade_to_head_async(settings: Settings) -> None:
    await asyncio.to_thread(upgrade_to_head, settings)


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        try:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        except Exception:  # no alembic_version table yet: not migrated
            return set()
    return {r[0] for r in rows}
