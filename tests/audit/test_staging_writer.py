"""The reads' group writer (app/audit/staging_writer.py, PostgreSQL): whatever the groups' sizes, every entry
handed to it is staged, once, in the order it was handed over; a group the database refuses fails every read in
it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditStaged
from app.audit.staging_writer import StagingWriter
from app.config import Settings
from app.kit.database import create_engine
from tests.conftest import IS_PG

# Reads stage through it on PostgreSQL only; SQLite's reads are units of work chained inline (app/unit_of_work.py).
pytestmark = pytest.mark.skipif(not IS_PG, reason="reads' group writes to staging are PostgreSQL's")


def _entry(n: int, subjects: list[str]) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "created_at": datetime.now(UTC), "actor_sub": f"lezer-{n}", "actor_org": "politie",
            "actor_role": "medewerker", "action": "case:read", "object_type": "case", "object_id": str(n),
            "case_id": None, "subject_ids": subjects, "convenant_id": None, "convenant_version": None,
            "legal_basis": None, "toelichting": None, "outcome": "allowed", "detail": {"n": n},
            "request_id": None, "client_address": None}


async def test_groups_of_any_size_stage_every_entry_once_in_order(settings: Settings) -> None:
    engine = create_engine(settings)
    writer = StagingWriter(engine)
    try:
        # 1; then 40 at once (the first writes alone, 39 queue behind it: one group); then 7 reads of 2 entries each.
        await writer.write([_entry(0, [])])
        subjects = [str(uuid.uuid4()), str(uuid.uuid4())]
        await asyncio.gather(*(writer.write([_entry(n, subjects if n % 2 else [])]) for n in range(1, 41)))
        await asyncio.gather(*(writer.write([_entry(n, []), _entry(n + 100, [])]) for n in range(41, 48)))
        async with engine.connect() as conn:
            rows = (await conn.execute(select(AuditStaged.object_id, AuditStaged.subject_ids, AuditStaged.detail)
                                       .order_by(AuditStaged.staged_seq))).all()
    finally:
        await engine.dispose()
    order = [int(r.object_id) for r in rows]
    expected = [0, *range(1, 41)] + [m for n in range(41, 48) for m in (n, n + 100)]
    assert order == expected
    assert {tuple(r.subject_ids) for r in rows if int(r.object_id) % 2 and int(r.object_id) < 41} == {tuple(subjects)}
    assert all(r.detail == {"n": int(r.object_id)} for r in rows)


async def test_a_refused_group_fails_every_read_in_it(settings: Settings) -> None:
    engine = create_engine(settings)
    writer = StagingWriter(engine)
    try:
        bad = _entry(1, [])
        bad["action"] = None  # NOT NULL: the database refuses the whole statement
        results = await asyncio.gather(writer.write([_entry(0, [])]), writer.write([bad]),
                                       writer.write([_entry(2, [])]), return_exceptions=True)
        async with engine.connect() as conn:
            staged = (await conn.execute(select(AuditStaged.object_id))).scalars().all()
    finally:
        await engine.dispose()
    assert results[0] is None  # the first wrote alone, before the others queued
    assert all(isinstance(r, Exception) for r in results[1:])  # grouped with the refused entry: no entry, no data
    assert staged == ["0"]  # and nothing of the refused group was written
