"""Reading the audit log directly in tests (the log is the evidence a privacy officer relies on), and
tampering with it as a database superuser would, past the triggers that refuse it to everyone else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.audit import chainer
from app.audit.models import AuditEntry

AUDIT_TABLES = ("audit_log", "audit_log_subject", "audit_chain_head")


async def drain_staging(db_url: str) -> int:
    """Chain every staged entry (what the chainer does shortly after each request on PostgreSQL)."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            return await chainer.drain(conn)
    finally:
        await engine.dispose()


async def audit_rows(db_url: str, **where: Any) -> list[AuditEntry]:
    """The chained log, after chaining whatever was staged."""
    await drain_staging(db_url)
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            stmt = select(AuditEntry).order_by(AuditEntry.seq)
            for key, value in where.items():
                stmt = stmt.where(getattr(AuditEntry, key) == value)
            return list((await conn.execute(stmt)).all())  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def _sqlite_triggers(conn: AsyncConnection) -> list[tuple[str, str]]:
    rows = await conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                                   "('audit_log', 'audit_log_subject', 'audit_chain_head')"))
    return [(r[0], r[1]) for r in rows]


async def tamper_sql(db_url: str, statement: str, **params: Any) -> list[Any]:
    """Run `statement` with the append-only triggers out of the way, as a superuser could: PostgreSQL's
    session_replication_role = replica skips them; SQLite has no such switch, so they are dropped and
    re-created in the same transaction."""
    engine = create_async_engine(db_url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
                result = await conn.execute(text(statement), params)
                return list(result.all()) if result.returns_rows else []
            triggers = await _sqlite_triggers(conn)
            for name, _ in triggers:
                await conn.execute(text(f'DROP TRIGGER "{name}"'))
            result = await conn.execute(text(statement), params)
            out = list(result.all()) if result.returns_rows else []
            for _, sql in triggers:
                await conn.execute(text(sql))
            return out
    finally:
        await engine.dispose()
