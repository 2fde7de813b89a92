"""Signal intake: POST /v1/signals (one signal, Idempotency-Key header) and POST /v1/signals:batch, against
the raw asyncpg inserts of the same rows.

A melder of woonpunt (a partner system) reports woonoverlast on addresses: the shape of
tests/signals/conftest.py. Every signal has a fresh key (intake, not replay). The raw baselines write
the same rows with the app's statement sequence (captured with before_cursor_execute):
- single: one transaction per signal (key claim, subject, signal, stored answer, grant look-up, audit entry);
- batch, same shape: one transaction per batch, the keys claimed and the subjects and signals inserted with one
  `INSERT … SELECT FROM unnest(arrays)` each, as the app does since its set-based rewrite (app/bulk_insert.py);
- batch, savepoint per item: the app's shape before that rewrite (every item a single intake in a SAVEPOINT);
- batch, bulk: one transaction per batch with one executemany per table.
The audit entries are staged (`audit_staging`, issue 11) as the app stages them; the server's chainer chains them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench import raw
from bench.common import CpuProbe, LoadResult, Server, run_load
from bench.scenarios import close_all, connections, http_client
from bench.seed import Tokens

ORG, ROLE, SUB = "woonpunt", "melder", "bench-melder@woonpunt"
BATCH_CONCURRENCY = 8

CLAIM_KEY = ("INSERT INTO signaal_idempotency (organisation, idempotency_key, request_hash, created_at, expires_at) "
             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation, idempotency_key) DO NOTHING "
             "RETURNING organisation")
INSERT_SUBJECT = ("INSERT INTO subject (id, type, name, birth_date, bsn_hash, postcode, house_number, area, match_key, "
                  "member_of, created_at) VALUES ($1, 'adres', NULL, NULL, NULL, $2, $3, NULL, $4, NULL, $5)")
INSERT_SIGNAL = ("INSERT INTO signaal (id, source_organisation, case_type_hint, subject_id, description, category, "
                 "observed_at, external_ref, status, case_id, triage_decision, triage_reason, triaged_by, triaged_at, "
                 "created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ontvangen', NULL, NULL, NULL, "
                 "NULL, NULL, $9, $10)")
STORE_ANSWER = ("UPDATE signaal_idempotency SET response_status = $1, response_body = $2 "
                "WHERE organisation = $3 AND idempotency_key = $4")
# The app's batch shape since the set-based rewrite (app/bulk_insert.py): one statement per table, one array per
# column; the keys are claimed in key order with their answers, the claimed ones come back.
CLAIM_KEYS_UNNEST = (
    "INSERT INTO signaal_idempotency (organisation, idempotency_key, request_hash, created_at, expires_at, "
    "response_status, response_body) SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], "
    "$4::timestamptz[], $5::timestamptz[], $6::int[], $7::json[]) "
    "ON CONFLICT (organisation, idempotency_key) DO NOTHING RETURNING idempotency_key")
INSERT_SUBJECTS_UNNEST = (
    "INSERT INTO subject (id, type, postcode, house_number, match_key, created_at) "
    "SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::timestamptz[])")
INSERT_SIGNALS_UNNEST = (
    "INSERT INTO signaal (id, source_organisation, case_type_hint, subject_id, description, category, observed_at, "
    "external_ref, status, created_by, created_at) SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], "
    "$4::uuid[], $5::text[], $6::varchar[], $7::timestamptz[], $8::varchar[], $9::varchar[], $10::varchar[], "
    "$11::timestamptz[])")


def body(n: int) -> dict[str, Any]:
    return {"case_type_hint": "woonoverlast",
            "subject": {"type": "adres", "postcode": "6211 ab", "house_number": str(1 + n % 900)},
            "description": f"Aanhoudende geluidsoverlast en vervuiling rond de woning (bench {n})",
            "category": "wonen", "observed_at": "2025-03-01T10:00:00Z", "external_ref": f"CRM-{n}"}


async def api_single(base_url: str, tokens: Tokens, *, concurrency: int, max_requests: int, seconds: float,
                     warmup: float, probe: CpuProbe | None) -> LoadResult:
    headers = tokens.headers(ORG, ROLE, sub=SUB)
    run_id = uuid.uuid4().hex[:8]
    async with http_client(base_url, concurrency) as client:
        async def op(i: int, it: int) -> str:
            resp = await client.post("/v1/signals", json=body(i * 1_000_000 + it),
                                     headers=headers | {"Idempotency-Key": f"bench-{run_id}-{i}-{it}"})
            return str(resp.status_code)

        return await run_load("signals single: API", op, concurrency=concurrency, max_requests=max_requests,
                              max_seconds=seconds, warmup_seconds=warmup, cpu_probe=probe)


async def api_batch(base_url: str, tokens: Tokens, *, batch: int, concurrency: int, max_requests: int,
                    seconds: float, warmup: float, probe: CpuProbe | None) -> LoadResult:
    headers = tokens.headers(ORG, ROLE, sub=SUB)
    run_id = uuid.uuid4().hex[:8]
    async with http_client(base_url, concurrency) as client:
        async def op(i: int, it: int) -> str:
            items = [body(i * 1_000_000 + it * batch + k) | {"idempotency_key": f"bench-{run_id}-{i}-{it}-{k}"}
                     for k in range(batch)]
            resp = await client.post("/v1/signals:batch", json={"items": items}, headers=headers)
            if resp.status_code != 200:
                return str(resp.status_code)
            bad = [r["status"] for r in resp.json()["items"] if r["status"] != 201]
            return "200" if not bad else f"item-{bad[0]}"

        result = await run_load(f"signals batch of {batch}: API", op, concurrency=concurrency,
                                max_requests=max_requests, max_seconds=seconds, warmup_seconds=warmup,
                                cpu_probe=probe)
    return _per_signal(result, batch)


def _per_signal(result: LoadResult, batch: int) -> LoadResult:
    result.extra.update(signals_per_s=round(result.rate * batch, 1), batch=batch)
    return result


class _Item:
    """One signal's rows, built as the app builds them."""

    def __init__(self, n: int, key: str) -> None:
        b = body(n)
        self.key = key
        self.now = datetime.now(UTC)
        self.digest = hashlib.sha256(json.dumps(b, sort_keys=True, separators=(",", ":"),
                                                ensure_ascii=False).encode()).hexdigest()
        self.subject_id, self.signal_id = uuid.uuid4(), uuid.uuid4()
        self.postcode, self.house_number = "6211AB", b["subject"]["house_number"]
        self.match_key = f"adres:{self.postcode}:{self.house_number}"
        self.description, self.external_ref = b["description"], b["external_ref"]
        self.observed_at = datetime(2025, 3, 1, 10, tzinfo=UTC)
        self.answer = json.dumps({
            "id": str(self.signal_id), "status": "ontvangen", "source_organisation": ORG,
            "case_type_hint": "woonoverlast", "category": "wonen", "external_ref": self.external_ref,
            "observed_at": "2025-03-01T10:00:00Z", "created_at": self.now.isoformat(), "matches": None})

    async def write(self, conn: asyncpg.Connection) -> None:
        await conn.fetchrow(CLAIM_KEY, ORG, self.key, self.digest, self.now, self.now + timedelta(days=7))
        await conn.execute(INSERT_SUBJECT, self.subject_id, self.postcode, self.house_number, self.match_key, self.now)
        await conn.execute(INSERT_SIGNAL, self.signal_id, ORG, "woonoverlast", self.subject_id, self.description,
                           "wonen", self.observed_at, self.external_ref, SUB, self.now)
        await conn.execute(STORE_ANSWER, 201, self.answer, ORG, self.key)

    def audit(self, grant: asyncpg.Record | None) -> dict[str, Any]:
        return raw.audit_fields(sub=SUB, org=ORG, role=ROLE, action="signal:create", object_type="signal",
                                object_id=self.signal_id, subject_ids=[str(self.subject_id)], grant=grant,
                                detail={"replay": False, "matches": []})


