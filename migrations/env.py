"""Alembic environment: async engine, batch mode on SQLite so ALTERs work there too."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.audit import models as audit_models
from app.cases import models as cases_models
from app.config import get_settings
from app.convenants import models as convenants_models
from app.events import models as events_models
from app.kit.database import Base
from app.meetings import models as meetings_models
from app.organisations import models as organisations_models
from app.signals import models as signals_models
from app.subjects import models as subjects_models

# Imported for what importing them does: each models module adds its tables to Base.metadata, which
# must hold the whole schema for autogenerate (tests/test_migrations.py compares it with the migrations).
MODEL_MODULES = (audit_models, cases_models, convenants_models, events_models, meetings_models,
                 organisations_models, signals_models, subjects_models)

config = context.config
settings = config.attributes.get("settings") or get_settings()
url = config.get_main_option("sqlalchemy.url") or settings.database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # What autogenerate compares, here only: `alembic revision --autogenerate` and the drift test in
        # tests/test_migrations.py both run through this configure(). Column types too, and server
        # defaults (the schema has none; one added on one side only is drift). Nothing is excluded, no
        # include_object: on SQLite and PostgreSQL the comparison shows no noise (SQLite's reflected
        # types, e.g. CHAR(32) for Uuid, compare equal to the models'; the partial unique index matches
        # by name; Alembic leaves out its own alembic_version table).
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_online() -> None:
    asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
