"""`casusregie worker`: the long-running process beside `serve` (issue 14; issue 11: the audit chainer off the
request processes).

Every CASUSREGIE_WORKER_INTERVAL seconds (60) it applies the ladders' stagnation rules to the cases past their
deadline (app/cases/deadlines.py: each case in its own transaction, each deadline once). Every
CASUSREGIE_EVENT_POLL_INTERVAL seconds (1) it fans new events out to the subscriptions and delivers what is due
(app/events/delivery.py). Every CASUSREGIE_RETENTION_INTERVAL seconds (a day), while CASUSREGIE_RETENTION_ENABLED
(true), it destroys the personal data of closed cases past their retention term (app/retention). And it runs the
audit ledger: it stands for the chainer's election (PostgreSQL, deferred chaining), chains
what requests staged and signs the checkpoints. With CASUSREGIE_AUDIT_CHAINER_IN_SERVE=false the `serve`
processes leave that to the worker, so chaining never takes CPU from a request; with the default (true) they
stand for the election too and whichever process holds the lock chains (a worker may still run: it then
takes over when no serve process holds the lock). SIGTERM or SIGINT stops it after a last drain and
checkpoint; `--once` chains what is staged, signs, and exits (cron, tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime

from app.audit.ledger import Ledger
from app.cases import deadlines
from app.config import Settings
from app.events import outbox
from app.events.delivery import DeliveryConfig, events_pass
from app.kit import clock
from app.kit.database import Database
from app.retention import destruction
from app.unit_of_work import unit_of_work
from app.workflows import release_dates

log = logging.getLogger("casusregie.worker")


async def deadline_pass(db: Database, *, now: datetime | None = None, batch: int = 200) -> list[deadlines.DeadlineAct]:
    """One pass over the overdue cases: each in its own transaction (a failure leaves the others done)."""
    now = now or clock.now()
    async with db.sessionmaker() as session:
        candidates = await deadlines.overdue(session, now, batch)
    acts = []
    for case_id in candidates:
        try:
            async with unit_of_work(db) as session:
                done = await deadlines.act(session, case_id, now)
        except Exception:
            log.exception("worker: a deadline failed; the next pass retries it", extra={"case_id": str(case_id)})
            continue
        if done is not None:
            acts.append(done)
            log.info("worker: deadline", extra={"case_id": str(done.case_id), "action": done.action})
    return acts


async def deadline_loop(db: Database, interval: float, stop: asyncio.Event) -> None:
    """A pass every `interval` seconds until `stop` (the worker's loop; `casusregie demo` runs it in-process)."""
    while not stop.is_set():
        await deadline_pass(db)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def retention_pass(db: Database, *, now: datetime | None = None, dry_run: bool = False
                         ) -> list[destruction.Due]:
    """The cases past their retention term at `now`; unless `dry_run`, each destroyed in its own transaction (a
    failure leaves the others done, the next pass retries it). Returns what was due (dry run) or destroyed."""
    now = now or clock.now()
    async with db.sessionmaker() as session:
        due = await destruction.review(session, now)
    if dry_run:
        return due
    async with unit_of_work(db) as session:
        purged = await destruction.purge_expired_receipts(session, now)
    if purged:
        log.info("worker: expired idempotency records deleted", extra={"rows": purged})
    done = []
    for item in due:
        try:
            async with unit_of_work(db) as session:
                destroyed = await destruction.destroy(session, item.case_id, now)
        except Exception:
            log.exception("worker: a destruction failed; the next pass retries it",
                          extra={"case_id": str(item.case_id)})
            continue
        if destroyed is not None:
            done.append(item)
    return done


async def retention_loop(db: Database, interval: float, stop: asyncio.Event) -> None:
    """A retention pass every `interval` seconds (daily) until `stop`; a failing pass is logged and retried."""
    while not stop.is_set():
        try:
            done = await retention_pass(db)
            log.info("worker: retention pass", extra={"destroyed": len(done)})
        except Exception:
            log.exception("worker: a retention pass failed; the next pass retries")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def events_loop(db: Database, config: DeliveryConfig, interval: float, stop: asyncio.Event) -> None:
    """Fan out and deliver events every `interval` seconds until `stop`; a failing pass is logged and retried
    (what it left undone stays in the outbox and the deliveries, nothing is lost)."""
    while not stop.is_set():
        try:
            done = await events_pass(db, config)
            if done:
                log.info("worker: deliveries", extra={"deliveries": done})
        except Exception:
            log.exception("worker: an events pass failed; the next pass retries")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def run(settings: Settings, *, once: bool) -> int:
    outbox.configure(settings.event_source)
    release_dates.configure(settings)
    config = DeliveryConfig.of(settings)
    db = Database(settings)
    ledger = Ledger(settings, db)
    try:
        if once:
            await deadline_pass(db)
            if settings.retention_enabled:
                await retention_pass(db)
            done = await events_pass(db, config)
            chained = await ledger.run_once()
            log.info("worker: one pass", extra={"chained": chained, "deliveries": done})
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await ledger.start()
        log.info("worker: started")
        loops = [deadline_loop(db, settings.worker_interval, stop),
                 events_loop(db, config, settings.event_poll_interval, stop)]
        if settings.retention_enabled:
            loops.append(retention_loop(db, settings.retention_interval, stop))
        await asyncio.gather(*loops)
        log.info("worker: stopping")
        await ledger.stop()
        return 0
    finally:
        await db.dispose()