async def _grant(conn: asyncpg.Connection) -> asyncpg.Record | None:
    rows = await conn.fetch(raw.SELECT_GRANTS, ORG, "woonoverlast", date.today())
    return raw.best_grant(rows) if rows else None


async def raw_single_tx(conn: asyncpg.Connection, item: _Item) -> None:
    async with conn.transaction():
        await conn.fetchrow(raw.SELECT_ORGANISATION, ORG)
        await item.write(conn)
        grant = await _grant(conn)
        await raw.stage_entry(conn, item.audit(grant))


async def _write_unnest(conn: asyncpg.Connection, items: list[_Item]) -> None:
    items = sorted(items, key=lambda x: x.key)
    n = len(items)
    async with conn.transaction():  # the SAVEPOINT the app keeps for its per-key fallback
        await conn.fetch(CLAIM_KEYS_UNNEST, [ORG] * n, [it.key for it in items], [it.digest for it in items],
                         [it.now for it in items], [it.now + timedelta(days=7) for it in items], [201] * n,
                         [it.answer for it in items])
        await conn.execute(INSERT_SUBJECTS_UNNEST, [it.subject_id for it in items], ["adres"] * n,
                           [it.postcode for it in items], [it.house_number for it in items],
                           [it.match_key for it in items], [it.now for it in items])
        await conn.execute(INSERT_SIGNALS_UNNEST, [it.signal_id for it in items], [ORG] * n, ["woonoverlast"] * n,
                           [it.subject_id for it in items], [it.description for it in items], ["wonen"] * n,
                           [it.observed_at for it in items], [it.external_ref for it in items], ["ontvangen"] * n,
                           [SUB] * n, [it.now for it in items])


