"""One worker process of a verification on PostgreSQL: `python -m app.audit.verification.worker`,
started by `pool.WorkerPool` and never imported by the package.

Protocol, one JSON document per line: it reads the settings (asyncpg.connect arguments, by pipe rather
than argv since they hold credentials, and the coordinator's exported snapshot) and answers
{"ready": true} or {"error": ...}; then it reads chunks {"lo", "hi"} and answers each with
{"segment": Segment.as_json()} or {"error": ...}, until its stdin is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import sys
from typing import Any

import asyncpg

from app.audit.verification.copy_stream import JsonCache, _verify_segment


async def _worker_main() -> int:
    """One JSON line of settings, then one line per chunk, one result line each."""
    gc.disable()  # a short-lived process making only acyclic garbage
    reader = asyncio.StreamReader(limit=2**20)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer

    def reply(message: dict[str, Any]) -> None:
        out.write(json.dumps(message).encode() + b"\n")
        out.flush()

    first = await reader.readline()
    if not first:
        return 0  # started ahead and not needed after all
    settings = json.loads(first)
    try:
        conn = await asyncpg.connect(**settings["connect"])
        # The same snapshot as the coordinator's transaction: one consistent state of the log.
        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        await conn.execute(f"SET TRANSACTION SNAPSHOT '{_snapshot_id(settings['snapshot'])}'")
    except Exception as exc:
        reply({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    reply({"ready": True})
    cache: JsonCache = {}
    try:
        while line := await reader.readline():
            chunk = json.loads(line)
            try:
                seg = await _verify_segment(conn, int(chunk["lo"]), int(chunk["hi"]), cache)
            except Exception as exc:
                reply({"error": f"{type(exc).__name__}: {exc}"})
                return 1
            reply({"segment": seg.as_json()})
    finally:
        with contextlib.suppress(Exception):
            await conn.close(timeout=5)
    return 0


def _snapshot_id(value: str) -> str:
    if not re.fullmatch(r"[0-9A-Fa-f-]+", value):
        raise ValueError("unexpected snapshot id")
    return value


if __name__ == "__main__":
    sys.exit(asyncio.run(_worker_main()))
