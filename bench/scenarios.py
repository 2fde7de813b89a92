"""The load scenarios, API and raw side by side: transitions, case list, one-case reads (memory)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from bench import raw
from bench.common import CpuProbe, LoadResult, rss_kib, run_load
from bench.load_client import LoadClient
from bench.seed import LIST_ORG, Tokens


def http_client(base_url: str, concurrency: int) -> LoadClient:
    return LoadClient(base_url, concurrency)


async def connections(dsn: str, n: int) -> list[asyncpg.Connection]:
    return list(await asyncio.gather(*(asyncpg.connect(dsn) for _ in range(n))))


async def close_all(conns: list[asyncpg.Connection]) -> None:
    await asyncio.gather(*(c.close() for c in conns))


async def current_states(dsn: str, case_ids: list[str]) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT id, state FROM casus WHERE id = ANY($1::uuid[])",
                                [uuid.UUID(c) for c in case_ids])
    finally:
        await conn.close()
    return {str(r["id"]): r["state"] for r in rows}


def _owned(case_ids: list[str], concurrency: int) -> list[list[str]]:
    """Client i owns cases i, i+32, …: no two clients ever touch the same case (no 409/412 noise)."""
    owned = [case_ids[i::concurrency] for i in range(concurrency)]
    if any(not o for o in owned):
        raise ValueError(f"need at least {concurrency} cases for {concurrency} clients")
    return owned


def _trigger(state: str) -> str:
    return "opschalen" if state == "knooppunt_school" else "afschalen"


# --- transitions ----------------------------------------------------------------------------------


async def api_transitions(base_url: str, dsn: str, tokens: Tokens, case_ids: list[str], *, concurrency: int,
                          max_requests: int, seconds: float, warmup: float, probe: CpuProbe | None,
                          name: str = "transitions api") -> LoadResult:
    owned = _owned(case_ids, concurrency)
    states = await current_states(dsn, case_ids)
    # Each client owns its cases, so it overwrites whatever version is current (If-Match: *): the same work as a
    # client sending the ETag it last saw, without a read to learn it.
    headers = tokens.headers("zvh-mh", "procesregisseur", sub="bench-regisseur") | {"If-Match": "*"}

    async with http_client(base_url, concurrency) as client:
        async def op(i: int, it: int) -> str:
            cid = owned[i][it % len(owned[i])]
            trigger = _trigger(states[cid])
            resp = await client.post(f"/v1/cases/{cid}/transitions", headers=headers,
                                     json={"trigger": trigger, "reason": f"reden voor {trigger}", "data": {}})
            if resp.status_code == 200:
                states[cid] = resp.json()["state"]
            return str(resp.status_code)

        return await run_load(name, op, concurrency=concurrency, max_requests=max_requests,
                              max_seconds=seconds, warmup_seconds=warmup, cpu_probe=probe)


# The raw transaction shapes (bench/raw.py): name -> (label, audit append of raw.transition or None for R0).
RAW_SHAPES = {
    "R0": ("R0 raw: lean (case FOR UPDATE, UPDATE, transition row, one staged entry)", None),
    "R1": ("R1 raw: the app's statements (case FOR UPDATE with participation and epoch, participants, subjects; "
           "one fused write: case UPDATE + transition + outbox event + staged entry)", "fused"),
    "R1-staging": ("R1': the first issue 11 shape (+ grants read; UPDATE, transition, staged entry apart)", "staging"),
    "R2": ("R2 raw: the app's statements with the pre-issue-11 head-lock append", "headlock"),
    "advisory": ("what-if: head lock behind an advisory lock queue", "advisory"),
    "deferred": ("what-if: the bench's own deferred chain (prototype)", "deferred"),
}


async def raw_transitions(dsn: str, case_ids: list[str], *, concurrency: int, max_requests: int, seconds: float,
                          warmup: float, probe: CpuProbe | None, name: str | None = None,
                          shape: str = "R1") -> LoadResult:
    """A raw transaction shape (RAW_SHAPES) on `concurrency` connections, each client on its own cases.
    "deferred" is the what-if of raw.stage_audit/chain_pending, with one chainer on its own connection beside
    the clients; it is drained after the load, so the chain (and verify-audit) covers every entry. Staged
    entries of R0 and R1 are chained by the running server's chainer, as the app's are."""
    label, append = RAW_SHAPES[shape]
    deferred_chain = shape == "deferred"
    owned = _owned(case_ids, concurrency)
    states = await current_states(dsn, case_ids)
    conns = await connections(dsn, concurrency + deferred_chain)
    stop = asyncio.Event()
    batches: list[int] = []

    async def chainer(conn: asyncpg.Connection) -> None:
        while True:
            n = await raw.chain_pending(conn)
            if n:
                batches.append(n)
            elif stop.is_set():
                return
            else:
                await asyncio.sleep(0.005)

    try:
        task = None
        if deferred_chain:
            await conns[-1].execute(raw.PENDING_DDL)
            task = asyncio.ensure_future(chainer(conns[-1]))
        context = await raw.lean_context(conns[0], [uuid.UUID(c) for c in case_ids]) if append is None else {}

        async def op(i: int, it: int) -> str:
            cid = owned[i][it % len(owned[i])]
            if append is None:
                states[cid] = await raw.lean_transition(conns[i], uuid.UUID(cid), _trigger(states[cid]),
                                                        context[uuid.UUID(cid)])
            elif append == "fused":
                states[cid] = await raw.fused_transition(conns[i], uuid.UUID(cid), _trigger(states[cid]))
            else:
                states[cid] = await raw.transition(conns[i], uuid.UUID(cid), _trigger(states[cid]), append=append)
            return "ok"

        result = await run_load(name or label, op, concurrency=concurrency, max_requests=max_requests,
                                max_seconds=seconds, warmup_seconds=warmup, cpu_probe=probe)
        if task is not None:
            drain_started = time.perf_counter()
            stop.set()
            await task
            result.extra.update(chainer_batches=len(batches), chainer_max_batch=max(batches, default=0),
                                chainer_mean_batch=round(sum(batches) / len(batches), 1) if batches else 0,
                                chainer_drain_ms=round((time.perf_counter() - drain_started) * 1000, 1))
        result.extra["shape"] = shape
        return result
    finally:
        await close_all(conns)


# --- one-case reads ---------------------------------------------------------------------------------------


async def api_reads(base_url: str, tokens: Tokens, case_ids: list[str], *, concurrency: int, max_requests: int,
                    seconds: float, warmup: float, probe: CpuProbe | None,
                    name: str = "GET /v1/cases/{id}: API") -> LoadResult:
    """GET /v1/cases/{id} (authenticated, audited) by the ZVH's regisseur, spread over `case_ids`."""
    headers = tokens.headers("zvh-mh", "procesregisseur", sub="bench-regisseur")
    async with http_client(base_url, concurrency) as client:
        async def op(i: int, it: int) -> str:
            cid = case_ids[(i * 7919 + it) % len(case_ids)]
            return str((await client.get(f"/v1/cases/{cid}", headers=headers)).status_code)

        return await run_load(name, op, concurrency=concurrency, max_requests=max_requests, max_seconds=seconds,
                              warmup_seconds=warmup, cpu_probe=probe)


