"""Engine and sessions (the unit of work that commits them is app/unit_of_work.py, above the audit log).

SQLite: WAL, foreign keys, a busy timeout, `BEGIN IMMEDIATE` for every transaction, and one
connection per process: the only SQLite setup measured here without "database is locked" errors.
Requests queue for that connection instead of failing. PostgreSQL: asyncpg with a pool sized for the
expected concurrency (CASUSREGIE_DB_POOL_SIZE, default 30, all kept; CASUSREGIE_DB_MAX_OVERFLOW, default 0:
overflow connections are opened and closed per use, config.py says what that cost).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, Table, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session
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
        if value is None:
            return None
        # Naive means UTC; an aware value in another zone is converted: SQLite stores no zone and compares
        # the text, so 12:00+02:00 must be written (and compared) as 10:00 UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """The Table a mapped class is declared on, for Core statements (declarative types `__table__` as any
    FromClause, which insert()/update() do not take)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


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
        # A dead database must answer quickly (503), not hang a request. JIT off: no statement of this service
        # runs long enough to repay compiling it (the monitor report's over a million history rows spent more
        # time compiling than it saved, bench/RESULTS.md "Issue 18").
        connect_args={"timeout": 5, "command_timeout": 30, "server_settings": {"jit": "off"}},
    )


class ReadOnlyViolation(RuntimeError):
    """A read session (autocommit, no transaction) was asked to write: refused before anything is sent."""


class ReadSession(Session):
    """A session for reads outside a transaction: every statement runs on its own (PostgreSQL autocommit, no
    BEGIN or COMMIT round trips). It refuses to write, since a write here would commit on its own, with no
    unit of work around it to roll it back."""


@event.listens_for(ReadSession, "do_orm_execute")
def _reads_only(state: ORMExecuteState) -> None:
    if not state.is_select:
        raise ReadOnlyViolation(f"a read session may not run {type(state.statement).__name__}")


@event.listens_for(ReadSession, "before_flush")
def _no_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyViolation("a read session may not flush changes")


class Database:
    """Holds the engine and session factory of one app instance (no module globals: tests make many)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        # Reads without a transaction: PostgreSQL only (SQLite's one connection serialises everything anyway).
        self.read_sessionmaker = None if settings.is_sqlite else async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), sync_session_class=ReadSession,
            expire_on_commit=False, autoflush=True)

    @property
    def is_sqlite(self) -> bool:
        return self.settings.is_sqlite

    @property
    def deferred_audit(self) -> bool:
        """Audit entries go to the staging table for the chainer (app/audit/chainer.py), not into the chain."""
        return self.settings.effective_audit_chaining == "deferred"

    async def dispose(self) -> None:
        await self.engine.dispose()
