"""`casusregie` command line: serve, migrate, worker, retention, demo, token, verify-audit, openapi."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn

from app import worker
from app.api.metrics import MULTIPROC_ENV
from app.audit import verification as verify
from app.audit.anchoring import Anchors, anchored
from app.auth.tokens import issue_dev_token
from app.config import ConfigError, Settings, check_settings, get_settings
from app.demo import prepare_demo
from app.kit.database import Database
from app.kit.logs import configure_logging
from app.kit.migrations_state import upgrade_to_head
from app.main import create_app

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    # The document does not depend on the mode; development needs no keys to build the app that describes it.
    return create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", env="development",
                               log_level="ERROR")).openapi()


def render_openapi() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def _serve(host: str, port: int, workers: int) -> None:
    if workers > 1 and not os.environ.get(MULTIPROC_ENV):
        # One scrape counts every worker (app/api/metrics.py): a fresh directory, set before the workers start.
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="casusregie-metrics-")
    uvicorn.run("app.main:create_served_app", factory=True, host=host, port=port, workers=workers,
                access_log=False, proxy_headers=False, log_config=None,
                server_header=False)  # `server: uvicorn` tells an attacker what to try


def _development(args: argparse.Namespace) -> None:
    """`--dev`: development mode, asked for explicitly (the default is production). The environment is
    where the settings come from, in this process and in uvicorn's worker processes alike."""
    if getattr(args, "dev", False):
        os.environ["CASUSREGIE_ENV"] = "development"
        get_settings.cache_clear()


def development_warning(host: str, port: int) -> str:
    return (f"DEVELOPMENT MODE on {host}:{port}: tokens signed with the public development secret are accepted "
            "and BSNs are hashed with a public key. Never expose this server; production is the default "
            "without --dev and CASUSREGIE_ENV=development.")


def oversubscription_warning(workers: int, cores: int) -> str | None:
    """More worker processes than cores: each has one core's worth of GIL, and the kernel's time slices between
    them show in every request's latency (bench/RESULTS.md, a sixth pass: p99 3.7-5.4 × p50 at 4 workers on 2 cores,
    under 3 × at 1 and 2)."""
    if workers <= cores:
        return None
    return (f"--workers {workers} on {cores} cores: more processes than cores add latency tails; "
            "run one worker per core (README 'Benchmarks')")


def cmd_serve(args: argparse.Namespace) -> int:
    _development(args)
    settings = get_settings()
    check_settings(settings)
    warning = oversubscription_warning(args.workers, len(os.sched_getaffinity(0)))
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    if settings.is_sqlite and args.workers > 1:
        print("SQLite serves from one process; use PostgreSQL for more workers", file=sys.stderr)
        return 2
    if settings.env == "development":
        print(development_warning(args.host, args.port), file=sys.stderr, flush=True)
    _serve(args.host, args.port, args.workers)
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    upgrade_to_head(get_settings())
    print("database upgraded to head")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    _development(args)
    settings = get_settings()
    try:
        token = issue_dev_token(settings, org=args.org, roles=args.role, sub=args.sub, ttl_seconds=args.ttl)
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_verify_audit(args: argparse.Namespace) -> int:
    settings = get_settings()
    anchors = Anchors.from_settings(settings, public_key_file=args.public_key, directory=args.checkpoints)

    async def run() -> int:
        workers = args.workers
        result = None
        if not settings.is_sqlite:
            # Started first, the worker processes import while this one connects.
            pool = await verify.WorkerPool.start(workers or verify.default_workers()) if workers != 0 else None
            try:
                result = await verify.verify_database(settings.database_url, workers=workers, pool=pool)
            finally:
                if pool is not None:
                    await pool.close()
        db = Database(settings)
        try:
            async with db.sessionmaker() as session:
                if result is None:
                    result = await verify.verify_chain(session, workers=workers)
                result = await anchored(session, result, anchors)
        finally:
            await db.dispose()
        print(json.dumps(result.with_anchors()))
        return 0 if result.valid else 1

    return asyncio.run(run())


def cmd_worker(args: argparse.Namespace) -> int:
    settings = get_settings()
    check_settings(settings)
    configure_logging(settings.log_level)
    try:
        return asyncio.run(worker.run(settings, once=args.once))
    except RuntimeError as exc:  # --once while another process is the chainer
        print(str(exc), file=sys.stderr)
        return 2


