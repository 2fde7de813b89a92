"""Running `casusregie serve` as a real process (fault tests, the Schemathesis run) and PostgreSQL databases.

A server started here listens on a free 127.0.0.1 port only, logs to a file, and is always stopped by
the caller (`Server.stop`, or `kill` for a crash). Databases are copies of a migrated template, as in
the `db_url` fixture.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
CASUSREGIE = str(Path(sys.executable).parent / "casusregie")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def admin_dsn(url: str) -> str:
    """The asyncpg DSN of the cluster's `postgres` database, for CREATE/DROP DATABASE."""
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


async def create_database(url: str, name: str | None = None, *, template: str | None = None) -> str:
    """A new database on the cluster of `url` (a copy of `template` when given); returns its URL."""
    name = name or f"{make_url(url).database or 'casusregie'}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_dsn(url))
    try:
        if template:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(url, name)


async def drop_database(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(admin_dsn(url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def casusregie(*args: str, database_url: str, timeout: float = 120) -> str:
    """Run the `casusregie` CLI against `database_url`; its stdout (raises on a non-zero exit)."""
    env = server_env(database_url)
    done = subprocess.run([CASUSREGIE, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=PROJECT_DIR, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"casusregie {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASUSREGIE_")}
    env.update(CASUSREGIE_DATABASE_URL=database_url, CASUSREGIE_ENV="development", CASUSREGIE_LOG_LEVEL="WARNING",
               # this server's checkpoints only, outside the working tree
               CASUSREGIE_AUDIT_CHECKPOINT_DIR=tempfile.mkdtemp(prefix="casusregie-checkpoints-"))
    env.update(extra)
    return env


def mint_token(database_url: str, org: str, *roles: str, sub: str | None = None) -> str:
    args = ["token", "--org", org, *(a for r in roles for a in ("--role", r))]
    if sub:
        args += ["--sub", sub]
    return casusregie(*args, database_url=database_url).strip()


@dataclass
class Server:
    """One `casusregie serve` process on 127.0.0.1:port."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback, connections simply vanish (a crash)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def start_server(database_url: str, log_path: Path, *, port: int | None = None, ready_timeout: float = 180,
                 require_ready: bool = True, workers: int = 1, **env: str) -> Server:
    """Start `casusregie serve` and wait until it answers (`/readyz` 200, or any answer without require_ready)."""
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [CASUSREGIE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=server_env(database_url, **env), cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log_path)
    deadline = time.monotonic() + ready_timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"casusregie serve exited with {process.returncode}:\n{server.log()[-3000:]}")
        try:
            r = httpx.get(f"{server.url}/readyz", timeout=5)
            if r.status_code == 200 or not require_ready:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"casusregie serve did not become ready in {ready_timeout} s:\n{server.log()[-3000:]}")
        time.sleep(0.1)
