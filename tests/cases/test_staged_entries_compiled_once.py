"""A request with several audit entries stages them in one statement built and compiled once per shape
(app/audit/record.py: one array per column), not a multi-row VALUES compiled again on every request (~3 ms of
CPU each: bench/RESULTS.md). An escalation that brings in a level owner writes three entries: the transition,
the participant and the regie update. PostgreSQL (SQLite chains inline)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats

from tests.audit_helpers import audit_rows
from tests.cases.test_level_owners import ESCALATIE, _ave_at
from tests.conftest import IS_PG
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="staging is PostgreSQL's (SQLite chains inline)")


async def test_several_entries_are_staged_by_one_cached_statement(world: World, app: Any, db_url: str) -> None:
    cases = [await _ave_at(world, "managementniveau") for _ in range(2)]
    staged: list[tuple[int, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool) -> None:
        if "INSERT INTO audit_staging" in statement:
            staged.append((context.cache_hit, parameters))

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "after_cursor_execute", seen)
    try:
        for case in cases:
            r = await world.fire(case["id"], "escaleren", ESCALATIE)
            assert r.status_code == 200, r.text
    finally:
        event.remove(engine, "after_cursor_execute", seen)

    # One staging statement per request, carrying the three entries; the second request found it compiled.
    assert len(staged) == 2
    assert staged[1][0] == CacheStats.CACHE_HIT
    for case in cases:
        entries = [e for e in await audit_rows(db_url, case_id=uuid.UUID(case["id"]))
                   if (e.detail or {}).get("to", (e.detail or {}).get("state")) == "bestuurlijk_niveau"]
        assert sorted(e.action for e in entries) == ["case:transition", "case:update", "participant:create"]
        subjects = sorted(s["id"] for s in case["subjects"])
        # subject_ids, a JSON list in each entry, arrived whole (one array element each, not a second dimension)
        assert all(sorted(map(str, e.subject_ids)) == subjects for e in entries)
        assert [e.detail.get("trigger") for e in entries] == ["escaleren"] * 3
