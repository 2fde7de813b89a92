"""Test fixtures: a fresh, migrated database per test, on SQLite or on PostgreSQL.

Set CASUSREGIE_TEST_DATABASE_URL=postgresql+asyncpg://user@host:port/name to run on PostgreSQL;
without it the suite runs on SQLite. The schema is built once per run by the Alembic migrations
(so the migrations are what is tested) into a template, and each test gets a copy of it: a
PostgreSQL `CREATE DATABASE ... TEMPLATE`, or a copy of the SQLite file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from app.auth.tokens import issue_dev_token
from app.config import Settings
from app.kit.migrations_state import upgrade_to_head
from tests.overwriting import HOOKS

PG_URL = os.environ.get("CASUSREGIE_TEST_DATABASE_URL")
IS_PG = bool(PG_URL)
BACKEND = "postgresql" if IS_PG else "sqlite"


def pytest_report_header(config: pytest.Config) -> str:
    return f"casusregie test database: {BACKEND}" + (", every skip fails the run" if NO_SKIPS else "")


# CASUSREGIE_TEST_NO_SKIPS=1 (.ci/run sets it for the PostgreSQL run): a skipped test fails the session, so
# that a misconfigured CI (no PostgreSQL server binaries, a missing database URL) cannot pass with the
# fault and PostgreSQL-only tests skipped. An expected failure (xfail) is no skip.
NO_SKIPS = os.environ.get("CASUSREGIE_TEST_NO_SKIPS") == "1"
_SKIPPED: list[str] = []


def _skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if NO_SKIPS and report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append(f"{report.nodeid}: {_skip_reason(report)}")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if NO_SKIPS and report.skipped:
        _SKIPPED.append(f"{report.nodeid} (whole module): {_skip_reason(report)}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SKIPPED:
        terminalreporter.section("skipped tests fail this run (CASUSREGIE_TEST_NO_SKIPS=1)", sep="=", red=True)
        for line in _SKIPPED:
            terminalreporter.line(line, red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _SKIPPED and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _pg_admin_dsn(url: str) -> tuple[str, str]:
    u = make_url(url)
    dsn = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    return dsn, u.database or "casusregie_test"


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if IS_PG:
        import asyncio

        assert PG_URL
        dsn, base = _pg_admin_dsn(PG_URL)
        template = f"{base}_template"

        async def recreate() -> None:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{template}"')
            finally:
                await conn.close()

        asyncio.run(recreate())
        url = _with_database(PG_URL, template)
        upgrade_to_head(Settings(database_url=url))
        yield url
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade_to_head(Settings(database_url=url))
        yield url


@pytest.fixture
async def db_url(template_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh migrated database for this test."""
    if IS_PG:
        assert PG_URL
        dsn, base = _pg_admin_dsn(PG_URL)
        name = f"{base}_{uuid.uuid4().hex[:12]}"
        template = make_url(template_url).database
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await conn.close()
        yield _with_database(PG_URL, name)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
    else:
        src = Path(make_url(template_url).database or "")
        dst = tmp_path / "test.db"
        shutil.copyfile(src, dst)
        yield f"sqlite+aiosqlite:///{dst}"


@pytest.fixture
async def empty_db_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty, unmigrated database."""
    if IS_PG:
        assert PG_URL
        dsn, base = _pg_admin_dsn(PG_URL)
        name = f"{base}_e{uuid.uuid4().hex[:11]}"
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        yield _with_database(PG_URL, name)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"


def make_settings(url: str, **overrides: object) -> Settings:
    # Checkpoints of this test's log only: never ./audit-checkpoints of whoever ran a server here before.
    overrides.setdefault("audit_checkpoint_dir", Path(tempfile.mkdtemp(prefix="casusregie-checkpoints-")))
    return Settings(database_url=url, env="development", log_level="WARNING", **overrides)  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    from app.main import create_app

    application = create_app(settings)
    yield application
    await application.state.db.dispose()


def asgi_client(app: object, **kwargs: Any) -> httpx.AsyncClient:
    """A client of `app` in process, from 127.0.0.1. It writes as a client that overwrites deliberately
    (If-Match: *) unless a test sends its own (tests/overwriting.py)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", event_hooks=HOOKS, **kwargs)


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as c:
        yield c


TokenFactory = Callable[..., dict[str, str]]


def token_factory(settings: Settings) -> TokenFactory:
    """auth("zvh-mh", "procesregisseur", sub=...) -> headers with a valid dev token of `settings`."""

    def make(org: str, *roles: str, sub: str | None = None) -> dict[str, str]:
        token = issue_dev_token(settings, org=org, roles=list(roles), sub=sub or f"{roles[0]}@{org}")
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def auth(settings: Settings) -> TokenFactory:
    return token_factory(settings)
