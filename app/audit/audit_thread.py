"""The audit work of a `serve` process on an event loop of its own thread: the chainer, and the group writes
of reads' entries to the staging table (PostgreSQL, deferred chaining).

On the requests' loop each round trip of that work waits behind every request callback that is ready (32
clients on 2 workers: some 16 callbacks of a few ms each). A chainer batch (five round trips) then took
100-400 ms, and a read's entry waited as long for its group write, so the oldest staged entry's age missed the
250 ms target under load (bench/RESULTS.md). On a thread of its own that work waits for the GIL instead, which
the request thread hands over at least every switch interval (5 ms) and whenever it waits for I/O. The CPU cost
is the same: the work still runs under the one GIL.

Only deferred chaining on PostgreSQL runs here: the ledger keeps its own connections there, and the writer gets
an engine of its own on this loop (one connection; a group write is one round trip, one at a time). SQLite's
ledger borrows the app's one connection, which belongs to the requests' loop. The ledger's statistics are plain
counters this thread writes and /metrics reads; CPython's GIL makes each read whole.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.ledger import Ledger, LedgerStats
from app.audit.staging_writer import StagingWriter
from app.kit.database import create_engine


class AuditThread:
    """`Ledger`'s start/stop/stats and a staging writer, with their loop on a thread named `audit-ledger`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._writer: StagingWriter | None = None

    @property
    def stats(self) -> LedgerStats:
        return self.ledger.stats

    async def start(self) -> None:
        """Returns once the ledger has started on its thread; raises what its start raised (a missing key)."""
        started: Future[None] = Future()
        self._thread = threading.Thread(target=self._main, args=(started,), name="audit-ledger", daemon=True)
        self._thread.start()
        await asyncio.wrap_future(started)

    async def stop(self) -> None:
        """Chain what is staged and sign on the thread (Ledger.stop), close the writer's engine, join."""
        if self._thread is None:
            return
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def write(self, rows: list[dict[str, Any]]) -> None:
        """A read's entries into staging, grouped with others' on this thread: returns once they are committed,
        raises if they could not be (the read then fails: no entry, no data)."""
        if self._loop is None or self._writer is None or self._thread is None:
            raise RuntimeError("the audit thread is not running")
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._writer.write(rows), self._loop))

    def _main(self, started: Future[None]) -> None:
        asyncio.run(self._serve(started))

    async def _serve(self, started: Future[None]) -> None:
        self._stop = asyncio.Event()
        engine: AsyncEngine = create_engine(self.ledger.settings.model_copy(
            update={"db_pool_size": 1, "db_max_overflow": 0}))
        try:
            await self.ledger.start()
        except BaseException as exc:
            await engine.dispose()
            started.set_exception(exc)
            return
        self._writer = StagingWriter(engine)
        self._loop = asyncio.get_running_loop()
        started.set_result(None)
        try:
            await self._stop.wait()
            await self.ledger.stop()
        finally:
            await engine.dispose()
