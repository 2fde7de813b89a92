"""The monitor report (issue 18) on a large database: 100 000 cases with about 1 000 000 history rows, plus signals
and plan versions with actions, on PostgreSQL.

    .venv/bin/python -m bench.monitor_report --cluster-url "$(cat /tmp/pgurl)" \
        [--database casusregie_monitor_bench] [--cases 100000] [--signals 50000] [--runs 5] [--keep] [--no-verify]

Creates (drops first) and migrates the database `--database` on the loopback cluster of `--cluster-url`, fills it
with the seeded random dataset of tests/reports/generator.py (histories walk the real ladders; chunks of 10 000
cases, asyncpg COPY), then measures GET /v1/reports/monitor for one year (2025-03-01..2026-02-28) with and without
group_by=month: `--runs` requests each, after one warm-up request each, in process (an ASGI client against
create_app(), with its lifespan, like bench/cpu_per_request.py), as a bestuurder of the gemeente. Prints one JSON
object: the data's size, the seeding time and per shape min/median/max seconds.

With verification (the default) the whole-year report is compared with the report computed independently in Python
from the generated records (tests/reports/generator.py expected_report): a check of the figures at scale.

The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.auth.tokens import issue_dev_token
from app.config import Settings
from app.main import create_app
from bench.common import asyncpg_dsn, check_loopback, fresh_database, log, with_database
from tests.reports.generator import (
    CASE_MIX,
    Dataset,
    action_row,
    case_row,
    differences,
    expected_report,
    generate,
    organisation_rows,
    plan_row,
    signal_row,
    subject_row,
    transition_row,
)

CHUNK = 10_000
PERIOD = (date(2025, 3, 1), date(2026, 2, 28))
AS_OF = datetime(2026, 3, 20, 10, 0, 0, tzinfo=UTC)
DATA_START = datetime(2024, 1, 1, tzinfo=UTC)  # earlier than the tests' data: longer histories, ~10 rows a case
MAX_STEPS = (8, 34)
JSON_COLUMNS = {"details", "data"}
VIEWER = ("gemeente-mh", "bestuurder")


def _records(rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    if not rows:
        return [], []
    columns = list(rows[0])
    return columns, [tuple(json.dumps(r[c]) if c in JSON_COLUMNS else r[c] for c in columns) for r in rows]


async def _copy(conn: asyncpg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    columns, records = _records(rows)
    if records:
        await conn.copy_records_to_table(table, records=records, columns=columns)


def _chunk(seed: int, index: int, cases: int, signals: int) -> Dataset:
    scale = cases / sum(CASE_MIX.values())
    mix = {t: round(n * scale) for t, n in CASE_MIX.items()}
    ds = generate(random.Random(seed * 1000 + index), case_mix=mix, n_signals=signals, start=DATA_START,
                  max_steps=MAX_STEPS)
    for i, c in enumerate(ds.cases):
        c.reference = f"B{index:03d}-{i:07d}"  # unique over the chunks
    return ds


async def seed(dsn: str, total_cases: int, total_signals: int, seed_: int) -> Dataset:
    """Every chunk into the database; the union of the chunks is returned for verification."""
    conn = await asyncpg.connect(dsn)
    whole = Dataset({}, [], [], [], [])
    try:
        chunks = max(1, round(total_cases / CHUNK))
        for index in range(chunks):
            ds = _chunk(seed_, index, total_cases // chunks, total_signals // chunks)
            async with conn.transaction():
                if index == 0:
                    await _copy(conn, "organisation", organisation_rows(ds, random.Random(seed_)))
                    whole.organisations = ds.organisations
                await _copy(conn, "subject", [subject_row(s) for s in ds.subjects if s.type == "groep"])
                await _copy(conn, "subject", [subject_row(s) for s in ds.subjects if s.type != "groep"])
                await _copy(conn, "casus", [case_row(c) for c in ds.cases])
                await _copy(conn, "casus_subject",
                            [{"case_id": c.id, "subject_id": s} for c in ds.cases for s in c.subject_ids])
                await _copy(conn, "casus_transition", [transition_row(c, t) for c in ds.cases for t in c.transitions])
                await _copy(conn, "signaal", [signal_row(s) for s in ds.signals])
                await _copy(conn, "casus_plan", [plan_row(p) for p in ds.plans])
                await _copy(conn, "casus_plan_action", [action_row(p, a) for p in ds.plans for a in p.actions])
            whole.subjects += ds.subjects
            whole.cases += ds.cases
            whole.signals += ds.signals
            whole.plans += ds.plans
            log(f"chunk {index + 1}/{chunks}: {len(whole.cases)} cases, {whole.transition_count} history rows")
        # As autovacuum would soon after a bulk load: statistics, and the visibility map that index-only scans need.
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return whole


def _summary(seconds: list[float]) -> dict[str, float]:
    return {"min": round(min(seconds), 3), "median": round(statistics.median(seconds), 3),
            "max": round(max(seconds), 3)}


async def measure(url: str, runs: int, checkpoint_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(timings per shape, the whole-year JSON report)."""
    from app.kit import clock

    settings = Settings(env="development", database_url=url, log_level="WARNING", audit_checkpoint_dir=checkpoint_dir)
    app = create_app(settings)
    token = issue_dev_token(settings, org=VIEWER[0], roles=[VIEWER[1]], sub="bench-bestuurder")
    headers = {"Authorization": f"Bearer {token}"}
    shapes = {"year": {"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()},
              "year_by_month": {"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat(), "group_by": "month"}}
    timings: dict[str, Any] = {}
    report: dict[str, Any] = {}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600) as client:
        for name, params in shapes.items():
            seconds: list[float] = []
            warmup = 0.0
            for run in range(runs + 1):  # the first is the warm-up
                with clock.frozen(AS_OF):
                    started = time.perf_counter()
                    r = await client.get("/v1/reports/monitor", params=params, headers=headers)
                    took = time.perf_counter() - started
                if r.status_code != 200:
                    raise RuntimeError(f"{name}: {r.status_code} {r.text[:500]}")
                if run:
                    seconds.append(took)
                else:
                    warmup = took
                if name == "year":
                    report = r.json()
            timings[name] = {**_summary(seconds), "runs": runs, "warmup_s": round(warmup, 3)}
            log(f"{name}: {timings[name]}")
    await app.state.db.dispose()
    return timings, report


async def main_async(args: argparse.Namespace) -> None:
    check_loopback(args.cluster_url)
    url, dsn = await fresh_database(args.cluster_url, args.database)
    try:
        started = time.perf_counter()
        ds = await seed(dsn, args.cases, args.signals, args.seed)
        seed_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory(prefix="casusregie-monitor-bench-") as tmp:
            timings, report = await measure(url, args.runs, Path(tmp) / "audit-checkpoints")
        result: dict[str, Any] = {
            "cases": len(ds.cases), "history_rows": ds.transition_count, "signals": len(ds.signals),
            "plans": len(ds.plans), "plan_actions": sum(len(p.actions) for p in ds.plans),
            "subjects": len(ds.subjects), "seed_s": round(seed_s, 1),
            "period": {"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()}, "as_of": AS_OF.isoformat(),
            "seconds": timings,
        }
        if args.verify:
            started = time.perf_counter()
            problems = differences(expected_report(ds, *PERIOD, None, AS_OF), report)
            result["verified"] = {"year_report_equals_independent_figures": not problems,
                                  "differences": problems[:20], "verify_s": round(time.perf_counter() - started, 1)}
        print(json.dumps(result, indent=2))
        if args.verify and problems:
            sys.exit(1)
    finally:
        if not args.keep:
            admin = await asyncpg.connect(asyncpg_dsn(with_database(args.cluster_url, "postgres")))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            finally:
                await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cluster-url", required=True, help="postgresql+asyncpg://user@127.0.0.1:PORT/any")
    parser.add_argument("--database", default="casusregie_monitor_bench")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--signals", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--keep", action="store_true", help="leave the database in place")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="skip comparing the whole-year report with the independently computed figures")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
