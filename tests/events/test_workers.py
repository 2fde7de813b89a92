"""Several workers, and a worker killed with kill -9 mid-batch (issue 14): on PostgreSQL, where workers run side
by side. Two workers over 200 events deliver each exactly once; a killed worker's claimed deliveries are sent
again by the next one after their lease, so nothing is lost (at least once, same event id)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.events import outbox
from app.events.delivery import DeliveryConfig, events_pass
from app.events.models import Delivery, OutboxEvent
from app.events.types import DeliveryStatus, EventType
from app.kit import clock, deferred_writes
from app.kit.database import Database
from tests.conftest import IS_PG, make_settings
from tests.events.receiver import Receiver
from tests.serving import CASUSREGIE, PROJECT_DIR, server_env
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="workers side by side: PostgreSQL's SKIP LOCKED")


async def _events(app: Any, world: World, receiver: Receiver, n: int) -> dict[str, Any]:
    """A politie subscription, a case politie takes part in, and `n` events about it in the outbox."""
    r = await world.client.post("/v1/subscriptions", json={"url": receiver.url, "event_types": ["case.transitioned"]},
                                headers=world.h("politie", "melder"))
    assert r.status_code == 201, r.text
    case = await world.case("woonoverlast", participants=("politie",))
    async with app.state.db.sessionmaker() as session, session.begin():
        outbox.emit_many(session, [
            outbox.row(EventType.case_transitioned, case["id"], {"case_id": case["id"], "n": i},
                       case_id=uuid.UUID(case["id"]))
            for i in range(n)])
        await deferred_writes.send(session)
    sub: dict[str, Any] = r.json()
    return sub


async def _statuses(db: Database) -> dict[str, int]:
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all()
    return {str(status): n for status, n in rows}


async def test_two_workers_deliver_each_of_200_events_exactly_once(
    world: World, app: Any, receiver: Receiver, db_url: str
) -> None:
    await _events(app, world, receiver, 200)
    receiver.delay = 0.01
    config = DeliveryConfig.of(app.state.settings)
    workers = [Database(make_settings(db_url)) for _ in range(2)]

    async def work(db: Database) -> dict[str, int]:
        """A worker's loop, until every delivery is done."""
        total: dict[str, int] = {}
        while (await _statuses(db)).get("delivered", 0) < 200 or not total:
            for status, n in (await events_pass(db, config)).items():
                total[status] = total.get(status, 0) + n
            await asyncio.sleep(0.01)
            if (await _statuses(db)).get("delivered", 0) == 200:
                break
        return total

    try:
        results = await asyncio.wait_for(asyncio.gather(*(work(db) for db in workers)), timeout=120)
    finally:
        for db in workers:
            await db.dispose()
    ids = [hit.headers["webhook-id"] for hit in receiver.hits]
    assert len(ids) == 200 and len(set(ids)) == 200
    assert sum(r.get("delivered", 0) for r in results) == 200
    assert all(r.get("delivered", 0) > 0 for r in results), results  # both took part
    assert await _statuses(app.state.db) == {"delivered": 200}
    async with app.state.db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(OutboxEvent.dispatched_at.is_(None))) == 0


async def test_a_worker_killed_mid_batch_loses_nothing(
    world: World, app: Any, receiver: Receiver, db_url: str
) -> None:
    sub = await _events(app, world, receiver, 40)
    receiver.delay = 0.4  # slow enough that the kill comes with deliveries claimed and in flight
    env = server_env(db_url, CASUSREGIE_WEBHOOK_ALLOW="127.0.0.1", CASUSREGIE_EVENT_POLL_INTERVAL="0.2",
                     CASUSREGIE_WORKER_INTERVAL="3600")
    proc = await asyncio.to_thread(subprocess.Popen, [CASUSREGIE, "worker"], env=env, cwd=PROJECT_DIR,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1500):  # up to 30 s: a worker process starting on a loaded machine takes seconds
            await asyncio.sleep(0.02)
            if receiver.arrived >= 12:  # its second batch is on the wire, waiting for answers
                break
        assert receiver.arrived >= 12, "the worker sent too little before the kill"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        await asyncio.to_thread(proc.wait, 10)
    before = await _statuses(app.state.db)
    assert before.get("pending", 0) > 0, before  # it died with work left, some of it leased
    receiver.delay = 0
    config = DeliveryConfig.of(app.state.settings)
    # The next worker delivers what the dead one had not claimed, and leaves what it held until the lease ends.
    await events_pass(app.state.db, config)
    held = (await _statuses(app.state.db)).get("pending", 0)
    assert held > 0
    with clock.frozen(clock.now() + config.lease + timedelta(seconds=1)):
        assert await events_pass(app.state.db, config) == {"delivered": held}
    assert await _statuses(app.state.db) == {DeliveryStatus.delivered.value: 40}
    got = {hit.verified(sub["secret"])["id"] for hit in receiver.hits}
    async with app.state.db.sessionmaker() as session:
        written = {str(i) for i in (await session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.type == EventType.case_transitioned.value))).all()}
    assert got == written  # every event arrived; a repeat carries the same id
