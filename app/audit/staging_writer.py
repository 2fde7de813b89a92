"""Audit entries of reads, written to the staging table in groups, outside any request transaction.

A read changes nothing, so it needs no transaction of its own; its audit entries must still be durable
before its answer leaves (fail closed: no entry, no data). Each read hands its entries to this writer and
waits: the first to arrive while no write is in flight writes everything queued so far in one multi-row
INSERT (autocommit: one round trip, durable when it returns), later arrivals queue for the next write. A
lone request pays one round trip; under load many share one, as PostgreSQL's group commit would share a
WAL flush.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.models import AuditStaged
from app.kit.database import table_of

# Built once, Core not ORM (bench/: ORM bulk insert and per-call statement construction cost more than the
# inserts themselves); the one way an entry enters staging (record.flush_pending uses it too).
INSERT_STAGED = insert(table_of(AuditStaged))


class StagingWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._queue: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()

    async def write(self, rows: list[dict[str, Any]]) -> None:
        """Return once `rows` are committed; raise if they could not be."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((rows, done))
        async with self._lock:
            if not done.done():
                group, self._queue = self._queue, []
                # Shielded: a client that goes away must not abort the write other requests wait on.
                await asyncio.shield(self._write_group(group))
        await done

    async def _write_group(self, group: list[tuple[list[dict[str, Any]], asyncio.Future[None]]]) -> None:
        try:
            async with self._engine.connect() as conn:
                await conn.execute(INSERT_STAGED, [row for rows, _ in group for row in rows])
        except Exception as exc:
            for _, done in group:
                if not done.done():
                    done.set_exception(exc)
            return
        for _, done in group:
            if not done.done():
                done.set_result(None)
