"""Engine, sessions and the unit of work (one transaction per request).

SQLite: WAL, foreign keys, a busy timeout, `BEGIN IMMEDIATE` for every transaction, and one
connection per process: the only SQLite setup measured here without "database is locked" errors.
Requests queue for that connection instead of failing. PostgreSQL: asyncpg with a pool sized for the
expected concurrency (CASUSREGIE_DB_POOL_SIZE + CASUSREGIE_DB_MAX_OVERFLOW).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.types import TypeDecorator

from app.config import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way out on both databases (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let us emit BEGIN ourselves (pysqlite's implicit BEGIN is DEFERRED, which fails on upgrade).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if settings.is_sqlite:
        engine = create_async_engine(
            url,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            connect_args={"timeout": 30},
        )
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=10,
        # No pre-ping (a round trip on every checkout, ~5% of a transition's CPU time in bench/): a
        # connection found dead raises a disconnect error (503 for that request) and SQLAlchemy then
        # invalidates every pooled connection made before it, so the next request connects afresh
        # (tests/faults/test_database_outage.py). Recycling bounds a connection's age for server-side idle
        # timeouts.
        pool_recycle=1800,
        # A dead database must answer quickly (503), not hang a request.
        connect_args={"timeout": 5, "command_timeout": 30},
    )


class Database:
    """Holds the engine and session factory of one app instance (no module globals: tests make many)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def is_sqlite(self) -> bool:
        return self.settings.is_sqlite

    async def dispose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction: commit on success (after the audit entries are chained in), roll back on error.

        Denied attempts must be provable even though the request failed: their audit entries are
        written again in a transaction of their own after the rollback.
        """
        from app.audit import service as audit  # local: audit imports db models

        session = self.sessionmaker()
        try:
            yield session
            await audit.flush_pending(session)
            await session.commit()
        except BaseException:
            kept = audit.take_persistent(session)
            await session.rollback()
            if kept:
                await self._write_kept(kept)
            raise
        finally:
            await session.close()

    async def _write_kept(self, entries: list[Any]) -> None:
        from app.audit import service as audit

        async with self.sessionmaker() as session:
            audit.requeue(session, entries)
            await audit.flush_pending(session)
            await session.commit()