async def raw_batch_tx(conn: asyncpg.Connection, items: list[_Item], *, bulk: bool, unnest: bool = False) -> None:
    async with conn.transaction():
        await conn.fetchrow(raw.SELECT_ORGANISATION, ORG)
        if unnest:
            await _write_unnest(conn, items)
            grant = await _grant(conn)
            grants = [grant] * len(items)
        elif bulk:
            await conn.executemany(CLAIM_KEY, [(ORG, it.key, it.digest, it.now, it.now + timedelta(days=7))
                                               for it in items])
            await conn.executemany(INSERT_SUBJECT, [(it.subject_id, it.postcode, it.house_number, it.match_key,
                                                     it.now) for it in items])
            await conn.executemany(INSERT_SIGNAL, [(it.signal_id, ORG, "woonoverlast", it.subject_id, it.description,
                                                    "wonen", it.observed_at, it.external_ref, SUB, it.now)
                                                   for it in items])
            await conn.executemany(STORE_ANSWER, [(201, it.answer, ORG, it.key) for it in items])
            grant = await _grant(conn)
            grants = [grant] * len(items)
        else:
            items = sorted(items, key=lambda x: x.key)  # the app claims keys in key order
            grants = []
            for it in items:
                async with conn.transaction():  # a SAVEPOINT, as the app's begin_nested()
                    await it.write(conn)
                    grants.append(await _grant(conn))
        await raw.stage_entries(conn, [it.audit(g) for it, g in zip(items, grants, strict=True)])


async def raw_single(dsn: str, *, concurrency: int, max_requests: int, seconds: float, warmup: float,
                     probe: CpuProbe | None) -> LoadResult:
    run_id = uuid.uuid4().hex[:8]
    conns = await connections(dsn, concurrency)
    try:
        async def op(i: int, it: int) -> str:
            await raw_single_tx(conns[i], _Item(i * 1_000_000 + it, f"raw-{run_id}-{i}-{it}"))
            return "ok"

        return await run_load("signals single: raw asyncpg", op, concurrency=concurrency, max_requests=max_requests,
                              max_seconds=seconds, warmup_seconds=warmup, cpu_probe=probe)
    finally:
        await close_all(conns)


async def raw_batch(dsn: str, *, batch: int, bulk: bool, concurrency: int, max_requests: int, seconds: float,
                    warmup: float, probe: CpuProbe | None, unnest: bool = False) -> LoadResult:
    run_id = uuid.uuid4().hex[:8]
    conns = await connections(dsn, concurrency)
    try:
        async def op(i: int, it: int) -> str:
            items = [_Item(i * 1_000_000 + it * batch + k, f"raw-{run_id}-{i}-{it}-{k}") for k in range(batch)]
            await raw_batch_tx(conns[i], items, bulk=bulk, unnest=unnest)
            return "ok"

        kind = ("bulk, unnest() per table (the app's shape)" if unnest else "bulk statements" if bulk
                else "savepoint per item (the app's shape before the set-based rewrite)")
        result = await run_load(f"signals batch of {batch}: raw asyncpg, {kind}", op, concurrency=concurrency,
                                max_requests=max_requests, max_seconds=seconds, warmup_seconds=warmup,
                                cpu_probe=probe)
    finally:
        await close_all(conns)
    return _per_signal(result, batch)


async def measure(server: Server, dsn: str, tokens: Tokens, cfg: Any,
                  probe: Callable[[Server | None], CpuProbe]) -> dict[str, LoadResult]:
    """Every signal intake figure for one server (called by bench/run.py for each worker count)."""
    load = {"max_requests": cfg.max_requests, "seconds": cfg.load_seconds, "warmup": cfg.warmup_seconds}
    batch = cfg.signal_batch
    out: dict[str, LoadResult] = {}
    out["signals_single_raw"] = await raw_single(dsn, concurrency=cfg.concurrency, probe=probe(None), **load)
    out["signals_single_api"] = await api_single(server.base_url, tokens, concurrency=cfg.concurrency,
                                                 probe=probe(server), **load)
    out["signals_batch_raw"] = await raw_batch(dsn, batch=batch, bulk=True, unnest=True,
                                               concurrency=BATCH_CONCURRENCY, probe=probe(None), **load)
    out["signals_batch_raw_savepoints"] = await raw_batch(dsn, batch=batch, bulk=False, concurrency=BATCH_CONCURRENCY,
                                                          probe=probe(None), **load)
    out["signals_batch_raw_bulk"] = await raw_batch(dsn, batch=batch, bulk=True, concurrency=BATCH_CONCURRENCY,
                                                    probe=probe(None), **load)
    out["signals_batch_api"] = await api_batch(server.base_url, tokens, batch=batch, concurrency=BATCH_CONCURRENCY,
                                               probe=probe(server), **load)
    return out