async def retention(settings: Settings, *, dry_run: bool) -> dict[str, Any]:
    """One retention pass (app/retention): what is due (dry run: changes nothing) or what was destroyed. Ids,
    references, dates and terms only: no personal data."""
    db = Database(settings)
    try:
        # With deferred chaining the verklaringen are staged with the destruction and chained by the chainer.
        done = await worker.retention_pass(db, dry_run=dry_run)
    finally:
        await db.dispose()
    return {"dry_run": dry_run, "due" if dry_run else "destroyed": [d.as_json() for d in done]}


def cmd_retention(args: argparse.Namespace) -> int:
    settings = get_settings()
    check_settings(settings)
    configure_logging(settings.log_level)
    if not args.dry_run and not settings.retention_enabled:
        print("retention is disabled (CASUSREGIE_RETENTION_ENABLED=false); --dry-run lists what would go",
              file=sys.stderr)
        return 2
    print(json.dumps(asyncio.run(retention(settings, dry_run=args.dry_run)), ensure_ascii=False))
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_openapi(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    db_file = Path(args.database).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_file) + suffix).unlink(missing_ok=True)
    # The checkpoints of the previous demo log would contradict the fresh one (the signing key is kept).
    shutil.rmtree(Path(f"{db_file}.audit-checkpoints"), ignore_errors=True)
    os.environ["CASUSREGIE_DATABASE_URL"] = f"sqlite+aiosqlite:///{db_file}"
    os.environ["CASUSREGIE_ENV"] = "development"
    # One process shows it all: the worker's deadline passes run in the server (a stalled demo case escalates).
    os.environ.setdefault("CASUSREGIE_WORKER_IN_PROCESS", "true")
    os.environ.setdefault("CASUSREGIE_WORKER_INTERVAL", "10")
    get_settings.cache_clear()
    settings = get_settings()
    tokens = prepare_demo(settings)
    print(f"Demo database: {db_file}")
    print(f"API: http://{args.host}:{args.port}/docs  (paste a token under 'Authorize')")
    print("Development tokens (valid 8 hours; fictional organisations):")
    for label, token in tokens:
        print(f"  {label}:\n    {token}")
    sys.stdout.flush()
    _serve(args.host, args.port, 1)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="casusregie", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve the API (CASUSREGIE_DATABASE_URL; SQLite file by default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--dev", action="store_true",
                   help="development mode: accepts tokens signed with the public development secret; "
                        "binds 127.0.0.1 unless --host says otherwise")
    p.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="upgrade the database to the newest schema").set_defaults(func=cmd_migrate)

    p = sub.add_parser("token", help="print a development token (HS256, development mode only)")
    p.add_argument("--org", required=True)
    p.add_argument("--role", action="append", required=True, help="repeat for several roles")
    p.add_argument("--sub", default=None)
    p.add_argument("--ttl", type=int, default=8 * 3600, help="seconds")
    p.add_argument("--dev", action="store_true", help="development mode (tokens are refused in production)")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("verify-audit", help="recompute the audit hash chain and hold it against the signed "
                                            "checkpoints; exit 1 naming the first bad entry or contradicted checkpoint")
    p.add_argument("--workers", type=int, default=None,
                   help="PostgreSQL: worker processes (default: one per CPU for a large log; 0: none)")
    p.add_argument("--checkpoints", type=Path, default=None,
                   help="checkpoint directory (default: CASUSREGIE_AUDIT_CHECKPOINT_DIR)")
    p.add_argument("--public-key", type=Path, default=None,
                   help="Ed25519 public key PEM that checks the checkpoints (GET /v1/audit/public-key); default: "
                        "the public half of CASUSREGIE_AUDIT_SIGNING_KEY")
    p.set_defaults(func=cmd_verify_audit)

    p = sub.add_parser("worker", help="the long-running process beside serve: the audit chainer and checkpoints "
                                      "(README 'The ledger')")
    p.add_argument("--once", action="store_true", help="chain what is staged, sign a checkpoint, exit")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("retention", help="destroy the personal data of closed cases past their retention term "
                                         "(README 'Privacy: retention and destruction')")
    p.add_argument("--dry-run", action="store_true", help="list what would be destroyed and why; change nothing")
    p.set_defaults(func=cmd_retention)

    p = sub.add_parser("openapi", help="write the OpenAPI document")
    p.add_argument("--output", default=str(OPENAPI_PATH))
    p.set_defaults(func=cmd_openapi)

    p = sub.add_parser("demo", help="fresh SQLite demo database with fictional data and tokens, then serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--database", default="casusregie-demo.db")
    p.set_defaults(func=cmd_demo)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
