"""Run every benchmark once, API and raw baselines side by side, and write the results.

    .venv/bin/python -m bench.run --seconds 10   # 10 s loads, workers 1 2 4 (about 10 minutes on 2 cores)
    .venv/bin/python -m bench.run --quick        # small sizes, to check that everything works
    .venv/bin/python -m bench.run --extras       # also the issue-6 set: signals, memory, 1 000 000-entry
                                                 # verification, py-spy profiles, one-client latency

Starts its own throwaway PostgreSQL cluster with scripts/pg-cluster (or uses --database-url, loopback
only), migrates, seeds, and for each worker count serves with `casusregie serve --workers N`: the raw
baselines R0, R1, R2 (bench/raw.py), then the API's transitions, case reads and list pages, each load
with the audit ledger measured around it (bench/ledger.py: chainer lag, staging depth, drain, nothing
lost, verify-audit). Then CPU per request in process (bench/cpu_per_request.py) and verify-audit over
everything. Stops everything it started and writes OUT/results.json and OUT/summary.md.
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
from bench import audit_chain, capture, ledger, profile, report, scenarios, seed
from bench.common import (
    REPO,
    VENV_BIN,
    CpuProbe,
    LoadResult,
    Server,
    audit_env,
    checkpoint_dir_for,
    fresh_checkpoints,
    fresh_database,
    loadavg,
    log,
    machine,
    postgres_pids,
)


@dataclass(frozen=True)
class Config:
    concurrency: int = 32
    workers: tuple[int, ...] = (1, 2, 4)
    # The audit chainer in `casusregie worker` beside the server (serve only stages): --chainer-worker.
    chainer_worker: bool = False
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
    cpu_requests: int = 300  # CPU per request in process, per kind (after 50 unmeasured)
    # The issue-6 set, off by default (a run with it takes ~40 minutes more): signal intake, memory, the
    # 1 000 000-entry verification, py-spy profiles, one-client latency, the previous list SQL shape.
    extras: bool = False


QUICK = Config(transition_cases=64, list_cases=10_000, list_visible=1_000, deep_pages=10, load_seconds=5.0,
               warmup_seconds=1.0, memory_requests=3_000, memory_seconds=30.0, memory_sample_every=1.0,
               audit_entries=20_000, profile_seconds=5, latency_seconds=3.0, cpu_requests=100)


@dataclass
class Run:
    cfg: Config
    out: Path
    pg_dir: Path | None = None
    results: dict[str, Any] = field(default_factory=dict)
    work: Path = Path("/tmp")  # scratch for this run: the checkpoint directory (and its development key)
    database_url: str = ""
    dsn: str = ""
    checkpoints: Path | None = None  # the servers' CASUSREGIE_AUDIT_CHECKPOINT_DIR for the benchmark database

    def probe(self, server: Server | None) -> CpuProbe:
        groups: dict[str, Callable[[], list[int]]] = {}
        if server is not None:
            groups["api server"] = server.all_pids
            if server.chainer_worker:
                groups["chainer worker"] = server.chainer_pids
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
            led = value.get("ledger")
            if led:
                lost, ver = led["nothing_lost"], led.get("verify_audit")
                log(f"    ledger: oldest staged p50/p99/max {led['oldest_staged_p50_ms']}/"
                    f"{led['oldest_staged_p99_ms']}/{led['oldest_staged_max_ms']} ms, depth max {led['depth_max']}, "
                    f"drained {led['drained_after_load_ms']} ms after; entries {lost['found_entries']} of "
                    f"{lost['expected_entries']} expected ({'ok' if lost['ok'] else 'MISMATCH'})"
                    + (f"; verify-audit valid={ver['valid']} ({ver['entries']} entries, {ver.get('staged')} staged, "
                       f"{ver.get('checkpoints_checked')} checkpoints)" if ver else ""))
        self.results.setdefault(section, {})[key] = value

    async def verify(self) -> dict[str, Any]:
        """`casusregie verify-audit` over the benchmark database, held against the servers' checkpoints."""
        return await asyncio.to_thread(audit_chain.verify_cli, self.database_url, checkpoint_dir=self.checkpoints)

    async def ledgered(self, server: Server | None, action: str, load: Callable[[], Awaitable[LoadResult]], *,
                       verify: bool, staged: bool = True, companions: dict[str, int] | None = None) -> LoadResult:
        """`load` with the audit ledger measured around it (bench/ledger.py)."""
        per = self.results.get("entries_per_request", {}).get(action, 1)
        return await ledger.around(self.dsn, server.base_url if server else None, action, load,
                                   per_request=per, verify=self.verify if verify else None, staged=staged,
                                   companions=companions)


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


