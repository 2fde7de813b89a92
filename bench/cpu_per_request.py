"""CPU per request, in process: an ASGI client against create_app() on a benchmark database.

    .venv/bin/python -m bench.cpu_per_request --database-url postgresql+asyncpg://…/casusregie_focus \
        [--checkpoint-dir DIR] [--json] transitions|read|list|health [N]

Independent of the machine's other load (it counts this process's CPU time, client included), so it is
the figure to compare between versions. It runs the app as `casusregie serve` does (uvloop, the collector tuned
by app/kit/gc_tuning.py), but one request after another: each request's audit entries are chained in a batch of
their own, where a served process under load chains many at once, and the ASGI client's CPU counts too. So it
is an upper bound; bench/run.py reports the served process's own CPU per request under load beside it.
Needs a database seeded by `bench.focus` or `bench.run` (`list`
needs 100 000 cases). Set PROFILE=out.txt for a pyinstrument text profile.

The app runs with its lifespan, so its audit ledger too: on PostgreSQL this process is the chainer (when no
server on the database is), and the chaining of its requests' entries is part of the CPU counted, as it
is part of a server's. Its signed checkpoints go to --checkpoint-dir (default: a new temporary directory;
give the servers' directory of that database to keep one set of checkpoints for verify-audit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvloop

from app.config import Settings
from app.kit import gc_tuning
from app.main import create_app
from bench.common import asyncpg_dsn, check_loopback
from bench.seed import LIST_ORG, Tokens


async def main_async(url: str, mode: str, n: int, checkpoint_dir: Path, as_json: bool = False) -> None:
    check_loopback(url)
    app = create_app(Settings(env="development", database_url=url, log_level="WARNING",
                              audit_checkpoint_dir=checkpoint_dir))
    gc_tuning.tune_for_serving()  # as `casusregie serve` runs it (app/main.py create_served_app)
    tokens = Tokens()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    rows = await conn.fetch("SELECT id, state FROM casus WHERE case_type = 'ijam' "
                            "AND state IN ('knooppunt_school', 'netwerkoverleg') LIMIT 50")
    await conn.close()
    states = {str(r["id"]): r["state"] for r in rows}
    ids = list(states)
    regisseur = tokens.headers("zvh-mh", "procesregisseur", sub="bench-regisseur")
    lister = tokens.headers(LIST_ORG, "medewerker")
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:

        async def one(i: int) -> None:
            r: Any
            if mode == "transitions":
                cid = ids[i % len(ids)]
                trigger = "opschalen" if states[cid] == "knooppunt_school" else "afschalen"
                r = await client.post(f"/v1/cases/{cid}/transitions", headers=regisseur | {"If-Match": "*"},
                                      json={"trigger": trigger, "reason": "bench", "data": {}})
                states[cid] = r.json().get("state", states[cid])
            elif mode == "read":
                r = await client.get(f"/v1/cases/{ids[i % len(ids)]}", headers=regisseur)
            elif mode == "list":
                r = await client.get("/v1/cases", params={"limit": 50}, headers=lister)
            else:
                r = await client.get("/healthz")
            if r.status_code != 200:
                raise RuntimeError(f"{mode}: {r.status_code} {r.text[:300]}")

        for i in range(50):
            await one(i)
        profiler = None
        if os.environ.get("PROFILE"):
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.002)
            profiler.start()
        before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for i in range(n):
            await one(i)
        after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - wall
        if profiler is not None:
            profiler.stop()
            text = profiler.output_text(unicode=False, color=False, show_all=True)
            await asyncio.to_thread(Path(os.environ["PROFILE"]).write_text, text, encoding="utf-8")
    user = (after.ru_utime - before.ru_utime) * 1000 / n
    sys_ = (after.ru_stime - before.ru_stime) * 1000 / n
    if as_json:
        print(json.dumps({"mode": mode, "requests": n, "cpu_ms": round(user + sys_, 3), "user_ms": round(user, 3),
                          "sys_ms": round(sys_, 3), "wall_ms": round(wall * 1000 / n, 3)}))
        return
    print(f"{mode}: {user + sys_:.2f} ms CPU per request (user {user:.2f}, sys {sys_:.2f}), "
          f"{wall * 1000 / n:.2f} ms wall, {n} requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["transitions", "read", "list", "health"])
    parser.add_argument("n", type=int, nargs="?", default=400)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--checkpoint-dir", type=Path, default=None,
                        help="CASUSREGIE_AUDIT_CHECKPOINT_DIR for this process's ledger (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the sentence")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casusregie-cpu-") as tmp:
        checkpoint_dir = args.checkpoint_dir or Path(tmp) / "audit-checkpoints"
        # uvloop, as `casusregie serve` runs (uvicorn's loop "auto" picks it when installed: uvicorn[standard])
        uvloop.run(main_async(args.database_url, args.mode, args.n, checkpoint_dir, args.json))


if __name__ == "__main__":
    main()
