"""The entry points: `verify_chain` (through a session) and `verify_database` (from a URL, for the CLI),
and the coordination on PostgreSQL: read the facts in one snapshot, cut the seq range into chunks,
verify them with `copy_stream` in this process or in worker processes (`pool`), merge the results.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg

from app.audit.verification.connection import _asyncpg_params, _connect_args, _driver_connection
from app.audit.verification.copy_stream import JsonCache, _verify_segment
from app.audit.verification.pool import WorkerPool, _WorkerUnavailable, default_workers
from app.audit.verification.result import Segment, Verification, _chunks, _merge

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

CHUNK_ROWS = 32_768
# Below this many entries worker start-up (a few tenths of a second each) costs more than it saves.
PARALLEL_MIN_ENTRIES = 100_000

# One statement, one snapshot: the chain head, the seq range, and whether the template reproduces
# canonical_json here (a UTF-8 database; to_char and strftime agree on four-digit years).
_FACTS_SQL = """
SELECT pg_export_snapshot() AS snapshot,
       current_setting('server_encoding') = 'UTF8'
         AND coalesce((SELECT min(created_at) >= '1000-01-01 00:00:00+00'
                              AND max(created_at) < '10000-01-01 00:00:00+00' FROM audit_log), true) AS fast_path,
       (SELECT seq FROM audit_chain_head WHERE id = 1) AS head_seq,
       (SELECT hash FROM audit_chain_head WHERE id = 1) AS head_hash,
       (SELECT max(seq) FROM audit_log) AS max_seq
"""


@dataclass(frozen=True)
class _Facts:
    snapshot: str
    fast_path: bool  # False: verify with the reference check
    head: tuple[int, str] | None
    max_seq: int

    @classmethod
    def from_row(cls, row: Any) -> _Facts:
        head = None if row[2] is None else (int(row[2]), str(row[3]))
        return cls(str(row[0]), bool(row[1]), head, int(row[4] or 0))


async def verify_chain(session: AsyncSession, *, workers: int | None = None, chunk_rows: int = CHUNK_ROWS,
                       pool: WorkerPool | None = None) -> Verification:
    """Verify the whole chain. `workers`: processes on PostgreSQL (None: one per CPU for a large log,
    0: in this process); `pool`: processes started beforehand (see app/cli.py)."""
    # Imported here, not at the top: the reference check brings SQLAlchemy and the ORM models (~0.4 s of
    # start-up), which `casusregie verify-audit` on PostgreSQL (verify_database) and every worker process
    # (python -m app.audit.verification.worker imports this package) do without. Whoever holds a session
    # has SQLAlchemy loaded already.
    from sqlalchemy import text

    from app.audit.verification.reference import _verify_reference

    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.driver != "asyncpg":
        return await _verify_reference(session)
    # Through the session, so that its transaction is open: the exported snapshot lives as long as it.
    facts = _Facts.from_row((await session.execute(text(_FACTS_SQL))).one())
    if not facts.fast_path:
        log.warning("audit verification: not a UTF-8 database, or a timestamp outside years 1000-9999; "
                    "using the reference check")
        return await _verify_reference(session)
    conn = await _driver_connection(session)
    return await _verify_postgres(conn, facts, lambda: _connect_args(session), workers, chunk_rows, pool)


async def verify_database(url: str, *, workers: int | None = None, chunk_rows: int = CHUNK_ROWS,
                          pool: WorkerPool | None = None) -> Verification | None:
    """`casusregie verify-audit` on PostgreSQL without SQLAlchemy (importing it is a second of start-up
    on a small machine). None when the URL is not a plain postgresql+asyncpg one, or the reference check
    is needed: the caller then uses verify_chain."""
    params = _asyncpg_params(url)
    if params is None:
        return None
    conn = await asyncpg.connect(**params)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            facts = _Facts.from_row(await conn.fetchrow(_FACTS_SQL))
            if not facts.fast_path:
                return None
            return await _verify_postgres(conn, facts, lambda: params, workers, chunk_rows, pool)
    finally:
        await conn.close()


async def _verify_postgres(conn: asyncpg.Connection, facts: _Facts, connect: Callable[[], dict[str, Any]],
                           workers: int | None, chunk_rows: int, pool: WorkerPool | None) -> Verification:
    chunks = _chunks(facts.max_seq, chunk_rows)
    if workers is None:
        workers = (pool.size if pool else default_workers()) if facts.max_seq >= PARALLEL_MIN_ENTRIES else 0
    workers = min(workers, len(chunks))
    segments: list[Segment] | None = None
    try:
        if workers > 0:
            try:
                pool = pool or await WorkerPool.start(workers)
                segments = await pool.run(connect(), facts.snapshot, chunks, workers)
            except _WorkerUnavailable as exc:
                log.warning("audit verification: worker processes unavailable (%s); verifying in this process",
                            exc)
    finally:
        if pool is not None:
            await pool.close()
    if segments is None:
        segments = await _in_order(chunks, lambda lo, hi, cache: _verify_segment(conn, lo, hi, cache))
    return _merge(segments, facts.head)


async def _in_order(chunks: Sequence[tuple[int, int]],
                    verify: Callable[[int, int, JsonCache], Awaitable[Segment]]) -> list[Segment]:
    cache: JsonCache = {}
    out: list[Segment] = []
    for lo, hi in chunks:
        seg = await verify(lo, hi, cache)
        out.append(seg)
        if seg.problem is not None:
            break  # later chunks cannot change the verdict
    return out
