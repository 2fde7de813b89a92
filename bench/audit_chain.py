"""Audit verification at scale: a valid chain of N entries made with the app's own hashing code
(app/audit/hash_chain.py), bulk-inserted with COPY, then `casusregie verify-audit` timed against
raw baselines: streaming the rows (no hashing), hashing alone, a lean asyncpg stream + hash, and the
COPY stream app/audit/verification/ reads (one connection, no hashing: the data path's floor).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from app.audit.hash_chain import GENESIS_HASH, entry_hash
from bench.common import CASUSREGIE, REPO, audit_env, log

COLUMNS = ("seq", "id", "created_at", "actor_sub", "actor_org", "actor_role", "action", "object_type", "object_id",
           "case_id", "subject_ids", "convenant_id", "convenant_version", "legal_basis", "toelichting", "outcome",
           "detail", "request_id", "client_address", "prev_hash", "hash")
JSON_COLUMNS = ("subject_ids", "detail")
SELECT_BATCH = f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"

# The mix of a working day: reads of one case, transitions, list pages (50 case ids each), denials.
MIX = (("case:read", 55), ("case:transition", 30), ("case:list", 10), ("denied", 5))
ORGS = ("zvh-mh", "gemeente", "politie", "woonpunt", "ggz")


def _entries(n: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    actions = [a for a, weight in MIX for _ in range(weight)]
    convenant = uuid.UUID(int=rng.getrandbits(128))
    cases = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(5000)]
    subjects = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(5000)]
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, n + 1):
        at += timedelta(microseconds=rng.randint(1000, 60000))
        kind = rng.choice(actions)
        org = rng.choice(ORGS)
        k = rng.randrange(len(cases))
        base: dict[str, Any] = {
            "id": uuid.UUID(int=rng.getrandbits(128)), "seq": seq, "created_at": at, "actor_sub": f"user-{k % 300}",
            "actor_org": org, "actor_role": "procesregisseur", "action": kind, "object_type": "case",
            "object_id": str(cases[k]), "case_id": cases[k], "subject_ids": [subjects[k]],
            "convenant_id": convenant, "convenant_version": 1, "legal_basis": "Wgs - PGA complexe casuistiek",
            "toelichting": None, "outcome": "allowed", "detail": None,
            "request_id": f"{rng.getrandbits(128):032x}", "client_address": "127.0.0.1",
        }
        if kind == "case:transition":
            base["detail"] = {"trigger": "opschalen", "from": "knooppunt_school", "to": "netwerkoverleg",
                              "version": 1 + seq % 40}
        elif kind == "case:list":
            base.update(object_id=None, case_id=None, subject_ids=[], convenant_id=None, convenant_version=None,
                        legal_basis=None, actor_role="medewerker",
                        detail={"filters": {}, "case_ids": [str(cases[(k + j) % len(cases)]) for j in range(51)]})
        elif kind == "denied":
            base.update(action="case:read", outcome="denied", convenant_id=None, convenant_version=None,
                        legal_basis=None, subject_ids=[], detail={"reason": "no convenant or participation"})
        yield base


async def generate(dsn: str, n: int, chunk: int = 50_000) -> dict[str, Any]:
    """Insert a valid chain of n entries and move the chain head to its end. Returns timings."""
    conn = await asyncpg.connect(dsn)
    prev = GENESIS_HASH
    hash_time = 0.0
    started = time.perf_counter()
    rows: list[tuple[Any, ...]] = []
    try:
        if await conn.fetchval("SELECT count(*) FROM audit_log"):
            raise RuntimeError("the audit benchmark needs an empty audit_log")

        async def flush() -> None:
            await conn.copy_records_to_table("audit_log", records=rows, columns=list(COLUMNS))
            rows.clear()

        for fields in _entries(n):
            t0 = time.perf_counter()
            digest = entry_hash(prev, fields)
            hash_time += time.perf_counter() - t0
            values = [json.dumps(fields[c]) if c in JSON_COLUMNS else fields[c] for c in COLUMNS[:-2]]
            rows.append((*values, prev, digest))
            prev = digest
            if len(rows) >= chunk:
                await flush()
                if fields["seq"] % (chunk * 4) == 0:
                    log(f"  audit: {fields['seq']:,} entries written")
        if rows:
            await flush()
        await conn.execute("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1", n, prev)
        generated = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE audit_log")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('audit_log'))")
    finally:
        await conn.close()
    return {"entries": n, "generate_and_copy_s": round(generated, 1), "hash_alone_s": round(hash_time, 2),
            "hash_alone_entries_per_s": round(n / hash_time), "table_size": size, "last_hash": prev}


def verify_cli(database_url: str, profile_to: str | None = None, *, checkpoint_dir: Path | None = None
               ) -> dict[str, Any]:
    """`casusregie verify-audit` as an operator runs it (process start-up included). With `checkpoint_dir` (the
    servers' CASUSREGIE_AUDIT_CHECKPOINT_DIR, development mode: the key beside it), the chain is also held
    against the signed checkpoints; exit status 1 (invalid) is reported, not raised."""
    env = (audit_env(database_url, checkpoint_dir) if checkpoint_dir is not None
           else dict(os.environ, CASUSREGIE_DATABASE_URL=database_url, CASUSREGIE_LOG_LEVEL="WARNING"))
    cmd = [CASUSREGIE, "verify-audit"]
    if profile_to:
        # --subprocesses: the hashing happens in verify-audit's worker processes.
        cmd = [str(REPO / ".venv" / "bin" / "py-spy"), "record", "--nonblocking", "--subprocesses", "--rate", "200",
               "--format", "raw", "-o", profile_to, "--", *cmd]
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode not in (0, 1) or not lines:
        raise RuntimeError(f"verify-audit failed ({proc.returncode}): {proc.stdout[-500:]} {proc.stderr[-2000:]}")
    result = json.loads(lines[-1])
    out = {"elapsed_s": round(elapsed, 2), "entries": result["entries"], "valid": result["valid"],
           "entries_per_s": round(result["entries"] / elapsed)}
    for key in ("staged", "checkpoints_checked", "newest_checkpoint", "contradicted_checkpoint", "first_invalid_seq",
                "reason"):
        if result.get(key) is not None:
            out[key] = result[key]
    return out


async def verify_in_process(database_url: str) -> dict[str, Any]:
    """app.audit.verification.verify_chain() itself, without process start-up."""
    from app.audit.verification import verify_chain
    from app.config import Settings
    from app.kit.database import Database

    db = Database(Settings(database_url=database_url, env="development"))
    try:
        started = time.perf_counter()
        async with db.sessionmaker() as session:
            result = await verify_chain(session)
        elapsed = time.perf_counter() - started
    finally:
        await db.dispose()
    return {"elapsed_s": round(elapsed, 2), "entries": result.entries, "valid": result.valid,
            "entries_per_s": round(result.entries / elapsed)}


async def _json_conn(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    return conn


async def raw_stream(dsn: str, *, batch: int = 5000, hashing: bool) -> dict[str, Any]:
    """Stream every row in seq order, in batches of `batch` (as verify_chain did before app/audit/verification/);
    with `hashing`, also recompute each hash with entry_hash and check the links."""
    conn = await _json_conn(dsn)
    count, last, prev, valid = 0, 0, GENESIS_HASH, True
    try:
        started = time.perf_counter()
        while True:
            rows = await conn.fetch(SELECT_BATCH, last, batch)
            if not rows:
                break
            if hashing:
                for r in rows:
                    fields = dict(r)
                    if r["prev_hash"] != prev or entry_hash(prev, fields) != r["hash"]:
                        valid = False
                    prev = r["hash"]
            count += len(rows)
            last = rows[-1]["seq"]
        elapsed = time.perf_counter() - started
    finally:
        await conn.close()
    out: dict[str, Any] = {"elapsed_s": round(elapsed, 2), "entries": count, "entries_per_s": round(count / elapsed)}
    if hashing:
        out["valid"] = valid
    return out


async def raw_copy(dsn: str, connections: int = 1) -> dict[str, Any]:
    """The COPY text stream app/audit/verification/ reads, bytes counted only: what PostgreSQL and the wire cost
    before any hashing. `connections` > 1 splits the seq range as the verifier splits it over its workers
    (here all in one client process, which only counts bytes): PostgreSQL's own ceiling on this machine."""
    from app.audit.verification import copy_stream as verify

    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    received = [0]

    async def sink(data: bytes) -> None:
        received[0] += len(data)

    try:
        last = await conns[0].fetchval("SELECT max(seq) FROM audit_log") or 0
        count = await conns[0].fetchval("SELECT count(*) FROM audit_log")
        bounds = [last * i // connections for i in range(connections + 1)]
        started = time.perf_counter()
        await asyncio.gather(*(conn.copy_from_query(verify._SELECT.format(lo=lo, hi=hi), output=sink, timeout=3600,
                                                    **verify._COPY_OPTIONS)
                               for conn, lo, hi in zip(conns, bounds[:-1], bounds[1:], strict=True)))
        elapsed = time.perf_counter() - started
    finally:
        for conn in conns:
            await conn.close()
    return {"elapsed_s": round(elapsed, 2), "entries": count, "entries_per_s": round(count / elapsed),
            "mib": round(received[0] / 2**20), "connections": connections}