RAW_KEYS = (("R0", "transitions_raw_R0"), ("R1", "transitions_raw_R1"), ("R2", "transitions_raw_R2"))


async def round_for(run: Run, server: Server, dsn: str, tokens: seed.Tokens, api_cases: list[str],
                    raw_cases: list[str], list_cursor: tuple[str, list[str], list[str]]) -> None:
    cfg = run.cfg
    w = server.workers
    first = w == cfg.workers[0]
    sec = f"workers={w}"
    load = {"concurrency": cfg.concurrency, "max_requests": cfg.max_requests, "seconds": cfg.load_seconds,
            "warmup": cfg.warmup_seconds}
    url = server.base_url

    log(f"raw baselines R0 R1 R2, {w} worker(s) serving (their chainer chains R0's and R1's staged entries)")
    for shape, key in RAW_KEYS:
        run.record(sec, key, await run.ledgered(
            server, "case:transition", lambda shape=shape: scenarios.raw_transitions(
                dsn, raw_cases, probe=run.probe(server), shape=shape, **load), verify=False,
            staged=shape != "R2"))

    log(f"API, {w} worker(s): transitions, case reads, list pages")
    # The first escalation of a case into the rung whose owner is not yet a participant brings it in, by
    # `systeem` (app/cases/level_owners.py): at most one participant and one regie update per case.
    level_owner = {"participant:create": len(api_cases), "case:update": len(api_cases)}
    run.record(sec, "transitions_api", await run.ledgered(server, "case:transition", lambda: scenarios.api_transitions(
        url, dsn, tokens, api_cases, probe=run.probe(server), name="transitions: API", **load), verify=True,
        companions=level_owner))
    run.record(sec, "reads_api", await run.ledgered(server, "case:read", lambda: scenarios.api_reads(
        url, tokens, api_cases, probe=run.probe(server), **load), verify=True))
    cursor = list_cursor[0]
    lim = cfg.list_limit
    for page, cur in (("first", None), ("deep", cursor)):
        run.record(sec, f"list_{page}_api", await run.ledgered(server, "case:list", lambda cur=cur, page=page: (
            scenarios.api_list(url, tokens, cur, name=f"list {page} page: API", limit=lim, probe=run.probe(server),
                               **load)), verify=True))

    if first:
        log("raw list baselines (first round only)")
        for page, cur in (("first", None), ("deep", cursor)):
            run.record(sec, f"list_{page}_raw_read", await scenarios.raw_list(
                dsn, cur, name=f"list {page} page: raw SQL", audited=False, limit=lim, probe=run.probe(None), **load))
            run.record(sec, f"list_{page}_raw_audited", await run.ledgered(
                server, "case:list", lambda cur=cur, page=page: scenarios.raw_list(
                    dsn, cur, name=f"list {page} page: raw SQL + staged entry", audited=True, limit=lim,
                    probe=run.probe(server), **load), verify=False))
    if cfg.extras:
        await extras_round(run, server, dsn, tokens, api_cases, raw_cases, list_cursor)


