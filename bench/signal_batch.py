"""Batch signal intake alone: POST /v1/signals:batch at several batch sizes and client counts, against the
raw asyncpg baselines of bench/signals.py (the app's unnest shape, executemany, a savepoint per item), on an
existing loopback cluster (a database of its own).

    .venv/bin/python -m bench.signal_batch --database-url postgresql+asyncpg://postgres@127.0.0.1:PORT/ \
        --runs 100x8 500x3 --seconds 20 [--workers 1] [--raw] [--profile 100x8]

Recreates the database `casusregie_sigbench` (or --database), migrates, starts `casusregie serve`, seeds
the world of bench/seed.py through the API, measures each `SIZExCLIENTS` run and prints one JSON line
per result (and writes them all to --out). `--profile SIZExCLIENTS` runs py-spy on the (first) worker
during an extra, unmeasured load of that shape and prints the top frames.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench import profile, seed, signals
from bench.common import (
    CpuProbe,
    LoadResult,
    Server,
    checkpoint_dir_for,
    fresh_checkpoints,
    fresh_database,
    loadavg,
    log,
    postgres_pids,
)


def _shape(text: str) -> tuple[int, int]:
    size, _, clients = text.partition("x")
    return int(size), int(clients or signals.BATCH_CONCURRENCY)


def _summary(result: LoadResult) -> dict[str, Any]:
    out = result.as_dict()
    out["loadavg_after"] = loadavg()
    keep = ("name", "concurrency", "requests", "rate_per_s", "signals_per_s", "batch", "p50_ms", "p99_ms",
            "max_ms", "non_2xx", "statuses", "cpu_utilisation", "loadavg_after")
    return {k: out[k] for k in keep if k in out}


async def main_async(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    log(f"migrating {args.database}")
    url, dsn = await fresh_database(args.database_url, args.database)
    server = Server(url, args.workers, out_dir, fresh_checkpoints(checkpoint_dir_for(out_dir, url)))
    results: list[dict[str, Any]] = []
    pg_dir = Path(args.pg_dir) if args.pg_dir else None

    def probe(srv: Server | None) -> CpuProbe:
        groups = {}
        if srv is not None:
            groups["api server"] = srv.all_pids
        if pg_dir is not None:
            groups["postgres (whole cluster)"] = lambda: postgres_pids(pg_dir)
        return CpuProbe(groups)

    def report(result: LoadResult) -> None:
        summary = _summary(result)
        results.append(summary)
        print(json.dumps(summary), flush=True)

    try:
        await server.start(ready_within=180)
        tokens = seed.Tokens()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as client:
            await seed.seed_world(client, tokens)
        load = {"max_requests": 10**9, "seconds": args.seconds, "warmup": args.warmup}
        for text in args.runs:
            size, clients = _shape(text)
            report(await signals.api_batch(server.base_url, tokens, batch=size, concurrency=clients,
                                           probe=probe(server), **load))
            if args.raw:
                for bulk, unnest in ((True, True), (True, False), (False, False)):
                    report(await signals.raw_batch(dsn, batch=size, bulk=bulk, unnest=unnest, concurrency=clients,
                                                   probe=probe(None), **load))
        if args.profile:
            size, clients = _shape(args.profile)
            collapsed, svg = out_dir / "profile-batch.txt", out_dir / "profile-batch.svg"
            task = asyncio.ensure_future(signals.api_batch(
                server.base_url, tokens, batch=size, concurrency=clients, probe=None, max_requests=10**9,
                seconds=args.profile_seconds + 5, warmup=0))
            await asyncio.sleep(1)
            ok = await profile.record(server.worker_pids()[0], args.profile_seconds, svg, collapsed)
            await task
            if ok:
                top = profile.top_frames(collapsed, n=40)
                print(json.dumps(top, indent=1), flush=True)
                log(f"profile: {svg} and {collapsed}")
    finally:
        server.stop()
        (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        log(f"wrote {out_dir / 'results.json'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.signal_batch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="postgresql+asyncpg://…@127.0.0.1:PORT/ (loopback)")
    parser.add_argument("--database", default="casusregie_sigbench", help="recreated on every run")
    parser.add_argument("--pg-dir", default=None, help="the cluster's directory (DIR/data/postmaster.pid), for CPU")
    parser.add_argument("--runs", nargs="+", default=["100x8", "500x3"], help="SIZExCLIENTS per measured load")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--raw", action="store_true", help="also the raw asyncpg baselines of each shape")
    parser.add_argument("--profile", default=None, help="SIZExCLIENTS: py-spy during an extra unmeasured load")
    parser.add_argument("--profile-seconds", type=int, default=15)
    parser.add_argument("--out", default=None, help="results directory (default: a new temporary directory)")
    args = parser.parse_args(argv)
    args.out = args.out or tempfile.mkdtemp(prefix="sigbench-")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