# --- case list ------------------------------------------------------------------------------------


async def deep_cursor(base_url: str, tokens: Tokens, pages: int, limit: int) -> tuple[str, list[str], list[str]]:
    """Follow next_cursor `pages` pages deep; return that cursor, the first page's ids and the deep page's ids."""
    headers = tokens.headers(LIST_ORG, "medewerker")
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
        cursor: str | None = None
        first: list[str] = []
        for n in range(pages):
            params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            resp = await client.get("/v1/cases", params=params, headers=headers)
            resp.raise_for_status()
            page = resp.json()
            if n == 0:
                first = [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                raise RuntimeError(f"only {n + 1} pages; seed more cases")
        deep = (await client.get("/v1/cases", params={"limit": limit, "cursor": cursor}, headers=headers)).json()
    return cursor, first, [c["id"] for c in deep["items"]]


def decode_after(cursor: str) -> tuple[datetime, uuid.UUID]:
    from app.api.pagination import decode_cursor

    key = decode_cursor(cursor)
    assert key is not None
    return datetime.fromisoformat(str(key["t"])), uuid.UUID(str(key["id"]))


async def check_list_equivalence(dsn: str, limit: int, cursor: str, first: list[str], deep: list[str]) -> None:
    """The raw SQL returns exactly the pages the API returns (so the baseline is the same work)."""
    conn = await asyncpg.connect(dsn)
    try:
        for shape in ("app", "previous"):
            raw_first = [str(r["id"]) for r in await raw.list_page(conn, LIST_ORG, limit, None, shape)][:limit]
            raw_deep = [str(r["id"]) for r in await raw.list_page(conn, LIST_ORG, limit, decode_after(cursor),
                                                                  shape)][:limit]
            if raw_first != first or raw_deep != deep:
                raise RuntimeError(f"raw list SQL ({shape} shape) does not return the API's pages")
    finally:
        await conn.close()


async def api_list(base_url: str, tokens: Tokens, cursor: str | None, *, name: str, limit: int, concurrency: int,
                   max_requests: int, seconds: float, warmup: float, probe: CpuProbe | None) -> LoadResult:
    headers = tokens.headers(LIST_ORG, "medewerker")
    params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
    async with http_client(base_url, concurrency) as client:
        async def op(i: int, it: int) -> str:
            resp = await client.get("/v1/cases", params=params, headers=headers)
            if resp.status_code == 200 and len(resp.json()["items"]) != limit:
                return "short-page"
            return str(resp.status_code)

        return await run_load(name, op, concurrency=concurrency, max_requests=max_requests, max_seconds=seconds,
                              warmup_seconds=warmup, cpu_probe=probe)


async def raw_list(dsn: str, cursor: str | None, *, name: str, audited: bool, limit: int, concurrency: int,
                   max_requests: int, seconds: float, warmup: float, probe: CpuProbe | None,
                   shape: str = "app") -> LoadResult:
    after = decode_after(cursor) if cursor else None
    conns = await connections(dsn, concurrency)
    try:
        async def op(i: int, it: int) -> str:
            if audited:
                n = await raw.list_page_audited(conns[i], LIST_ORG, limit, after)
            else:
                n = len(await raw.list_page(conns[i], LIST_ORG, limit, after, shape))
            return "ok" if n == limit else "short-page"

        return await run_load(name, op, concurrency=concurrency, max_requests=max_requests, max_seconds=seconds,
                              warmup_seconds=warmup, cpu_probe=probe)
    finally:
        await close_all(conns)


# --- memory: a long run of one-case reads ----------------------------------------------------------


async def memory_run(base_url: str, tokens: Tokens, case_ids: list[str], worker_pids: list[int], *,
                     concurrency: int, max_requests: int, seconds: float, sample_every: float,
                     warmup_requests: int) -> dict[str, Any]:
    """GET /v1/cases/{id} (authenticated, audited) back to back; RSS of every worker sampled from /proc."""
    headers = tokens.headers("zvh-mh", "procesregisseur", sub="bench-regisseur")
    samples: dict[int, list[tuple[float, int]]] = {pid: [] for pid in worker_pids}
    started = time.perf_counter()
    idle = {pid: rss_kib(pid) for pid in worker_pids}

    def sample() -> None:
        t = round(time.perf_counter() - started, 1)
        for pid in worker_pids:
            kib = rss_kib(pid)
            if kib is not None:
                samples[pid].append((t, kib))

    async with http_client(base_url, concurrency) as client:
        async def op(i: int, it: int) -> str:
            cid = case_ids[(i * 7919 + it) % len(case_ids)]
            return str((await client.get(f"/v1/cases/{cid}", headers=headers)).status_code)

        await run_load("memory warm-up", op, concurrency=concurrency, max_requests=warmup_requests,
                       max_seconds=seconds)
        sample()

        async def sampler() -> None:
            while True:
                await asyncio.sleep(sample_every)
                sample()

        task = asyncio.create_task(sampler())
        try:
            result = await run_load("memory run: GET /v1/cases/{id}", op, concurrency=concurrency,
                                    max_requests=max_requests, max_seconds=seconds)
        finally:
            task.cancel()
        sample()

    per_worker = []
    for pid, points in samples.items():
        kib = [k for _, k in points]
        start, end, peak = kib[0], kib[-1], max(kib)
        per_worker.append({
            "pid": pid, "rss_idle_mib": round((idle[pid] or 0) / 1024, 1), "rss_start_mib": round(start / 1024, 1),
            "rss_end_mib": round(end / 1024, 1), "rss_max_mib": round(peak / 1024, 1),
            "growth_pct": round((end - start) / start * 100, 1),
            "max_over_start_pct": round((peak - start) / start * 100, 1),
            "within_10pct": peak <= start * 1.10, "samples": len(points),
        })
    return {"load": result.as_dict(), "workers": per_worker,
            "samples": {str(pid): pts for pid, pts in samples.items()}}
