"""The request's transaction: commit on success after the audit entries are written, roll back on error.

Above `app.audit` (it flushes the entries the services queued) and below `app.api`. Services and helpers
only flush; this is the one place that commits a request's work. Background jobs use it the same way.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import record as audit
from app.audit.staging_writer import StagingWriter
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


class EntryWriter(Protocol):
    async def write(self, rows: list[dict[str, Any]]) -> None: ...


_writers: weakref.WeakKeyDictionary[Database, EntryWriter] = weakref.WeakKeyDictionary()


def stage_reads_with(db: Database, writer: EntryWriter | None) -> None:
    """Where reads on `db` stage their entries: `serve` hands them to its audit thread (app/audit/audit_thread.py)
    while that runs; None (and by default) a group writer on the caller's own loop and pool."""
    if writer is None:
        _writers.pop(db, None)
    else:
        _writers[db] = writer


def _writer(db: Database) -> EntryWriter:
    writer = _writers.get(db)
    if writer is None:
        writer = _writers[db] = StagingWriter(db.engine)
    return writer


@asynccontextmanager
async def read_unit(db: Database) -> AsyncIterator[AsyncSession]:
    """A read: no transaction (PostgreSQL autocommit: no BEGIN/COMMIT round trips), writes refused; its audit
    entries are staged in a group write (app/audit/staging_writer.py) and durable before it returns, or it
    fails (no entry, no data). Denied attempts are written the same way. SQLite, or inline chaining: a unit
    of work as any other."""
    if db.read_sessionmaker is None or not db.deferred_audit:
        async with unit_of_work(db) as session:
            yield session
        return
    session = db.read_sessionmaker()
    entries: list[audit.PendingEntry] = []
    try:
        try:
            yield session
        except BaseException as exc:
            audit.refused(session, exc)
            entries = audit.take_persistent(session)
            await session.close()
            if entries:
                await _writer(db).write([e.fields for e in entries])
            raise
        entries = audit.take_all(session)
        # The connection goes back to the pool before the entries are written: the writer takes one of its own,
        # and a read holding its connection while it waits would starve the pool under load (bench/).
        await session.close()
        if entries:
            await _writer(db).write([e.fields for e in entries])
    finally:
        await session.close()
