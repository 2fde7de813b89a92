"""Run every benchmark once, API and raw baseline side by side, and write the results.

    .venv/bin/python -m bench.run            # full sizes (about 20 minutes on 2 cores)
    .venv/bin/python -m bench.run --quick    # small sizes, to check that everything works (about 3 minutes)

Starts its own throwaway PostgreSQL cluster with scripts/pg-cluster (or uses --database-url, loopback
only), migrates, seeds, serves with `casusregie serve --workers 1` and then `--workers 2`, measures,
stops everything it started and writes OUT/results.json and OUT/summary.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.audit.verification import default_workers as verify_workers
from bench import audit_chain, profile, report, scenarios, seed
from bench.common import (
    REPO,
    CpuProbe,
    LoadResult,
    Server,
    fresh_database,
    loadavg,
    log,
    machine,
    postgres_pids,
)


@dataclass(frozen=True)
class Config:
    concurrency: int = 32
    workers: tuple[int, ...] = (1, 2)
    transition_cases: int = 200
    list_cases: int = 100_000
    list_visible: int = 10_000
    list_limit: int = 50
    deep_pages: int = 100
    load_seconds: float = 30.0
    warmup_seconds: float = 3.0
    max_requests: int = 1_000_000
    memory_requests: int = 100_000
    memory_seconds: float = 1800.0  # a cap: ~85 reads/s on this machine reach 100 000 requests in ~20 min
    memory_workers: int = 2
    memory_sample_every: float = 3.0
    audit_entries: int = 1_000_000
    profile_seconds: int = 20
    latency_seconds: float = 10.0  # one client, first round only: latency without queueing
    signals: bool = True
    signal_batch: int = 100


QUICK = Config(transition_cases=64, list_cases=10_000, list_visible=1_000, deep_pages=10, load_seconds=5.0,
               warmup_seconds=1.0, memory_requests=3_000, memory_seconds=30.0, memory_sample_every=1.0,
               audit_entries=20_000, profile_seconds=5, latency_seconds=3.0)


@dataclass
class Run:
    cfg: Config
    out: Path
    pg_dir: Path | None = None
    results: dict[str, Any] = field(default_factory=dict)

    def probe(self, server: Server | None) -> CpuProbe:
        groups: dict[str, Callable[[], list[int]]] = {}
        if server is not None:
            groups["api server"] = server.all_pids
        if self.pg_dir is not None:
            pg_dir = self.pg_dir
            groups["postgres"] = lambda: postgres_pids(pg_dir)
        return CpuProbe(groups)

    def record(self, section: str, key: str, result: LoadResult | dict[str, Any]) -> None:
        value = result.as_dict() if isinstance(result, LoadResult) else result
        if isinstance(result, LoadResult):
            value["loadavg_after"] = loadavg()
            log(f"  {value['name']}: {value['rate_per_s']}/s p50 {value['p50_ms']} ms p99 {value['p99_ms']} ms "
                f"non-2xx {value['non_2xx']} cpu {value['cpu_utilisation']}")
        self.results.setdefault(section, {})[key] = value


def start_cluster(pg_dir: Path) -> str:
    out = subprocess.run([str(REPO / "scripts" / "pg-cluster"), "start", str(pg_dir)], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def stop_cluster(pg_dir: Path) -> None:
    subprocess.run([str(REPO / "scripts" / "pg-cluster"), "stop", str(pg_dir)], check=False)


async def pg_facts(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        settings = {r["name"]: r["setting"] for r in await conn.fetch(
            "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])",
            ["shared_buffers", "fsync", "synchronous_commit", "max_connections", "wal_level"])}
        return {"version": await conn.fetchval("SHOW server_version"), "settings": settings}
    finally:
        await conn.close()


async def signals_available(base_url: str) -> bool:
    if importlib.util.find_spec("bench.signals") is None or importlib.util.find_spec("app.signals") is None:
        return False
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as client:
        paths = (await client.get("/openapi.json")).json().get("paths", {})
    return "/v1/signals" in paths and "/v1/signals:batch" in paths


async def round_for(run: Run, server: Server, dsn: str, tokens: seed.Tokens, api_cases: list[str],
                    raw_cases: list[str], list_cursor: tuple[str, list[str], list[str]] | None) -> None:
    cfg = run.cfg
    w = server.workers
    sec = f"workers={w}"
    load = {"concurrency": cfg.concurrency, "max_requests": cfg.max_requests, "seconds": cfg.load_seconds,
            "warmup": cfg.warmup_seconds}

    log(f"transitions, {w} worker(s)")
    run.record(sec, "transitions_raw", await scenarios.raw_transitions(dsn, raw_cases, probe=run.probe(None), **load))
    if w == cfg.workers[0]:
        run.record(sec, "transitions_raw_advisory", await scenarios.raw_transitions(
            dsn, raw_cases, probe=run.probe(None), name="transitions raw asyncpg, what-if: advisory lock queue",
            chain="advisory", **load))
        run.record(sec, "transitions_raw_deferred_chain", await scenarios.raw_transitions(
            dsn, raw_cases, probe=run.probe(None), name="transitions raw asyncpg, what-if: chain deferred",
            chain="deferred", **load))
    run.record(sec, "transitions_api", await scenarios.api_transitions(
        server.base_url, dsn, tokens, api_cases, probe=run.probe(server), **load))
    if w == cfg.workers[0] and cfg.latency_seconds:
        one = {"concurrency": 1, "max_requests": cfg.max_requests, "seconds": cfg.latency_seconds,
               "warmup": cfg.warmup_seconds}
        run.record(sec, "transitions_raw_1client", await scenarios.raw_transitions(
            dsn, raw_cases, probe=run.probe(None), name="transitions raw asyncpg, 1 client", **one))
        run.record(sec, "transitions_api_1client", await scenarios.api_transitions(
            server.base_url, dsn, tokens, api_cases, probe=run.probe(server), name="transitions api, 1 client",
            **one))
    if w == 1 and cfg.profile_seconds:
        await profile_during(run, server, "transitions", scenarios.api_transitions(
            server.base_url, dsn, tokens, api_cases, concurrency=cfg.concurrency, max_requests=cfg.max_requests,
            seconds=cfg.profile_seconds + 5, warmup=0, probe=None, name="transitions api (profiled)"))

    log(f"case list, {w} worker(s)")
    assert list_cursor is not None
    cursor = list_cursor[0]
    lim = cfg.list_limit
    for page, cur in (("first", None), ("deep", cursor)):
        run.record(sec, f"list_{page}_raw_read", await scenarios.raw_list(
            dsn, cur, name=f"list {page} page: raw SQL", audited=False, limit=lim, probe=run.probe(None), **load))
        if w == cfg.workers[0]:
            run.record(sec, f"list_{page}_raw_previous", await scenarios.raw_list(
                dsn, cur, name=f"list {page} page: raw SQL, previous IN (subquery) shape", audited=False, limit=lim,
                probe=run.probe(None), shape="previous", **load))
        run.record(sec, f"list_{page}_raw_audited", await scenarios.raw_list(
            dsn, cur, name=f"list {page} page: raw SQL + audit entry", audited=True, limit=lim,
            probe=run.probe(None), **load))
        run.record(sec, f"list_{page}_api", await scenarios.api_list(
            server.base_url, tokens, cur, name=f"list {page} page: API", limit=lim, probe=run.probe(server),
            **load))
    if w == cfg.workers[0] and cfg.latency_seconds:
        one = {"concurrency": 1, "max_requests": cfg.max_requests, "seconds": cfg.latency_seconds,
               "warmup": cfg.warmup_seconds}
        for page, cur in (("first", None), ("deep", cursor)):
            run.record(sec, f"list_{page}_raw_read_1client", await scenarios.raw_list(
                dsn, cur, name=f"list {page} page: raw SQL, 1 client", audited=False, limit=lim,
                probe=run.probe(None), **one))
            run.record(sec, f"list_{page}_api_1client", await scenarios.api_list(
                server.base_url, tokens, cur, name=f"list {page} page: API, 1 client", limit=lim,
                probe=run.probe(server), **one))
    if w == 1 and cfg.profile_seconds:
        await profile_during(run, server, "list", scenarios.api_list(
            server.base_url, tokens, cursor, name="list deep page (profiled)", limit=lim, concurrency=cfg.concurrency,
            max_requests=cfg.max_requests, seconds=cfg.profile_seconds + 5, warmup=0, probe=None))

    if cfg.signals and await signals_available(server.base_url):
        from bench import signals

        log(f"signal intake, {w} worker(s)")
        for key, value in (await signals.measure(server, dsn, tokens, cfg, run.probe)).items():
            run.record(sec, key, value)
    elif cfg.signals:
        run.results.setdefault(sec, {})["signals"] = "not yet measured (app/signals or its routes not available)"


async def profile_during(run: Run, server: Server, key: str, load: Awaitable[LoadResult]) -> None:
    """py-spy on the single worker while `load` (an extra, unmeasured load) runs."""
    log(f"profiling {key} (py-spy, unmeasured extra load)")
    svg, collapsed = run.out / f"profile-{key}.svg", run.out / f"profile-{key}.txt"
    task = asyncio.ensure_future(load)
    await asyncio.sleep(1)
    ok = await profile.record(server.worker_pids()[0], run.cfg.profile_seconds, svg, collapsed)
    await task
    if ok:
        run.results[f"profile_{key}"] = {"svg": svg.name, **profile.top_frames(collapsed)}


async def main_async(run: Run, database_url: str) -> int:
    cfg, out = run.cfg, run.out
    server: Server | None = None
    try:
        log("migrating")
        main_url, dsn = await fresh_database(database_url, "casusregie_bench")
        run.results["postgres"] = await pg_facts(dsn)

        tokens = seed.Tokens()
        server = Server(main_url, cfg.workers[0], out)
        await server.start()
        log("seeding: world through the API")
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as client:
            await seed.seed_world(client, tokens)
            log(f"seeding: {cfg.list_cases:,} cases by COPY ({cfg.list_visible:,} visible to {seed.LIST_ORG})")
            bulk = await seed.bulk_cases(dsn, cfg.list_cases, cfg.list_visible)
            log(f"seeding: {2 * cfg.transition_cases} IJAM cases through the API")
            ijam = await seed.create_ijam_cases(client, tokens, 2 * cfg.transition_cases)
        api_cases, raw_cases = ijam[: cfg.transition_cases], ijam[cfg.transition_cases:]
        run.results["seed"] = asdict(bulk) | {"transition_cases_api": len(api_cases),
                                              "transition_cases_raw": len(raw_cases)}
        list_cursor = await scenarios.deep_cursor(server.base_url, tokens, cfg.deep_pages, cfg.list_limit)
        await scenarios.check_list_equivalence(dsn, cfg.list_limit, *list_cursor)

        for w in cfg.workers:
            if server.workers != w:
                server.stop()
                server = Server(main_url, w, out)
                await server.start()
            await round_for(run, server, dsn, tokens, api_cases, raw_cases, list_cursor)
        server.stop()

        log(f"memory: {cfg.memory_requests:,} requests or {cfg.memory_seconds:.0f} s, "
            f"{cfg.memory_workers} worker(s)")
        server = Server(main_url, cfg.memory_workers, out)
        await server.start()
        run.results["memory"] = await scenarios.memory_run(
            server.base_url, tokens, api_cases, server.worker_pids(), concurrency=cfg.concurrency,
            max_requests=cfg.memory_requests, seconds=cfg.memory_seconds, sample_every=cfg.memory_sample_every,
            warmup_requests=min(2000, cfg.memory_requests // 10))
        for wk in run.results["memory"]["workers"]:
            log(f"  worker {wk['pid']}: RSS {wk['rss_start_mib']} -> {wk['rss_end_mib']} MiB "
                f"(max {wk['rss_max_mib']}), within 10%: {wk['within_10pct']}")
        server.stop()

        log("verify-audit on the benchmark database (every API and raw write above is in its chain)")
        run.results["audit_after_load"] = await asyncio.to_thread(audit_chain.verify_cli, main_url)
        log(f"  {run.results['audit_after_load']}")

        log(f"audit verification: generating {cfg.audit_entries:,} chained entries")
        audit_url, audit_dsn = await fresh_database(database_url, "casusregie_bench_audit")
        audit: dict[str, Any] = {"generate": await audit_chain.generate(audit_dsn, cfg.audit_entries)}
        log(f"  {audit['generate']}")
        audit["raw_stream"] = await audit_chain.raw_stream(audit_dsn, hashing=False)
        audit["raw_copy"] = await audit_chain.raw_copy(audit_dsn)
        audit["raw_copy_parallel"] = await audit_chain.raw_copy(audit_dsn, connections=verify_workers())
        audit["verify_cli"] = await asyncio.to_thread(audit_chain.verify_cli, audit_url)
        audit["verify_in_process"] = await audit_chain.verify_in_process(audit_url)
        audit["raw_stream_and_hash"] = await audit_chain.raw_stream(audit_dsn, hashing=True)
        for key in ("raw_stream", "raw_copy", "raw_copy_parallel", "verify_cli", "verify_in_process",
                    "raw_stream_and_hash"):
            log(f"  {key}: {audit[key]}")
        if cfg.profile_seconds and profile.py_spy():
            collapsed = out / "profile-verify-audit.txt"
            await asyncio.to_thread(audit_chain.verify_cli, audit_url, str(collapsed))
            audit["profile"] = profile.top_frames(collapsed)
        run.results["audit"] = audit
        return 0
    finally:
        if server is not None:
            server.stop()


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: stop the servers and the cluster


def run_all(cfg: Config, out: Path, database_url: str | None, pg_dir: Path | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    out.mkdir(parents=True, exist_ok=True)
    run = Run(cfg, out)
    run.results.update(config=asdict(cfg), machine=machine(), command=" ".join(["python -m bench.run", *sys.argv[1:]]))
    started = time.monotonic()
    tmp: tempfile.TemporaryDirectory[str] | None = None
    try:
        if database_url is None:
            if pg_dir is None:
                tmp = tempfile.TemporaryDirectory(prefix="casusregie-bench-")
                Path(tmp.name).chmod(0o755)  # the cluster runs as the postgres user when we are root
                pg_dir = Path(tmp.name) / "pg"
            run.pg_dir = pg_dir
            log(f"starting a throwaway PostgreSQL cluster in {run.pg_dir}")
            database_url = start_cluster(run.pg_dir)
        return asyncio.run(main_async(run, database_url))
    finally:
        if run.pg_dir is not None:
            log("stopping the PostgreSQL cluster")
            stop_cluster(run.pg_dir)
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.cleanup()
        run.results["duration_min"] = round((time.monotonic() - started) / 60, 1)
        run.results["machine"]["loadavg_at_end"] = loadavg()
        (out / "results.json").write_text(json.dumps(run.results, indent=1, default=str) + "\n")
        (out / "summary.md").write_text(report.render(run.results))
        log(f"wrote {out / 'results.json'} and {out / 'summary.md'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: check the scripts, not the numbers")
    parser.add_argument("--out", type=Path, default=None, help="results directory (default bench/results[-quick])")
    parser.add_argument("--database-url", default=None,
                        help="postgresql+asyncpg://…@127.0.0.1:PORT/ of an existing cluster (default: start one)")
    parser.add_argument("--pg-dir", type=Path, default=None,
                        help="where to start the throwaway cluster (default: a temporary directory)")
    parser.add_argument("--seconds", type=float, default=None, help="override the length of each measured load")
    parser.add_argument("--workers", type=int, nargs="+", default=None, help="override the worker counts")
    parser.add_argument("--no-profile", action="store_true", help="skip py-spy")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else Config()
    if args.seconds:
        cfg = replace(cfg, load_seconds=args.seconds)
    if args.workers:
        cfg = replace(cfg, workers=tuple(args.workers))
    if args.no_profile:
        cfg = replace(cfg, profile_seconds=0)
    out = args.out or REPO / "bench" / ("results-quick" if args.quick else "results")
    return run_all(cfg, out, args.database_url, args.pg_dir)


if __name__ == "__main__":
    sys.exit(main())