async def extras_round(run: Run, server: Server, dsn: str, tokens: seed.Tokens, api_cases: list[str],
                       raw_cases: list[str], list_cursor: tuple[str, list[str], list[str]]) -> None:
    """The issue-6 set (--extras): one-client latency, the previous list shape, py-spy, signal intake."""
    cfg = run.cfg
    w = server.workers
    sec = f"workers={w}"
    load = {"concurrency": cfg.concurrency, "max_requests": cfg.max_requests, "seconds": cfg.load_seconds,
            "warmup": cfg.warmup_seconds}
    cursor, lim = list_cursor[0], cfg.list_limit
    if w == cfg.workers[0]:
        for page, cur in (("first", None), ("deep", cursor)):
            run.record(sec, f"list_{page}_raw_previous", await scenarios.raw_list(
                dsn, cur, name=f"list {page} page: raw SQL, previous shape (EXISTS per case)", audited=False, limit=lim,
                probe=run.probe(None), shape="previous", **load))
        if cfg.latency_seconds:
            one = {"concurrency": 1, "max_requests": cfg.max_requests, "seconds": cfg.latency_seconds,
                   "warmup": cfg.warmup_seconds}
            run.record(sec, "transitions_raw_1client", await scenarios.raw_transitions(
                dsn, raw_cases, probe=run.probe(None), name="R1 raw, 1 client", shape="R1", **one))
            run.record(sec, "transitions_api_1client", await scenarios.api_transitions(
                server.base_url, dsn, tokens, api_cases, probe=run.probe(server), name="transitions api, 1 client",
                **one))
            for page, cur in (("first", None), ("deep", cursor)):
                run.record(sec, f"list_{page}_raw_read_1client", await scenarios.raw_list(
                    dsn, cur, name=f"list {page} page: raw SQL, 1 client", audited=False, limit=lim,
                    probe=run.probe(None), **one))
                run.record(sec, f"list_{page}_api_1client", await scenarios.api_list(
                    server.base_url, tokens, cur, name=f"list {page} page: API, 1 client", limit=lim,
                    probe=run.probe(server), **one))
    if w == 1 and cfg.profile_seconds:
        await profile_during(run, server, "transitions", scenarios.api_transitions(
            server.base_url, dsn, tokens, api_cases, concurrency=cfg.concurrency, max_requests=cfg.max_requests,
            seconds=cfg.profile_seconds + 5, warmup=0, probe=None, name="transitions api (profiled)"))
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


async def preflight(run: Run, server: Server, tokens: seed.Tokens, case_id: str, cursor: str) -> None:
    """Check the nothing-lost check's assumption: one audit entry per request of each kind measured."""
    headers = tokens.headers("zvh-mh", "procesregisseur", sub="bench-regisseur")
    lister = tokens.headers(seed.LIST_ORG, "medewerker")
    states = await scenarios.current_states(run.dsn, [case_id])
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as client:
        async def transition() -> int:
            trigger = "opschalen" if states[case_id] == "knooppunt_school" else "afschalen"
            resp = await client.post(f"/v1/cases/{case_id}/transitions", headers=headers,
                                     json={"trigger": trigger, "reason": "preflight", "data": {}})
            if resp.status_code == 200:
                states[case_id] = resp.json()["state"]
            return resp.status_code

        async def read() -> int:
            return (await client.get(f"/v1/cases/{case_id}", headers=headers)).status_code

        async def page(cur: str | None) -> int:
            params: dict[str, Any] = {"limit": run.cfg.list_limit} | ({"cursor": cur} if cur else {})
            return (await client.get("/v1/cases", params=params, headers=lister)).status_code

        checked = await ledger.entries_per_request(run.dsn, {
            "transition": ("case:transition", transition), "case read": ("case:read", read),
            "list first page": ("case:list", lambda: page(None)), "list deep page": ("case:list", lambda: page(cursor)),
        })
    run.results["entries_per_request_check"] = checked
    per_action: dict[str, int] = {}
    for name, c in checked.items():
        log(f"  {name}: {c['entries']} entries for {c['requests']} requests ({c['action']}), statuses "
            f"{c['statuses']}, other actions {c['other_actions']}{'' if c['one_each'] else '  <-- NOT one each'}")
        per = c["entries_per_request"]
        per_action[c["action"]] = int(per) if per == int(per) and per >= 1 else 1
    run.results["entries_per_request"] = per_action


