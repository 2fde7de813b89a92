"""`casusregie worker`: the long-running process beside `serve` (issue 14 builds on it; issue 11: the audit
chainer off the request processes).

Today it runs the audit ledger: it stands for the chainer's election (PostgreSQL, deferred chaining), chains
what requests staged and signs the checkpoints. With CASUSREGIE_AUDIT_CHAINER_IN_SERVE=false the `serve`
processes leave that to the worker, so chaining never takes CPU from a request; with the default (true) they
stand for the election too and whichever process holds the lock chains (a worker may still run: it then
takes over when no serve process holds the lock). SIGTERM or SIGINT stops it after a last drain and
checkpoint; `--once` chains what is staged, signs, and exits (cron, tests).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from app.audit.ledger import Ledger
from app.config import Settings
from app.kit.database import Database

log = logging.getLogger("casusregie.worker")


async def run(settings: Settings, *, once: bool) -> int:
    db = Database(settings)
    ledger = Ledger(settings, db)
    try:
        if once:
            chained = await ledger.run_once()
            log.info("worker: one pass", extra={"chained": chained})
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await ledger.start()
        log.info("worker: started")
        await stop.wait()
        log.info("worker: stopping")
        await ledger.stop()
        return 0
    finally:
        await db.dispose()
