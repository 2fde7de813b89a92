"""`serve` on PostgreSQL runs its audit work on a thread of its own (app/audit/audit_thread.py): the chainer, and
the group writes of reads' entries to staging. A read still answers only once its entry is committed, from that
thread, and fails closed when the entry cannot be written; at shutdown the thread chains what is staged and ends.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import create_async_engine

from app.audit.audit_thread import AuditThread
from app.main import create_app
from tests.conftest import IS_PG, asgi_client, make_settings, token_factory
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="deferred chaining on its own thread is PostgreSQL's")


async def _count(db_url: str, sql: str) -> int:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(sql))).scalar_one())
    finally:
        await engine.dispose()


async def test_reads_stage_on_the_audit_thread_and_answer_once_durable(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, audit_checkpoint_dir=tmp_path / "checkpoints")
    app = create_app(settings)
    auth = token_factory(settings)
    staging_threads: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO audit_staging"):
            staging_threads.append(threading.current_thread().name)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        async with app.router.lifespan_context(app), asgi_client(app, timeout=30) as client:
            assert isinstance(app.state.ledger, AuditThread)
            assert "audit-ledger" in {t.name for t in threading.enumerate()}
            world = await World(client, auth).setup()
            case = await world.case("ijam")
            staging_threads.clear()

            async def read(_: int) -> int:
                r = await client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)
                # Durable before the answer: committed, so visible to another connection right now.
                entries = await _count(db_url, "SELECT (SELECT count(*) FROM audit_staging WHERE action = 'case:read')"
                                               " + (SELECT count(*) FROM audit_log WHERE action = 'case:read')")
                assert entries >= 1
                return r.status_code

            assert await asyncio.wait_for(asyncio.gather(*(read(i) for i in range(16))), timeout=30) == [200] * 16
            assert staging_threads and set(staging_threads) == {"audit-ledger"}
        # Shutdown: the thread chained what was staged and ended.
        assert "audit-ledger" not in {t.name for t in threading.enumerate()}
        assert await _count(db_url, "SELECT count(*) FROM audit_staging") == 0
        assert await _count(db_url, "SELECT count(*) FROM audit_log WHERE action = 'case:read'") == 16
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
        await app.state.db.dispose()


async def test_a_read_whose_entry_cannot_be_written_fails_closed(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, audit_checkpoint_dir=tmp_path / "checkpoints")
    app = create_app(settings)
    auth = token_factory(settings)
    owner = create_async_engine(db_url)
    try:
        async with app.router.lifespan_context(app), asgi_client(app, timeout=30) as client:
            world = await World(client, auth).setup()
            case = await world.case("ijam", title="Casus die niet mag lekken")
            async with owner.begin() as conn:  # every staged entry refused from now on
                await conn.execute(text("ALTER TABLE audit_staging ADD CONSTRAINT refuse_all CHECK (false) NOT VALID"))
            r = await client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)
            assert r.status_code >= 500 and "niet mag lekken" not in r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            async with owner.begin() as conn:
                await conn.execute(text("ALTER TABLE audit_staging DROP CONSTRAINT refuse_all"))
            r = await client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)
            assert r.status_code == 200 and r.json()["title"] == "Casus die niet mag lekken"
    finally:
        await owner.dispose()
        await app.state.db.dispose()
