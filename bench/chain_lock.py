"""The audit chain's serialisation point alone: raw transitions with each way of appending to the chain.

    .venv/bin/python -m bench.chain_lock --database-url postgresql+asyncpg://postgres@127.0.0.1:PORT/ \
        [--seconds 20] [--clients 32] [--rounds 2]

Modes (bench/scenarios.py RAW_SHAPES): `R1` (the app's shape since issue 11: the entry staged, chained by the
running server's chainer), `R2` (the append before issue 11: the head row `FOR UPDATE`), `advisory` (what-if:
queue on a transaction-scoped advisory lock first, granted in arrival order, then the row lock), `deferred`
(the bench's own prototype of the deferred chain: entry staged unchained, one chainer beside the clients). The
rounds alternate the modes so that drift of the machine shows as spread instead of bias. A server (1 worker)
runs throughout, its chainer chaining R1's entries. Ends with `casusregie verify-audit` over the database
(every mode chains its entries). Uses the database `casusregie_chain_lock` on the given loopback cluster
(recreated).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import httpx

from bench import audit_chain, scenarios, seed
from bench.common import Server, checkpoint_dir_for, fresh_checkpoints, fresh_database, log

MODES = ("R1", "R2", "advisory", "deferred")


async def main_async(args: argparse.Namespace) -> None:
    url, dsn = await fresh_database(args.database_url, "casusregie_chain_lock")
    checkpoints = fresh_checkpoints(checkpoint_dir_for(args.out, url))
    tokens = seed.Tokens()
    server = Server(url, 1, args.out, checkpoints)
    await server.start()
    rows = []
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as client:
            await seed.seed_world(client, tokens)
            cases = await seed.create_ijam_cases(client, tokens, args.cases)
        load = {"concurrency": args.clients, "max_requests": 10**7, "seconds": args.seconds, "warmup": 3.0}
        for rnd in range(1, args.rounds + 1):
            for mode in MODES:
                r = (await scenarios.raw_transitions(dsn, cases, probe=None, name=f"raw transitions, {mode}",
                                                     shape=mode, **load)).as_dict()
                log(f"round {rnd} {mode}: {r['rate_per_s']} tx/s p50 {r['p50_ms']} p90 {r['p90_ms']} "
                    f"p99 {r['p99_ms']} max {r['max_ms']} failed {r['non_2xx']}")
                rows.append({"round": rnd, "mode": mode, **r})
    finally:
        server.stop()  # drains what is staged
    verified = await asyncio.to_thread(audit_chain.verify_cli, url, checkpoint_dir=checkpoints)
    log(f"verify-audit: {verified}")
    print(json.dumps({"runs": rows, "verify_audit": verified}, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("/tmp/casusregie-chain-lock"), help="server logs")
    args = parser.parse_args()
    args.out.mkdir(exist_ok=True)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
