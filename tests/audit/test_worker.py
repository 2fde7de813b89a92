"""`casusregie worker` chains the audit log off the request processes (issues 11 and 14): with
CASUSREGIE_AUDIT_CHAINER_IN_SERVE=false the serving app only stages, and the worker (a real process, set up
through the environment as an operator would) chains everything and signs the checkpoints; SIGTERM stops it
after a last drain; `--once` is one pass. PostgreSQL only: that is where chaining is deferred."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app.audit.checkpoints import DirectorySink
from app.config import Settings
from app.main import create_app
from tests.conftest import IS_PG, asgi_client, make_settings, token_factory
from tests.serving import CASUSREGIE, PROJECT_DIR, server_env
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="deferred chaining, and so the worker's chainer, is PostgreSQL's")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _counts(url: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        staged = await conn.fetchval("SELECT count(*) FROM audit_staging")
        chained = await conn.fetchval("SELECT count(*) FROM audit_log")
        head = await conn.fetchval("SELECT seq FROM audit_chain_head WHERE id = 1")
        return staged, chained, head
    finally:
        await conn.close()


@pytest.fixture
async def passive(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any, Settings]]:
    """The app as a `serve` process where a worker chains: it stages and never chains itself."""
    settings = make_settings(db_url, audit_chainer_in_serve=False, audit_checkpoint_dir=tmp_path / "checkpoints")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with asgi_client(app) as client:
            yield client, token_factory(settings), settings
    await app.state.db.dispose()


def _worker_env(settings: Settings) -> dict[str, str]:
    return server_env(settings.database_url, CASUSREGIE_AUDIT_CHECKPOINT_DIR=str(settings.audit_checkpoint_dir),
                      CASUSREGIE_LOG_LEVEL="INFO")


async def _traffic(client: httpx.AsyncClient, auth: Any, world: World | None = None) -> World:
    world = world or await World(client, auth).setup()
    case = await world.case("ijam", participants=("gemeente",))
    for trigger in ("opschalen", "afschalen"):
        assert (await world.fire(case["id"], trigger)).status_code == 200
    assert (await client.get(f"/v1/cases/{case['id']}", headers=world.h("gemeente", "medewerker"))).status_code == 200
    return world


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("CASUSREGIE_")]:
        monkeypatch.delenv(key)
    assert Settings().audit_chainer_in_serve is True  # without a worker nothing may stay unchained
    monkeypatch.setenv("CASUSREGIE_AUDIT_CHAINER_IN_SERVE", "false")
    assert Settings().audit_chainer_in_serve is False


async def test_serve_only_stages_and_worker_once_chains_and_signs(passive: Any) -> None:
    client, auth, settings = passive
    await _traffic(client, auth)
    await asyncio.sleep(0.5)  # a chainer in this process would have chained by now
    staged, chained, _ = await _counts(settings.database_url)
    assert staged > 0 and chained == 0
    done = await asyncio.to_thread(subprocess.run, [CASUSREGIE, "worker", "--once"], env=_worker_env(settings),
                                   capture_output=True, text=True, timeout=120, cwd=PROJECT_DIR, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    after = await _counts(settings.database_url)
    assert after == (0, staged, staged)
    latest = DirectorySink(Path(str(settings.audit_checkpoint_dir))).latest()
    assert latest is not None and latest.seq == staged


async def test_a_running_worker_chains_as_requests_come_and_drains_on_sigterm(passive: Any) -> None:
    client, auth, settings = passive
    worker = await asyncio.to_thread(subprocess.Popen, [CASUSREGIE, "worker"], env=_worker_env(settings),
                                     cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        world = await _traffic(client, auth)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            staged, chained, _ = await _counts(settings.database_url)
            if staged == 0 and chained > 0:
                break
            await asyncio.sleep(0.2)
        assert (staged, chained > 0) == (0, True), "the worker did not chain what the requests staged"
        await _traffic(client, auth, world)  # more, then stop at once: the last drain chains it
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    staged, chained, head = await _counts(settings.database_url)
    assert staged == 0 and chained == head
    latest = DirectorySink(Path(str(settings.audit_checkpoint_dir))).latest()
    assert latest is not None and latest.seq == head
    assert b"worker: started" in (worker.stdout.read() if worker.stdout else b"")
