"""The worker processes of a verification on PostgreSQL, seen from the coordinating process.

Every entry's hash depends only on its own columns (its stored `prev_hash` included), so the seq range
is cut into chunks verified independently by worker processes (`python -m
app.audit.verification.worker`, one database connection each, all reading the snapshot exported by the
caller's transaction). The links between chunks (seq continuity, first `prev_hash` = previous chunk's
last `hash`) and the first problem are settled when the chunk results are merged in seq order
(`result._merge`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from app.audit.verification.result import Segment

# What each worker process runs: `python -m WORKER_MODULE` (app/audit/verification/worker.py).
WORKER_MODULE = "app.audit.verification.worker"


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _WorkerUnavailable(RuntimeError):
    """A worker process could not be started or connected: verify in process instead."""


class _WorkerFailed(RuntimeError):
    """A worker process failed while verifying."""


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise _WorkerFailed(f"audit verification worker exited ({await self.proc.wait()})")
        message: dict[str, Any] = json.loads(line)
        return message

    async def close(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        await self.proc.wait()


class WorkerPool:
    """Worker processes (`python -m app.audit.verification.worker`), started before they are needed if
    the caller likes: they import while the caller connects. Each serves one verification, then is closed."""

    def __init__(self, workers: list[_Worker]) -> None:
        self._workers = workers
        self.size = len(workers)

    @classmethod
    async def start(cls, n: int) -> WorkerPool:
        workers: list[_Worker] = []
        try:
            for _ in range(n):
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", WORKER_MODULE, stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE, limit=2**20)
                workers.append(_Worker(proc))
        except OSError as exc:
            await asyncio.gather(*(w.close() for w in workers))
            raise _WorkerUnavailable(str(exc)) from exc
        return cls(workers)

    async def run(self, connect: dict[str, Any], snapshot: str, chunks: Sequence[tuple[int, int]],
                  n: int) -> list[Segment]:
        ready = await asyncio.gather(*(self._connect(w, connect, snapshot) for w in self._workers[:n]),
                                     return_exceptions=True)
        workers = [w for w, ok in zip(self._workers, ready, strict=False) if ok is True]
        if not workers:
            raise _WorkerUnavailable(str(next(e for e in ready if e is not True)))
        return await _dispatch(workers, chunks)

    @staticmethod
    async def _connect(worker: _Worker, connect: dict[str, Any], snapshot: str) -> bool:
        try:
            await worker.send({"connect": connect, "snapshot": snapshot})  # credentials via a pipe, not argv
            reply = await worker.receive()
        except (_WorkerFailed, OSError, ValueError) as exc:
            raise _WorkerUnavailable(str(exc)) from exc
        if "error" in reply:
            raise _WorkerUnavailable(reply["error"])
        return True

    async def close(self) -> None:
        await asyncio.gather(*(w.close() for w in self._workers))


async def _dispatch(workers: Sequence[_Worker], chunks: Sequence[tuple[int, int]]) -> list[Segment]:
    """Hand chunks out in seq order, two in flight per worker; none past a chunk that found a problem."""
    todo = list(reversed(chunks))
    results: list[Segment] = []
    stop_after: list[int] = []  # lo of the earliest chunk with a problem

    async def run(worker: _Worker) -> None:
        in_flight = 0
        while True:
            while in_flight < 2 and todo and not (stop_after and todo[-1][0] > stop_after[0]):
                lo, hi = todo.pop()
                await worker.send({"lo": lo, "hi": hi})
                in_flight += 1
            if not in_flight:
                return
            reply = await worker.receive()
            in_flight -= 1
            if "error" in reply:
                raise _WorkerFailed(reply["error"])
            seg = Segment.from_json(reply["segment"])
            results.append(seg)
            if seg.problem is not None and (not stop_after or seg.lo < stop_after[0]):
                stop_after[:] = [seg.lo]

    await asyncio.gather(*(run(w) for w in workers))
    return results

