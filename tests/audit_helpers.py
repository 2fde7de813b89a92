"""Reading the audit log directly in tests (the log is the evidence a privacy officer relies on)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.audit.models import AuditEntry


async def audit_rows(db_url: str, **where: Any) -> list[AuditEntry]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            stmt = select(AuditEntry).order_by(AuditEntry.seq)
            for key, value in where.items():
                stmt = stmt.where(getattr(AuditEntry, key) == value)
            return list((await conn.execute(stmt)).all())  # type: ignore[arg-type]
    finally:
        await engine.dispose()
