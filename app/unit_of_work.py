"""The request's transaction: commit on success after the audit entries are written, roll back on error.

Above `app.audit` (it flushes the entries the services queued) and below `app.api`. Services and helpers
only flush; this is the one place that commits a request's work. Background jobs use it the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import record as audit
from app.kit.database import Database


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success (after the audit entries are written), roll back on error.

    Denied attempts must be provable even though the request failed: their audit entries are written
    again in a transaction of their own after the rollback. That includes an operation's refusals (409,
    412, 422) that its service registered a recorder for (`audit.on_refusal`).
    """
    session = db.sessionmaker()
    try:
        yield session
        await audit.flush_pending(session, deferred=db.deferred_audit)
        await session.commit()
    except BaseException as exc:
        audit.refused(session, exc)
        kept = audit.take_persistent(session)
        await session.rollback()
        if kept:
            await _write_kept(db, kept)
        raise
    finally:
        await session.close()


async def _write_kept(db: Database, entries: list[audit.PendingEntry]) -> None:
    async with db.sessionmaker() as session:
        audit.requeue(session, entries)
        await audit.flush_pending(session, deferred=db.deferred_audit)
        await session.commit()
