"""The audit ledger's background work in a long-running process: chaining, and signed checkpoints.

One `Ledger` runs in every `casusregie serve` process (and in any other long-running command). With
deferred chaining (PostgreSQL) the processes elect one chainer per database with `pg_try_advisory_lock`
held on a connection of its own; the others stand by and take over within `STANDBY_SECONDS` when it goes
away (the lock dies with its connection, also on `kill -9`). The chainer polls quickly while entries
arrive and backs off to `IDLE_MAX_SECONDS` when idle. Correctness does not depend on the election
(app/audit/chainer.py); it only keeps the chainers from queueing on the head row.

Every `audit_checkpoint_interval` (default 1 s) in which the chain head moved, and at shutdown, the
process that chains (SQLite: the one process) signs a checkpoint {seq, hash, time} with Ed25519 and
writes it to the sinks outside the database: the checkpoint directory and/or the HTTP witness.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from app.audit import chainer
from app.audit.checkpoints import Checkpoint, CheckpointConflict, DirectorySink, Signer, WitnessSink, load_signer
from app.audit.models import AuditChainHead
from app.config import Settings
from app.kit.database import Database

log = logging.getLogger("casusregie.audit")

# The advisory lock key that elects the chainer: any fixed 64-bit number, the same in every process.
CHAINER_LOCK_KEY = 0x6361_7375_7265_6769  # "casuregi"
# While entries arrive, a batch every BUSY_SECONDS: each batch costs the process a fixed ~1 ms of CPU (five
# round trips, the statement's parameters) however few entries it takes, and in `serve` that CPU is taken from
# the requests (under the one GIL, app/audit/audit_thread.py). At 5 ms the chainer took a fifth of a core from one
# worker's requests under load (bench/RESULTS.md); 25 ms batches several times as many entries.
BUSY_SECONDS = 0.025
IDLE_MIN_SECONDS = 0.005
IDLE_MAX_SECONDS = 0.1
STANDBY_SECONDS = 1.0
SHUTDOWN_DRAIN_SECONDS = 5.0
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class LedgerStats:
    """What /metrics shows of this process's ledger (per process, as Prometheus expects)."""

    is_chainer: bool = False
    chained: int = 0
    batches: int = 0
    lag_buckets: list[int] = field(default_factory=lambda: [0] * len(LAG_BUCKETS))
    lag_sum: float = 0.0
    checkpoints: int = 0
    last_checkpoint_seq: int | None = None
    last_checkpoint_unix: float | None = None
    errors: int = 0

    def observe(self, batch: chainer.Batch) -> None:
        self.chained += batch.count
        self.batches += 1
        for lag in batch.lags:
            self.lag_sum += lag
            for i, bound in enumerate(LAG_BUCKETS):
                if lag <= bound:
                    self.lag_buckets[i] += 1


_HEAD = select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)


