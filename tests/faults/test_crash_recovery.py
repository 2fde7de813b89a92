"""kill -9 the server during a stream of transitions: after a restart nothing is half-applied.

Several clients bounce IJAM cases between two tiers (`opschalen` / `afschalen`) through a real
`casusregie serve` process; the process is killed with SIGKILL while requests are in flight, then
started again on the same database. Every case's state and version must agree with its history,
every acknowledged transition must have survived, every transition must have its audit entry (and no
audit entry its missing transition), and `casusregie verify-audit` must pass.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import IS_PG
from tests.overwriting import HOOKS
from tests.serving import Server, casusregie, start_server
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="fault tests need PostgreSQL (set CASUSREGIE_TEST_DATABASE_URL)")

CASES = 6
CLIENTS = 8


class Stream:
    """CLIENTS concurrent clients firing transitions; what the server acknowledged, and anything unexpected."""

    def __init__(self, server: Server, headers: dict[str, str], case_ids: list[str], *, warm_up: int) -> None:
        self.server, self.headers, self.case_ids = server, headers, case_ids
        self.acknowledged: list[tuple[str, int, str]] = []
        self.errors: list[str] = []
        self.warm_up = warm_up
        self.warmed_up = asyncio.Event()
        self.stop = asyncio.Event()
        self.known = {case_id: (1, "netwerkoverleg") for case_id in case_ids}

    async def client(self, offset: int) -> None:
        """Move a case to the other tier, conditional on the version last seen (If-Match); a 412 or 409 means
        another client got there first: reload the case and go on."""
        async with httpx.AsyncClient(event_hooks=HOOKS, base_url=self.server.url, headers=self.headers,
                                     timeout=10) as client:
            for n in itertools.count(offset):
                if self.stop.is_set():
                    return
                case_id = self.case_ids[n % len(self.case_ids)]
                version, state = self.known[case_id]
                trigger = "opschalen" if state == "netwerkoverleg" else "afschalen"
                try:
                    r = await client.post(f"/v1/cases/{case_id}/transitions",
                                          json={"trigger": trigger, "reason": "stroom", "data": {}},
                                          headers={"If-Match": f'"{version}"'})
                    if r.status_code in (409, 412):
                        r = await client.get(f"/v1/cases/{case_id}")
                except httpx.HTTPError:
                    # The server is gone (killed mid-request): only what it acknowledged may be relied on.
                    await asyncio.sleep(0.05)
                    continue
                if r.status_code != 200:
                    self.errors.append(f"{r.status_code}: {r.text[:300]}")
                    continue
                body = r.json()
                if body["version"] > self.known[case_id][0]:
                    self.known[case_id] = (body["version"], body["state"])
                if r.request.method == "POST":
                    self.acknowledged.append((case_id, body["version"], body["state"]))
                    if len(self.acknowledged) >= self.warm_up:
                        self.warmed_up.set()


async def _case_rows(db_url: str) -> dict[str, Any]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            cases = {str(r.id): r for r in (await conn.execute(text("SELECT id, state, version FROM casus")))}
            history = (await conn.execute(text(
                "SELECT case_id, version, from_state, to_state, trigger FROM casus_transition "
                "ORDER BY case_id, version"))).all()
            audited = (await conn.execute(text(
                "SELECT case_id, detail FROM audit_log WHERE action = 'case:transition' AND outcome = 'allowed'"
            ))).all()
    finally:
        await engine.dispose()
    return {"cases": cases, "history": history, "audited": audited}


async def test_kill_during_transition_stream_leaves_no_half_applied_transition(
    world: World, db_url: str, tmp_path: Path
) -> None:
    case_ids = [(await world.case("ijam", initial_state="netwerkoverleg"))["id"] for _ in range(CASES)]
    log = tmp_path / "server.log"
    server = await asyncio.to_thread(start_server, db_url, log)
    stream = Stream(server, world.regisseur, case_ids, warm_up=60)
    clients = [asyncio.create_task(stream.client(i)) for i in range(CLIENTS)]
    try:
        await asyncio.wait_for(stream.warmed_up.wait(), timeout=60)
        await asyncio.to_thread(server.kill)  # with CLIENTS requests in flight
    finally:
        stream.stop.set()
        await asyncio.gather(*clients)
        server.kill()
    assert stream.errors == [], stream.errors[:5]
    acknowledged = stream.acknowledged
    assert server.process.returncode == -9

    # Restart on the same database: it must come up ready, with every lock released.
    server = await asyncio.to_thread(start_server, db_url, log)
    try:
        rows = await _case_rows(db_url)
        history: dict[str, list[Any]] = {}
        for row in rows["history"]:
            history.setdefault(str(row.case_id), []).append(row)
        audited: dict[str, set[int]] = {}
        for row in rows["audited"]:
            detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail)
            audited.setdefault(str(row.case_id), set()).add(int(detail["version"]))

        transitions = 0
        for case_id in case_ids:
            case, steps = rows["cases"][case_id], history[case_id]
            assert [s.version for s in steps] == list(range(1, case.version + 1)), case_id
            assert steps[-1].to_state == case.state, case_id
            assert all(b.from_state == a.to_state for a, b in itertools.pairwise(steps)), case_id
            assert {s.trigger for s in steps[1:]} <= {"opschalen", "afschalen"}
            # Each transition has exactly its audit entry: no change without entry, no entry without change.
            assert audited.get(case_id, set()) == {s.version for s in steps[1:]}, case_id
            transitions += len(steps) - 1
        assert transitions >= len(acknowledged)

        # What the server acknowledged before it died is durable.
        committed = {(str(r.case_id), r.version): r.to_state for r in rows["history"]}
        lost = [a for a in acknowledged if committed.get((a[0], a[1])) != a[2]]
        assert lost == [], lost[:5]

        verdict = json.loads(await asyncio.to_thread(casusregie, "verify-audit", database_url=db_url))
        assert verdict["valid"] is True, verdict

        # The restarted server serves every case: no lock or connection was left behind.
        async with httpx.AsyncClient(event_hooks=HOOKS, base_url=server.url, headers=world.regisseur,
                                     timeout=15) as client:
            for case_id in case_ids:
                state = rows["cases"][case_id].state
                trigger = "opschalen" if state == "netwerkoverleg" else "afschalen"
                r = await client.post(f"/v1/cases/{case_id}/transitions",
                                      json={"trigger": trigger, "reason": "na herstart", "data": {}})
                assert r.status_code == 200, r.text
                assert r.json()["version"] == rows["cases"][case_id].version + 1
            r = await client.get("/v1/audit/verify", headers=world.h("zvh-mh", "auditor"))
            assert r.status_code == 200 and r.json()["valid"] is True, r.text
    finally:
        server.stop()
    assert "unhandled error" not in server.log()
