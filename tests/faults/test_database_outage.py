"""Stop PostgreSQL under load: the app answers 503 problem+json quickly, and recovers by itself.

A throwaway cluster of its own (scripts/pg-cluster) is stopped while clients read cases, fire
transitions and poll `/readyz` through a real `casusregie serve` process. While the database is away
every answer must be a 503 problem+json (never a 500, never a hang: each answer within ANSWER_WITHIN
seconds); once it is back, the same process must serve again, with no restart.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from app.kit.migrations_state import upgrade_to_head
from tests.conftest import IS_PG, make_settings, token_factory
from tests.overwriting import HOOKS
from tests.serving import PROJECT_DIR, Server, create_database, start_server
from tests.world import World

PG_CLUSTER = str(PROJECT_DIR / "scripts" / "pg-cluster")
ANSWER_WITHIN = 15.0  # seconds: a request may fail while the database is down, but never hang
HAS_SERVER_BINARIES = any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))

pytestmark = [
    pytest.mark.skipif(not IS_PG, reason="fault tests need PostgreSQL (set CASUSREGIE_TEST_DATABASE_URL)"),
    pytest.mark.skipif(not HAS_SERVER_BINARIES, reason="needs PostgreSQL server binaries for a cluster of its own "
                                                       "(scripts/pg-cluster installs them)"),
]


@dataclass
class Cluster:
    directory: str
    url: str

    def pg(self, command: str) -> None:
        subprocess.run([PG_CLUSTER, command, self.directory], check=True, capture_output=True, timeout=120)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL of this test's own, which it may stop and start (never the suite's shared one)."""
    directory = tempfile.mkdtemp(prefix="casusregie-outage-pg.")
    try:
        url = subprocess.run([PG_CLUSTER, "start", directory], check=True, capture_output=True, text=True,
                             timeout=300).stdout.strip()
        yield Cluster(directory, url)
    finally:
        subprocess.run([PG_CLUSTER, "stop", directory], check=False, capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
async def served(cluster: Cluster, tmp_path: Path) -> AsyncIterator[tuple[Server, str]]:
    url = await create_database(cluster.url, "casusregie_outage")
    await asyncio.to_thread(upgrade_to_head, make_settings(url))
    server = await asyncio.to_thread(start_server, url, tmp_path / "server.log")
    try:
        yield server, url
    finally:
        server.stop()


@dataclass
class Answer:
    phase: str  # the phase the request began in, and the one its answer arrived in
    ended: str
    kind: str
    status: int | None
    seconds: float
    content_type: str = ""
    body: dict = field(default_factory=dict)
    error: str | None = None


class Load:
    """Readers, writers and a readiness probe, each request timed and labelled with the phase it began in."""

    def __init__(self, server: Server, headers: dict[str, str], case_ids: list[str]) -> None:
        self.server, self.headers, self.case_ids = server, headers, case_ids
        self.phase = "up"
        self.answers: list[Answer] = []
        self.stop = asyncio.Event()
        self.known = {case_id: (1, "netwerkoverleg") for case_id in case_ids}

    async def _one(self, client: httpx.AsyncClient, kind: str, method: str, path: str,
                   json: dict | None = None, headers: dict[str, str] | None = None) -> Answer:
        phase, started = self.phase, time.monotonic()
        try:
            r = await client.request(method, path, json=json, headers=headers)
        except httpx.HTTPError as exc:
            answer = Answer(phase, self.phase, kind, None, time.monotonic() - started, error=repr(exc))
        else:
            body = r.json() if r.headers.get("content-type", "").endswith("json") else {}
            answer = Answer(phase, self.phase, kind, r.status_code, time.monotonic() - started,
                            r.headers.get("content-type", ""), body)
        self.answers.append(answer)
        return answer

    async def worker(self, n: int) -> None:
        timeout = httpx.Timeout(ANSWER_WITHIN + 15)
        async with httpx.AsyncClient(event_hooks=HOOKS, base_url=self.server.url, headers=self.headers,
                                     timeout=timeout) as client:
            while not self.stop.is_set():
                case_id = self.case_ids[n % len(self.case_ids)]
                if n % 3 == 0:
                    await self._one(client, "readyz", "GET", "/readyz")
                elif n % 3 == 1:
                    await self._one(client, "read", "GET", f"/v1/cases/{case_id}")
                else:
                    # Move the case to the other tier, conditional on the version last seen; on a 412 or
                    # 409 another worker got there first: reload.
                    version, state = self.known[case_id]
                    trigger = "opschalen" if state == "netwerkoverleg" else "afschalen"
                    a = await self._one(client, "write", "POST", f"/v1/cases/{case_id}/transitions",
                                        {"trigger": trigger, "reason": "last", "data": {}},
                                        headers={"If-Match": f'"{version}"'})
                    if a.status in (409, 412):
                        a = await self._one(client, "read", "GET", f"/v1/cases/{case_id}")
                    if a.status == 200 and a.body["version"] > version:
                        self.known[case_id] = (a.body["version"], a.body["state"])
                await asyncio.sleep(0.02)

    def of(self, phase: str) -> list[Answer]:
        """Requests that began and ended in `phase`."""
        return [a for a in self.answers if a.phase == a.ended == phase]


async def test_database_outage_gives_503_and_recovers_without_restart(
    cluster: Cluster, served: tuple[Server, str]
) -> None:
    server, url = served
    settings = make_settings(url)

    auth = token_factory(settings)
    async with httpx.AsyncClient(event_hooks=HOOKS, base_url=server.url, timeout=30) as client:
        world = await World(client, auth).setup()
        case_ids = [(await world.case("ijam", initial_state="netwerkoverleg"))["id"] for _ in range(4)]

    load = Load(server, world.regisseur, case_ids)
    workers = [asyncio.create_task(load.worker(n)) for n in range(9)]
    try:
        await asyncio.sleep(1.5)
        load.phase = "stopping"
        await asyncio.to_thread(cluster.pg, "pause")
        load.phase = "down"
        await asyncio.sleep(4)
        load.phase = "starting"
        await asyncio.to_thread(cluster.pg, "resume")
        load.phase = "back"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            recent = load.of("back")[-12:]
            if len(recent) == 12 and all(a.status in (200, 409, 412) for a in recent):
                break
            await asyncio.sleep(0.25)
    finally:
        load.stop.set()
        await asyncio.gather(*workers)

    # Nothing hung, nothing failed at the transport, nothing was a 500, in any phase.
    assert [a for a in load.answers if a.error is not None] == []
    slow = [a for a in load.answers if a.seconds > ANSWER_WITHIN]
    assert slow == [], slow[:5]
    assert [a for a in load.answers if a.status == 500] == []

    up = load.of("up")
    assert up and all(a.status in (200, 409, 412) for a in up), {a.status for a in up}

    # While the database is away: 503 problem+json from every endpoint that needs it, /readyz included.
    down = load.of("down")
    assert {a.kind for a in down} == {"readyz", "read", "write"}, [a.kind for a in down]
    wrong = [a for a in down if a.status != 503 or a.content_type != "application/problem+json"
             or a.body.get("status") != 503]
    assert wrong == [], wrong[:5]

    # Back without a restart: the same process serves reads, writes and readiness again.
    assert server.process.poll() is None, "the server process died"
    back = load.of("back")[-12:]
    assert len(back) == 12 and all(a.status in (200, 409, 412) for a in back), [a.status for a in back]
    async with httpx.AsyncClient(event_hooks=HOOKS, base_url=server.url, timeout=15) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        verify = await client.get("/v1/audit/verify", headers=auth("zvh-mh", "auditor"))
        assert verify.status_code == 200 and verify.json()["valid"] is True, verify.text
    assert "unhandled error" not in server.log()