class Ledger:
    def __init__(self, settings: Settings, db: Database, *, chain: bool = True) -> None:
        """`chain=False` (a `serve` process where `casusregie worker` chains, CASUSREGIE_AUDIT_CHAINER_IN_SERVE=
        false): with deferred chaining on PostgreSQL this process neither stands for the chainer nor signs."""
        self.settings = settings
        self.db = db
        self.deferred = db.deferred_audit
        self.passive = not chain and self.deferred and not db.is_sqlite
        self.stats = LedgerStats()
        self.signer: Signer | None = None
        self.directory: DirectorySink | None = None
        self.witness: WitnessSink | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._engine: AsyncEngine | None = None
        self._leader: AsyncConnection | None = None
        self._signed_seq = -1
        self._signed_at = float("-inf")  # the first round may sign at once

    @property
    def runs_apart(self) -> bool:
        """Deferred chaining on PostgreSQL: the ledger keeps connections of its own (none when passive), never the
        app's, so it and the reads' staging writes can run on a loop of their own (app/audit/audit_thread.py)."""
        return self.deferred and not self.db.is_sqlite

    # -- lifecycle -------------------------------------------------------------------------------------
    async def _open(self) -> None:
        """The signing key, the sinks (and where the directory's checkpoints stand), the election engine."""
        self.signer = load_signer(self.settings)
        directory = self.settings.effective_checkpoint_dir
        self.directory = DirectorySink(directory) if directory is not None else None
        if self.settings.audit_witness_url:
            self.witness = WitnessSink(self.settings.audit_witness_url)
        if self.directory is not None:
            latest = await asyncio.to_thread(self.directory.latest)
            self._signed_seq = latest.seq if latest is not None else -1
        if self.deferred and not self.db.is_sqlite:
            # A connection of its own, outside the request pool: it holds the election lock for as long as
            # this process is the chainer.
            self._engine = create_async_engine(self.settings.database_url, poolclass=NullPool,
                                               connect_args={"timeout": 5, "command_timeout": 30})

    async def start(self) -> None:
        if self.passive:
            return
        await self._open()
        self._task = asyncio.create_task(self._run(), name="audit-ledger")

    async def stop(self) -> None:
        """Chain what is staged (bounded), sign a last checkpoint, give up the chainer's lock."""
        if self.passive:
            return
        self._stopping.set()
        if self._task is not None:
            await self._task
        try:
            if self.deferred:
                conn = await self._chainer_connection()
                if conn is not None:
                    await chainer.drain(conn, deadline_seconds=SHUTDOWN_DRAIN_SECONDS)
                elif self._engine is None:
                    async with self.db.engine.connect() as borrowed:
                        await chainer.drain(borrowed, deadline_seconds=SHUTDOWN_DRAIN_SECONDS)
            await self._checkpoint(force=True)
        except Exception:
            log.exception("audit ledger: final chaining or checkpoint failed")
        finally:
            await self._close()

    async def run_once(self) -> int:
        """One pass for cron or a test (`casusregie worker --once`): chain everything staged, sign a checkpoint.
        Returns the number of entries chained; refuses (RuntimeError) when another process is the chainer."""
        await self._open()
        chained = 0
        try:
            if self._engine is not None:
                conn = await self._chainer_connection()
                if conn is None:
                    raise RuntimeError("another process is the audit chainer")
                chained = await chainer.drain(conn)
            elif self.deferred:
                async with self.db.engine.connect() as borrowed:
                    chained = await chainer.drain(borrowed)
            await self._checkpoint(force=True)
        finally:
            await self._close()
        return chained

    async def _close(self) -> None:
        """Give up the chainer's lock, close the witness client and the election engine."""
        await self._release()
        if self.witness is not None:
            await self.witness.close()
        if self._engine is not None:
            await self._engine.dispose()

    # -- the loop --------------------------------------------------------------------------------------
    async def _run(self) -> None:
        idle = IDLE_MIN_SECONDS
        while not self._stopping.is_set():
            pause = idle
            try:
                if self.deferred:
                    conn = await self._chainer_connection()
                    if conn is None and self._engine is not None:
                        pause = STANDBY_SECONDS  # another process chains
                    else:
                        batch = await self._chain_once(conn)
                        if batch is not None:
                            self.stats.observe(batch)
                            idle = IDLE_MIN_SECONDS
                            pause = 0 if batch.count >= chainer.BATCH else BUSY_SECONDS
                        else:
                            idle = min(idle * 2, IDLE_MAX_SECONDS)
                else:
                    pause = min(self.settings.audit_checkpoint_interval, IDLE_MAX_SECONDS * 5)
                await self._checkpoint(force=False)
            except Exception:
                self.stats.errors += 1
                log.exception("audit ledger: chaining or checkpoint failed; retrying")
                await self._release()
                pause = STANDBY_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=pause)

    async def _chain_once(self, conn: AsyncConnection | None) -> chainer.Batch | None:
        if conn is not None:
            return await chainer.chain_batch(conn)
        # SQLite: the app's one connection, borrowed per batch (holding it would stop every request)
        async with self.db.engine.connect() as borrowed:
            return await chainer.chain_batch(borrowed)

    async def _chainer_connection(self) -> AsyncConnection | None:
        """The connection this process chains on; None when another process is the chainer, or on SQLite
        (one process: always the chainer, on a borrowed connection)."""
        if self._leader is not None:
            return self._leader
        if self._engine is None:
            self.stats.is_chainer = True
            return None
        conn = await self._engine.connect()
        try:
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": CHAINER_LOCK_KEY})).scalar()
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return None
        log.info("audit ledger: this process is the chainer")
        self._leader = conn
        self.stats.is_chainer = True
        return conn

    async def _release(self) -> None:
        conn, self._leader = self._leader, None
        self.stats.is_chainer = False
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()  # closing the session releases the advisory lock

    # -- checkpoints -----------------------------------------------------------------------------------
    async def _checkpoint(self, *, force: bool) -> None:
        if self.signer is None or (self.directory is None and self.witness is None):
            return
        if self.deferred and self._engine is not None and self._leader is None:
            return  # the chainer signs: its head is the one that moved
        if not force and time.monotonic() - self._signed_at < self.settings.audit_checkpoint_interval:
            return
        seq, digest = await self._head()
        self._signed_at = time.monotonic()
        if seq <= 0 or seq == self._signed_seq:
            return
        cp = self.signer.sign(int(seq), str(digest), datetime.now(UTC))
        await self._write(cp)
        self._signed_seq = cp.seq
        self.stats.checkpoints += 1
        self.stats.last_checkpoint_seq = cp.seq
        self.stats.last_checkpoint_unix = time.time()

    async def _head(self) -> tuple[int, str]:
        """The chain head, read on the chainer's own connection when there is one: never from the request pool,
        which a busy process may have exhausted (the chainer must not wait on its requests)."""
        if self._leader is not None:
            async with self._leader.begin():
                seq, digest = (await self._leader.execute(_HEAD)).one()
            return int(seq), str(digest)
        async with self.db.engine.connect() as conn:
            seq, digest = (await conn.execute(_HEAD)).one()
            await conn.rollback()
        return int(seq), str(digest)

    async def _write(self, cp: Checkpoint) -> None:
        if self.directory is not None:
            try:
                await asyncio.to_thread(self.directory.write, cp)
            except CheckpointConflict:
                # Another checkpoint signed this seq with another hash: the log was rewritten under us. Keep
                # both pieces of evidence; verify-audit names the contradiction.
                log.error("audit ledger: a checkpoint for seq %d exists with another hash", cp.seq)
                raise
        if self.witness is not None:
            await self.witness.write(cp)
