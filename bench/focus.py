"""One scenario, quickly: for profiling and for checking an optimisation before the full run.

    .venv/bin/python -m bench.focus --database-url postgresql+asyncpg://postgres@127.0.0.1:PORT/x \
        transitions [--seconds 10] [--profile out.txt] [--workers 1]

Scenarios: `transitions` (API then raw --shape R0|R1|R2, 32 clients), `list` (first and deep page, API then raw).
Uses the database `casusregie_focus` on the given loopback cluster (recreated, migrated, seeded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import httpx

from bench import profile, scenarios, seed
from bench.common import CpuProbe, Server, checkpoint_dir_for, fresh_checkpoints, fresh_database


async def main_async(args: argparse.Namespace) -> None:
    url, dsn = await fresh_database(args.database_url, "casusregie_focus")
    out = Path("/tmp/casusregie-focus")
    await asyncio.to_thread(out.mkdir, exist_ok=True)
    tokens = seed.Tokens()
    server = Server(url, args.workers, out, fresh_checkpoints(checkpoint_dir_for(out, url)),
                    chainer_worker=args.chainer_worker)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as client:
            await seed.seed_world(client, tokens)
            cases = await seed.create_ijam_cases(client, tokens, 128)
            if args.scenario == "list":
                await seed.bulk_cases(dsn, args.list_cases, args.list_cases // 10)
        load = {"concurrency": args.clients, "max_requests": 10**7, "seconds": args.seconds, "warmup": 2.0}

        def probe() -> CpuProbe:
            return CpuProbe({"api server": server.all_pids, "chainer worker": server.chainer_pids})

        if args.scenario == "transitions":
            api = scenarios.api_transitions(server.base_url, dsn, tokens, cases[:64], probe=probe(), **load)
            raw = scenarios.raw_transitions(dsn, cases[64:], probe=None, shape=args.shape, **load)
        else:
            cursor, _, _ = await scenarios.deep_cursor(server.base_url, tokens, 100, 50)
            cur = cursor if args.scenario == "list-deep" else None
            api = scenarios.api_list(server.base_url, tokens, cur, name="list api", limit=50, probe=probe(), **load)
            raw = scenarios.raw_list(dsn, cur, name="list raw", audited=False, limit=50, probe=None, **load)
        if args.profile:
            task = asyncio.ensure_future(api)
            await asyncio.sleep(3)
            await profile.record(server.worker_pids()[0], int(args.seconds) - 4, Path(args.profile + ".svg"),
                                 Path(args.profile))
            result = await task
            print(json.dumps(profile.top_frames(Path(args.profile)), indent=1)[:6000])
        else:
            result = await api
        print(json.dumps(result.as_dict(), default=str))
        if not args.no_raw:
            print(json.dumps((await raw).as_dict(), default=str))
        else:
            raw.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["transitions", "list", "list-deep"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--list-cases", type=int, default=100_000)
    parser.add_argument("--profile", help="py-spy collapsed stacks to this file (and .svg)")
    parser.add_argument("--no-raw", action="store_true")
    parser.add_argument("--chainer-worker", action="store_true",
                        help="the audit chainer in `casusregie worker`, serve only stages")
    parser.add_argument("--shape", choices=["R0", "R1", "R2"], default="R1",
                        help="the raw transitions' shape (bench/scenarios.py RAW_SHAPES; default R1, the app's)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
