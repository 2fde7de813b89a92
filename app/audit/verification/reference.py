"""The reference check: what a verification's result is defined by, and what runs on SQLite (and on
PostgreSQL when the COPY fast path cannot reproduce canonical JSON).

Rows in seq order from seq 1 through the ORM, each must have the next seq, carry the previous entry's
hash as `prev_hash`, and hash to its stored `hash` with `hash_chain.entry_hash`; finally the chain head
must name the last entry.

This is the one module of the package that imports SQLAlchemy and the ORM models; `chain.verify_chain`
imports it only when it is needed (see there).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.hash_chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from app.audit.models import AuditChainHead, AuditEntry
from app.audit.verification.result import BAD_PREV, CHANGED, GAP, Verification, _head_verdict

_REFERENCE_COLUMNS = ("seq", *(name for name in HASHED_FIELDS if name != "seq"), "prev_hash", "hash")


async def _stream(session: AsyncSession, batch: int = 5000) -> AsyncIterator[Any]:
    columns = [getattr(AuditEntry, name) for name in _REFERENCE_COLUMNS]
    last = 0
    while True:
        stmt = select(*columns).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq


async def _head(session: AsyncSession) -> tuple[int, str] | None:
    head = (await session.execute(select(AuditChainHead).where(AuditChainHead.id == 1))).scalar_one_or_none()
    return None if head is None else (head.seq, head.hash)


async def _verify_reference(session: AsyncSession) -> Verification:
    """Recompute every hash in seq order through the ORM; name the first entry changed, inserted or after a gap."""
    prev, expected_seq, count = GENESIS_HASH, 1, 0
    async for row in _stream(session):
        fields = row._asdict()
        problem = None
        if row.seq != expected_seq:
            problem = GAP
        elif row.prev_hash != prev:
            problem = BAD_PREV
        elif entry_hash(prev, fields) != row.hash:
            problem = CHANGED
        if problem:
            return Verification(False, count, prev, str(row.id), row.seq, problem)
        prev, expected_seq, count = row.hash, row.seq + 1, count + 1
    return _head_verdict(count, prev, await _head(session))