def cpu_per_request(run: Run) -> dict[str, Any]:
    """bench/cpu_per_request.py in its own process (no server running: it is the chainer), per kind."""
    assert run.checkpoints is not None
    out: dict[str, Any] = {}
    for mode in ("transitions", "read", "list"):
        cmd = [str(VENV_BIN / "python"), "-m", "bench.cpu_per_request", "--database-url", run.database_url,
               "--checkpoint-dir", str(run.checkpoints), "--json", mode, str(run.cfg.cpu_requests)]
        proc = subprocess.run(cmd, env=audit_env(run.database_url, run.checkpoints), cwd=REPO, capture_output=True,
                              text=True, check=False, timeout=900)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            out[mode] = {"error": f"exit {proc.returncode}: {proc.stderr[-1500:]}"}
        else:
            out[mode] = json.loads(lines[-1])
        log(f"  {mode}: {out[mode]}")
    return out


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
        run.database_url, run.dsn = main_url, dsn
        run.checkpoints = fresh_checkpoints(checkpoint_dir_for(run.work, main_url))
        run.results["postgres"] = await pg_facts(dsn)

        tokens = seed.Tokens()
        server = Server(main_url, cfg.workers[0], out, run.checkpoints, chainer_worker=cfg.chainer_worker)
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
        log("capturing the app's statements for a transition (R1 must send the same)")
        state = (await scenarios.current_states(dsn, [api_cases[1]]))[api_cases[1]]
        try:
            run.results["r1_statements"] = await capture.app_transition_statements(main_url, run.checkpoints,
                                                                                 api_cases[1], state)
        except Exception as exc:  # reported, not fatal: the loads measure the app either way
            run.results["r1_statements"] = {"error": f"{type(exc).__name__}: {exc}"[:500], "app": [],
                                            "r1": capture.R1_STATEMENTS, "r1_mirrors_app": False}
        log(f"  app: {run.results['r1_statements']['app'] or run.results['r1_statements'].get('error')}")
        if not run.results["r1_statements"]["r1_mirrors_app"]:
            log(f"  R1 DOES NOT mirror the app: R1 sends {run.results['r1_statements']['r1']}")
        log("checking: one audit entry per request of each kind")
        await preflight(run, server, tokens, api_cases[0], list_cursor[0])
        run.results["verify_after_seed"] = await run.verify()
        log(f"  verify-audit after seeding: {run.results['verify_after_seed']}")

        for w in cfg.workers:
            if server.workers != w:
                server.stop()
                server = Server(main_url, w, out, run.checkpoints, chainer_worker=cfg.chainer_worker)
                await server.start()
            await round_for(run, server, dsn, tokens, api_cases, raw_cases, list_cursor)
        server.stop()

        if cfg.cpu_requests:
            log(f"CPU per request in process (bench/cpu_per_request.py, {cfg.cpu_requests} requests each)")
            run.results["cpu_per_request"] = await asyncio.to_thread(cpu_per_request, run)

        if cfg.extras:
            log(f"memory: {cfg.memory_requests:,} requests or {cfg.memory_seconds:.0f} s, "
                f"{cfg.memory_workers} worker(s)")
            server = Server(main_url, cfg.memory_workers, out, run.checkpoints, chainer_worker=cfg.chainer_worker)
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
        run.results["audit_after_load"] = await run.verify()
        log(f"  {run.results['audit_after_load']}")

        if cfg.extras:
            await audit_at_scale(run, database_url)
        return 0
    finally:
        if server is not None:
            server.stop()


async def audit_at_scale(run: Run, database_url: str) -> None:
    cfg, out = run.cfg, run.out
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


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: stop the servers and the cluster


def run_all(cfg: Config, out: Path, database_url: str | None, pg_dir: Path | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    out.mkdir(parents=True, exist_ok=True)
    work = tempfile.TemporaryDirectory(prefix="casusregie-bench-ledger-")
    run = Run(cfg, out, work=Path(work.name))
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
        with contextlib.suppress(OSError):
            work.cleanup()
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
    parser.add_argument("--no-profile", action="store_true", help="skip py-spy (extras)")
    parser.add_argument("--chainer-worker", action="store_true",
                        help="the audit chainer in `casusregie worker` beside each server (serve only stages)")
    parser.add_argument("--extras", action="store_true",
                        help="also the issue-6 set: signal intake, memory, 1 000 000-entry verification, py-spy "
                             "profiles, one-client latency (about 40 minutes more)")
    parser.add_argument("--cpu-requests", type=int, default=None,
                        help="requests per kind for CPU per request (0: skip)")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else Config()
    if args.seconds:
        cfg = replace(cfg, load_seconds=args.seconds)
    if args.workers:
        cfg = replace(cfg, workers=tuple(args.workers))
    if args.no_profile:
        cfg = replace(cfg, profile_seconds=0)
    if args.extras:
        cfg = replace(cfg, extras=True)
    if args.chainer_worker:
        cfg = replace(cfg, chainer_worker=True)
    if args.cpu_requests is not None:
        cfg = replace(cfg, cpu_requests=args.cpu_requests)
    out = args.out or REPO / "bench" / ("results-quick" if args.quick else "results")
    return run_all(cfg, out, args.database_url, args.pg_dir)


if __name__ == "__main__":
    sys.exit(main())
