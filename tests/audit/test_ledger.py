"""The audit ledger (issue 11) seen from outside: staged entries in the API, the ledger chaining and signing,
and the signed checkpoints exposing what the hash chain alone cannot (a truncated or recomputed log).

Each test builds its own app with the chaining mode it names (`inline`: chained in the request's transaction;
`deferred`: staged, chained later by the ledger or by `drain_staging`; deferred works on SQLite too) and its
own checkpoint directory. The ledger is not started by the test transport: tests that need it start and stop
it themselves. Expected listings and counts are read from the database directly (`audit_staging`,
`audit_log`, `audit_chain_head`), just before the request they are compared with.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app import cli
from app.audit.audit_thread import AuditThread
from app.audit.checkpoints import (
    BAD_SIGNATURE,
    REWRITTEN,
    TRUNCATED,
    Checkpoint,
    DirectorySink,
    Signer,
    public_key_from_pem,
    signature_valid,
)
from app.audit.hash_chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from app.audit.ledger import Ledger
from app.audit.models import AuditChainHead, AuditEntry, AuditStaged
from app.audit.verification import verify_chain
from app.auth.tokens import issue_dev_token
from app.config import Settings, get_settings
from app.kit.database import Database
from app.main import create_app
from tests.audit_helpers import drain_staging, tamper_sql
from tests.conftest import make_settings
from tests.overwriting import HOOKS
from tests.world import World

MODES = ["inline", "deferred"]
PROJECT_DIR = Path(__file__).resolve().parents[2]


# --- the harness: an app whose settings the test chose ------------------------------------------------------


@dataclass
class Harness:
    db_url: str
    settings: Settings
    app: Any
    client: httpx.AsyncClient
    engine: AsyncEngine  # the test's own connection to the database, to read what the API is compared with
    ledger_running: bool = False
    world: World = field(init=False)

    def __post_init__(self) -> None:
        self.world = World(self.client, self.h)

    def h(self, org: str, *roles: str, sub: str | None = None) -> dict[str, str]:
        token = issue_dev_token(self.settings, org=org, roles=list(roles), sub=sub or f"{roles[0]}@{org}")
        return {"Authorization": f"Bearer {token}"}

    @property
    def auditor(self) -> dict[str, str]:
        return self.h("zvh-mh", "auditor", sub="auditor-1")

    @property
    def checkpoints(self) -> Path:
        directory = self.settings.effective_checkpoint_dir
        assert directory is not None
        return directory

    async def start_ledger(self) -> None:
        await self.app.state.ledger.start()
        self.ledger_running = True
        ledger = self.ledger
        # Its first round reads the head (and signs it, if not the empty log) once `monotonic() - 0` exceeds the
        # interval; then not again for an interval. Tests with a long interval start on the empty log and wait
        # for that round, so that the only checkpoint they see is the one stop() signs.
        interval = self.settings.audit_checkpoint_interval

        async def first_round_done() -> bool:
            return ledger._signed_at > 0 or time.monotonic() < interval

        await _until("the ledger's first round", first_round_done)

    @property
    def ledger(self) -> Ledger:
        """The app's ledger (PostgreSQL's deferred one runs on a thread of its own: app/audit/ledger_thread.py)."""
        ledger = self.app.state.ledger
        return ledger.ledger if isinstance(ledger, AuditThread) else ledger  # type: ignore[no-any-return]

    async def stop_ledger(self) -> None:
        self.ledger_running = False
        await self.app.state.ledger.stop()

    # -- the database as it is ------------------------------------------------------------------------------
    async def staged(self) -> list[Row[Any]]:
        """Staged entries in staging order (oldest first)."""
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(AuditStaged.__table__).order_by(AuditStaged.staged_seq))).all())

    async def chained(self) -> list[Row[Any]]:
        """The chain in seq order."""
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq))).all())

    async def head(self) -> tuple[int, str]:
        async with self.engine.connect() as conn:
            seq, digest = (await conn.execute(select(AuditChainHead.seq, AuditChainHead.hash))).one()
        return int(seq), str(digest)

    async def staged_count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(AuditStaged))).scalar_one())

    async def listing_now(self) -> list[str]:
        """What GET /v1/audit should list right now, newest first: staged entries, then the chain."""
        staged = [str(r.id) for r in reversed(await self.staged())]
        return staged + [str(r.id) for r in reversed(await self.chained())]

    async def verify(self) -> dict[str, Any]:
        r = await self.client.get("/v1/audit/verify", headers=self.auditor)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def audit(self, **params: Any) -> list[dict[str, Any]]:
        r = await self.client.get("/v1/audit", params={"limit": 200, **params}, headers=self.auditor)
        assert r.status_code == 200, r.text
        assert r.json()["next_cursor"] is None
        items: list[dict[str, Any]] = r.json()["items"]
        return items


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def harness(db_url: str, tmp_path: Path) -> AsyncIterator[HarnessFactory]:
    made: list[Harness] = []

    async def make(chaining: str | None, *, interval: float = 1.0) -> Harness:
        settings = make_settings(db_url, audit_checkpoint_dir=tmp_path / "checkpoints", audit_chaining=chaining,
                                 audit_checkpoint_interval=interval)
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        client = httpx.AsyncClient(event_hooks=HOOKS, transport=transport, base_url="http://testserver")
        made.append(Harness(db_url, settings, app, client, create_async_engine(db_url)))
        return made[-1]

    yield make
    for h in made:
        if h.ledger_running:
            await h.stop_ledger()
        await h.client.aclose()
        await h.engine.dispose()
        await h.app.state.db.dispose()


async def _until(what: str, check: Callable[[], Awaitable[bool]], within: float = 2.0) -> None:
    """Poll `check` with short sleeps until it holds; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.02)


async def _organisations(h: Harness, n: int, prefix: str = "org") -> list[httpx.Response]:
    """n audit entries: organisations created by the ZVH's beheerder (the first registers the ZVH)."""
    out: list[httpx.Response] = []
    for i in range(n):
        body = ({"code": "zvh-mh", "name": "ZVH", "kind": "zvh"} if i == 0 and prefix == "org" else
                {"code": f"{prefix}-{i}-{uuid.uuid4().hex[:6]}", "name": f"Organisatie {i}", "kind": "overig"})
        r = await h.client.post("/v1/organisations", json=body, headers=h.world.beheerder)
        assert r.status_code == 201, r.text
        out.append(r)
    return out


def _listed_ids(items: list[dict[str, Any]]) -> list[str]:
    return [e["id"] for e in items]


def _assert_staged_shape(items: list[dict[str, Any]]) -> None:
    for e in items:
        assert (e["chained"], e["seq"], e["hash"], e["prev_hash"]) == (False, None, None, None), e


def _assert_chained_shape(items: list[dict[str, Any]]) -> None:
    for e in items:
        assert e["chained"] is True and isinstance(e["seq"], int), e
        assert re.fullmatch(r"[0-9a-f]{64}", e["hash"]) and re.fullmatch(r"[0-9a-f]{64}", e["prev_hash"]), e


# --- 1. staged entries in GET /v1/audit ---------------------------------------------------------------------


async def test_staged_entries_are_listed_then_chained_under_the_same_ids(harness: HarnessFactory) -> None:
    h = await harness("deferred")
    await h.world.setup()
    await h.world.case("ijam")
    assert await h.chained() == []  # no chainer runs: everything waits in staging
    staged = [str(r.id) for r in await h.staged()]
    assert len(staged) >= 10

    before = await h.audit()
    _assert_staged_shape(before)
    assert _listed_ids(before) == staged[::-1]  # newest first: staging order reversed
    created = [e["created_at"] for e in before]
    assert created == sorted(created, reverse=True)

    chained_now = await drain_staging(h.db_url)
    assert chained_now == len(staged) + 1  # and the listing's own audit:read entry, staged after it answered
    after = await h.audit()
    _assert_chained_shape(after)
    assert _listed_ids(after) == [str(r.id) for r in reversed(await h.chained())]
    assert [e["seq"] for e in after] == list(range(chained_now, 0, -1))
    # The same entries, in the same order, now links of the chain; the newest is the first listing's entry.
    assert [i for i in _listed_ids(after) if i in set(staged)] == staged[::-1]
    assert (after[0]["action"], after[0]["object_type"], after[0]["chained"]) == ("audit:read", "audit_log", True)
    by_id = {e["id"]: e for e in after}
    for e in before:  # nothing but the chain links changed in the move
        moved = {k: v for k, v in by_id[e["id"]].items() if k not in ("chained", "seq", "hash", "prev_hash")}
        assert moved == {k: v for k, v in e.items() if k not in ("chained", "seq", "hash", "prev_hash")}


async def test_paging_through_staged_and_chained_entries_lists_each_once(harness: HarnessFactory) -> None:
    h = await harness("deferred")
    await _organisations(h, 4)
    assert await drain_staging(h.db_url) == 4
    await _organisations(h, 3, prefix="late")  # three staged on top of four chained: a page straddles both
    expected = await h.listing_now()
    assert len(expected) == 7

    seen: list[dict[str, Any]] = []
    pages: list[list[bool]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = await h.client.get("/v1/audit", params=params, headers=h.auditor)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        pages.append([e["chained"] for e in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "paging does not end"
    # Every entry that existed when paging began, exactly once, newest first; the pages' own audit:read
    # entries are staged above the cursor and not among them.
    assert _listed_ids(seen) == expected
    assert pages == [[False, False], [False, True], [True, True], [True]]
    assert await h.staged_count() == 3 + len(pages)


async def test_filters_apply_to_staged_entries(harness: HarnessFactory) -> None:
    h = await harness("deferred")
    world = h.world
    await world.setup()
    case = await world.case("ijam", participants=("politie",))
    other = await world.case("radicalisering")
    subject = case["subjects"][0]["id"]
    politie = world.h("politie", "medewerker", sub="agent-1")
    assert (await h.client.get(f"/v1/cases/{case['id']}", headers=politie)).status_code == 200
    await drain_staging(h.db_url)  # the set-up is chained; what follows stays staged
    for headers in (politie, world.regisseur):
        assert (await h.client.get(f"/v1/cases/{case['id']}", headers=headers)).status_code == 200
    assert (await h.client.get(f"/v1/cases/{other['id']}", headers=world.regisseur)).status_code == 200
    assert (await world.fire(case["id"], "opschalen")).status_code == 200
    assert await h.staged_count() >= 4

    filters: dict[str, tuple[Any, Callable[[Row[Any]], bool]]] = {
        "action": ("case:read", lambda r: r.action == "case:read"),
        "actor": ("agent-1", lambda r: r.actor_sub == "agent-1"),
        "case_id": (case["id"], lambda r: str(r.case_id) == case["id"]),
        "subject_id": (subject, lambda r: subject in r.subject_ids),
    }
    for name, (value, keep) in filters.items():
        staged = [str(r.id) for r in reversed(await h.staged()) if keep(r)]
        chained = [str(r.id) for r in reversed(await h.chained()) if keep(r)]
        items = await h.audit(**{name: value})
        assert staged and chained, name  # the filter has something to find on both sides
        assert _listed_ids(items) == staged + chained, name
        assert [e["chained"] for e in items] == [False] * len(staged) + [True] * len(chained), name
        everything = await h.listing_now()
        assert len(items) < len(everything), name  # and leaves something out


# --- 2. verify reports the staging ---------------------------------------------------------------------------


async def test_verify_reports_what_is_staged(harness: HarnessFactory) -> None:
    h = await harness("deferred")
    await _organisations(h, 3)
    assert await h.staged_count() == 3
    first = await h.verify()
    assert (first["valid"], first["entries"], first["staged"]) == (True, 0, 3)
    assert isinstance(first["oldest_staged_age_seconds"], float)
    assert 0 <= first["oldest_staged_age_seconds"] < 60
    # The verification's own entry is staged when it has answered: 4 now, all chained by the drain.
    assert await h.staged_count() == 4
    assert await drain_staging(h.db_url) == 4
    second = await h.verify()
    assert (second["valid"], second["entries"], second["staged"]) == (True, 4, 0)
    assert second["oldest_staged_age_seconds"] is None
    # Again staged after answering: the next verification sees exactly that one, not yet chained.
    third = await h.verify()
    assert (third["valid"], third["entries"], third["staged"]) == (True, 4, 1)
    assert third["oldest_staged_age_seconds"] is not None and third["oldest_staged_age_seconds"] >= 0
    assert [(r.action, r.detail["staged"]) for r in await h.staged()] == [("audit:verify", 0), ("audit:verify", 1)]


async def test_verify_with_inline_chaining_has_nothing_staged(harness: HarnessFactory) -> None:
    h = await harness("inline")
    await _organisations(h, 3)
    first = await h.verify()
    assert (first["valid"], first["entries"], first["staged"], first["oldest_staged_age_seconds"]) == (
        True, 3, 0, None)
    second = await h.verify()  # the first verification's entry was chained with its request
    assert (second["valid"], second["entries"], second["staged"]) == (True, 4, 0)
    assert await h.staged_count() == 0


# --- 3. denied attempts survive the rollback ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_denied_attempts_are_kept_though_the_request_rolled_back(harness: HarnessFactory, mode: str) -> None:
    h = await harness(mode)
    world = h.world
    await world.setup()
    case = await world.case("ijam", participants=("politie",))
    hidden = await world.case("radicalisering")  # politie takes no part
    agent = world.h("politie", "medewerker", sub="agent-1")
    before = (await h.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
    # A write refused by role (403: only a procesregisseur closes an ijam case); a write refused after the
    # case was loaded and locked for it (412: a stale If-Match); a read of a case the caller may not see (404).
    refused = await world.fire(case["id"], "afsluiten", headers=agent)
    assert refused.status_code == 403, refused.text
    stale = await world.fire(case["id"], "opschalen", if_match='"7"')
    assert stale.status_code == 412, stale.text
    not_found = await h.client.get(f"/v1/cases/{hidden['id']}", headers=agent)
    assert not_found.status_code == 404, not_found.text

    items = await h.audit(actor="agent-1")
    assert [(e["action"], e["outcome"], e["case_id"], e["chained"]) for e in items] == [
        ("case:read", "denied", hidden["id"], mode == "inline"),
        ("case:transition", "denied", case["id"], mode == "inline"),
    ]
    assert [e["request_id"] for e in items] == [not_found.headers["x-request-id"], refused.headers["x-request-id"]]
    [late] = await h.audit(actor="regisseur-1", action="case:transition")
    assert (late["outcome"], late["case_id"], late["chained"], late["request_id"]) == (
        "denied", case["id"], mode == "inline", stale.headers["x-request-id"])
    assert late["detail"]["reason"] == stale.json()["title"]
    # Of each refused request exactly its denial is kept: nothing it did or queued besides survives.
    by_request: dict[str, list[tuple[str, str]]] = {}
    for r in [*await h.staged(), *await h.chained()]:
        by_request.setdefault(r.request_id, []).append((r.action, r.outcome))
    assert [by_request[r.headers["x-request-id"]] for r in (refused, stale, not_found)] == [
        [("case:transition", "denied")], [("case:transition", "denied")], [("case:read", "denied")]]
    now = (await h.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
    assert (now["state"], now["version"]) == (before["state"], before["version"])


# --- 4. the ledger chains and signs ---------------------------------------------------------------------------


async def _public_key(h: Harness) -> tuple[Any, str]:
    r = await h.client.get("/v1/audit/public-key")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["algorithm"] == "Ed25519"
    return public_key_from_pem(body["public_key_pem"]), body["key_id"]


async def _latest_checkpoint(h: Harness) -> Checkpoint | None:
    return await asyncio.to_thread(DirectorySink(h.checkpoints).latest)


@pytest.mark.parametrize("mode", MODES)
async def test_the_ledger_chains_and_signs_the_head(harness: HarnessFactory, mode: str) -> None:
    h = await harness(mode, interval=0.1)
    await h.start_ledger()
    responses = await _organisations(h, 3)
    assert (await h.client.get("/v1/organisations", headers=h.world.beheerder)).status_code == 200

    async def chained_and_signed() -> bool:
        if await h.staged_count():
            return False
        cp = await _latest_checkpoint(h)
        return cp is not None and (cp.seq, cp.hash) == await h.head()

    await _until("staging empty and the head signed", chained_and_signed)
    seq, digest = await h.head()
    assert seq == 4 and [r.request_id for r in await h.chained()][:3] == [
        r.headers["x-request-id"] for r in responses]
    cp = await _latest_checkpoint(h)
    assert cp is not None and (cp.seq, cp.hash) == (seq, digest)
    assert (h.checkpoints / f"checkpoint-{seq:020d}.json").is_file()
    key, key_id = await _public_key(h)
    assert cp.key_id == key_id and signature_valid(cp, key)
    stats = h.app.state.ledger.stats
    assert stats.chained == (4 if mode == "deferred" else 0) and stats.is_chainer is (mode == "deferred")
    # PostgreSQL's chainer chains on a thread of its own, off the requests' event loop; SQLite's shares the app's
    # one connection and so its loop.
    own_thread = mode == "deferred" and h.settings.database_url.startswith("postgresql")
    assert ("audit-ledger" in {t.name for t in threading.enumerate()}) is own_thread
    assert stats.last_checkpoint_seq == seq and stats.errors == 0
    metrics = (await h.client.get("/metrics")).text  # the same figures, as Prometheus scrapes them
    assert _metric(metrics, "casusregie_audit_chainer") == (1 if mode == "deferred" else 0)
    assert _metric(metrics, "casusregie_audit_chain_lag_seconds_count") == stats.chained
    assert _metric(metrics, 'casusregie_audit_chain_lag_seconds_bucket{le="+Inf"}') == stats.chained
    assert _metric(metrics, "casusregie_audit_last_checkpoint_seq") == seq
    assert _metric(metrics, "casusregie_audit_checkpoints_total") == stats.checkpoints >= 1
    assert _metric(metrics, "casusregie_audit_staged_entries") == 0

    r = await h.client.get("/v1/audit/checkpoints", headers=h.auditor)
    assert r.status_code == 200, r.text
    listed = r.json()["items"]
    assert listed[0] == {k: v for k, v in cp.as_json().items() if k != "format"}
    assert [c["seq"] for c in listed] == sorted({c["seq"] for c in listed}, reverse=True)
    for item in listed:  # every listed checkpoint is one the public key verifies
        assert signature_valid(Checkpoint.from_json({**item, "format": cp.as_json()["format"]}), key)


@pytest.mark.parametrize("mode", MODES)
async def test_stop_chains_and_signs_what_came_just_before(harness: HarnessFactory, mode: str) -> None:
    # An interval longer than the test: the loop signs nothing (it starts on the empty log); stop() must.
    h = await harness(mode, interval=3600)
    await h.start_ledger()
    responses = await _organisations(h, 4)
    await h.stop_ledger()

    assert "audit-ledger" not in {t.name for t in threading.enumerate()}  # the chainer's thread, if any, ended
    assert await h.staged_count() == 0
    seq, digest = await h.head()
    assert seq == 4
    assert [r.request_id for r in await h.chained()] == [r.headers["x-request-id"] for r in responses]
    files = sorted(p.name for p in h.checkpoints.iterdir())
    assert files == [f"checkpoint-{seq:020d}.json"]
    cp = await _latest_checkpoint(h)
    assert cp is not None and (cp.seq, cp.hash) == (seq, digest)
    key, _ = await _public_key(h)
    assert signature_valid(cp, key)


# --- 5. tampering against the checkpoints ---------------------------------------------------------------------


def _cli_env(h: Harness, *, offline: bool) -> dict[str, str]:
    """The command's environment. Offline: as a third party would run it, in production mode with neither a
    signing key nor a checkpoint directory configured (only what its arguments name)."""
    env = {"CASUSREGIE_DATABASE_URL": h.db_url}
    if not offline:
        env |= {"CASUSREGIE_ENV": "development", "CASUSREGIE_AUDIT_CHECKPOINT_DIR": str(h.checkpoints)}
    return env


def _last_json_line(stdout: str) -> dict[str, Any]:
    assert stdout.strip(), "verify-audit printed nothing"
    out: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return out


# --workers 0: the chain checked in the command's own process (the worker processes of the PostgreSQL fast
# path are tested in test_verify.py; starting one per CPU would take seconds here).
VERIFY_AUDIT = ["verify-audit", "--workers", "0"]


async def _cli_in_process(h: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                          *args: str, offline: bool = False) -> tuple[int, dict[str, Any]]:
    """`casusregie verify-audit` as `app.cli.main` runs it, settings read from the environment, in a thread of
    this process (its own event loop): the command's code without a second or more of imports per call."""
    for key in [k for k in os.environ if k.startswith("CASUSREGIE_")]:
        monkeypatch.delenv(key)
    for key, value in _cli_env(h, offline=offline).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    capsys.readouterr()
    try:
        code = await asyncio.to_thread(cli.main, [*VERIFY_AUDIT, *args])
    finally:
        get_settings.cache_clear()
    return code, _last_json_line(capsys.readouterr().out)


def _cli_process(h: Harness, *args: str, offline: bool = False) -> tuple[int, dict[str, Any]]:
    """`python -m app.cli verify-audit` in a process of its own, as an operator or a third party runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASUSREGIE_")} | _cli_env(h, offline=offline)
    proc = subprocess.run([sys.executable, "-m", "app.cli", *VERIFY_AUDIT, *args], env=env, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=60, check=False)
    return proc.returncode, _last_json_line(proc.stdout)


async def _chain_alone(h: Harness) -> dict[str, Any]:
    """The hash chain's own verdict, without any checkpoint."""
    db = Database(h.settings)
    try:
        async with db.sessionmaker() as session:
            return (await verify_chain(session)).as_dict()
    finally:
        await db.dispose()


async def _signed_log(h: Harness) -> Checkpoint:
    """A log with subjects in its newest entries, signed by the ledger at its head when stopped (the only
    checkpoint: the ledger starts on the empty log and its interval is longer than the test)."""
    await h.start_ledger()
    await h.world.setup()
    case = await h.world.case("ijam")
    for _ in range(3):
        assert (await h.client.get(f"/v1/cases/{case['id']}", headers=h.world.regisseur)).status_code == 200
    await h.stop_ledger()
    cp = await _latest_checkpoint(h)
    assert cp is not None and (cp.seq, cp.hash) == await h.head()
    assert [p.name for p in h.checkpoints.iterdir()] == [f"checkpoint-{cp.seq:020d}.json"]
    assert await h.staged_count() == 0
    return cp


def _contradicted(body: dict[str, Any], cp: Checkpoint, reason: str, h: Harness) -> None:
    assert body["valid"] is False, body
    assert (body["reason"], body["first_invalid_seq"]) == (reason, cp.seq), body
    assert body["contradicted_checkpoint"] == {
        "seq": cp.seq, "time": cp.as_json()["time"], "reason": reason,
        "source": str(h.checkpoints / f"checkpoint-{cp.seq:020d}.json")}, body


@pytest.mark.parametrize("mode", MODES)
async def test_a_truncated_log_contradicts_the_checkpoint(
    harness: HarnessFactory, mode: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = await harness(mode, interval=3600)
    cp = await _signed_log(h)
    rows = await h.chained()
    keep = cp.seq - 3  # the three case reads go, with their subject index rows; the head is set back
    assert all(r.subject_ids for r in rows[keep:])
    await tamper_sql(h.db_url, "DELETE FROM audit_log_subject WHERE seq > :keep", keep=keep)
    await tamper_sql(h.db_url, "DELETE FROM audit_log WHERE seq > :keep", keep=keep)
    await tamper_sql(h.db_url, "UPDATE audit_chain_head SET seq = :seq, hash = :hash WHERE id = 1",
                     seq=keep, hash=rows[keep - 1].hash)

    assert await _chain_alone(h) == {"valid": True, "entries": keep, "head": rows[keep - 1].hash}
    body = await h.verify()
    _contradicted(body, cp, TRUNCATED, h)
    assert body["entries"] == keep and body["checkpoints_checked"] == 1
    assert body["newest_checkpoint"] == {"seq": cp.seq, "time": cp.as_json()["time"]}
    code, out = await _cli_in_process(h, monkeypatch, capsys)
    assert code == 1
    _contradicted(out, cp, TRUNCATED, h)


def _fields(row: Row[Any]) -> dict[str, Any]:
    return {f: getattr(row, f) for f in HASHED_FIELDS}


@pytest.mark.parametrize("mode", MODES)
async def test_a_recomputed_chain_contradicts_the_checkpoint(
    harness: HarnessFactory, mode: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = await harness(mode, interval=3600)
    cp = await _signed_log(h)
    rows = await h.chained()
    prev = GENESIS_HASH
    for row in rows:  # the app's own hash over the stored fields: what the forger recomputes is what it checks
        assert (row.prev_hash, entry_hash(prev, _fields(row))) == (prev, row.hash), row.seq
        prev = row.hash

    edited = cp.seq - 2  # an entry the checkpoint covers: its actor changed, every later link recomputed
    prev = rows[edited - 2].hash
    for row in rows[edited - 1:]:
        fields = _fields(row) | ({"actor_sub": "iemand-anders"} if row.seq == edited else {})
        digest = entry_hash(prev, fields)
        await tamper_sql(h.db_url, "UPDATE audit_log SET actor_sub = :actor, prev_hash = :prev, hash = :hash "
                                   "WHERE seq = :seq", actor=fields["actor_sub"], prev=prev, hash=digest, seq=row.seq)
        prev = digest
    await tamper_sql(h.db_url, "UPDATE audit_chain_head SET hash = :hash WHERE id = 1", hash=prev)

    assert await _chain_alone(h) == {"valid": True, "entries": cp.seq, "head": prev}
    body = await h.verify()
    _contradicted(body, cp, REWRITTEN, h)
    assert body["entries"] == cp.seq
    code, out = await _cli_in_process(h, monkeypatch, capsys)
    assert code == 1
    _contradicted(out, cp, REWRITTEN, h)


@pytest.mark.parametrize("mode", MODES)
async def test_an_edited_checkpoint_file_has_a_bad_signature(
    harness: HarnessFactory, mode: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = await harness(mode, interval=3600)
    cp = await _signed_log(h)
    assert (await h.verify())["valid"] is True
    path = h.checkpoints / f"checkpoint-{cp.seq:020d}.json"
    doc = json.loads(path.read_text())
    doc["hash"] = hashlib.sha256(b"another history").hexdigest()
    path.chmod(0o644)  # written read-only; whoever edits it can change that
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")

    body = await h.verify()
    _contradicted(body, cp, BAD_SIGNATURE, h)
    code, out = await _cli_in_process(h, monkeypatch, capsys)
    assert code == 1
    _contradicted(out, cp, BAD_SIGNATURE, h)


async def test_a_third_party_checks_offline_with_the_public_key(
    harness: HarnessFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The database's default chaining (SQLite inline, PostgreSQL deferred): a command started as a process of
    # its own costs seconds of imports, so once per database.
    h = await harness(None, interval=3600)
    cp = await _signed_log(h)
    r = await h.client.get("/v1/audit/public-key")  # no token: the key is public
    assert r.status_code == 200, r.text
    pem = tmp_path / "audit-public-key.pem"
    pem.write_text(r.json()["public_key_pem"])
    copy = tmp_path / "copy-of-the-checkpoints"
    shutil.copytree(h.checkpoints, copy)
    assert await h.staged_count() == 0

    code, out = await asyncio.to_thread(_cli_process, h, "--public-key", str(pem), "--checkpoints", str(copy),
                                        offline=True)
    assert (code, out["valid"], out["checkpoints_checked"], out["newest_checkpoint"]) == (
        0, True, 1, {"seq": cp.seq, "time": cp.as_json()["time"]}), out
    assert out["entries"] == cp.seq and "contradicted_checkpoint" not in out

    # The key given is the one used: another key finds every checkpoint unsigned (the same command, in this
    # process to save a second start-up).
    other = tmp_path / "another-public-key.pem"
    other.write_text(Signer(Ed25519PrivateKey.generate()).public_key_pem())
    code, out = await _cli_in_process(h, monkeypatch, capsys, "--public-key", str(other), "--checkpoints",
                                      str(copy), offline=True)
    assert (code, out["valid"], out["reason"], out["contradicted_checkpoint"]["seq"]) == (
        1, False, BAD_SIGNATURE, cp.seq), out


# --- 6. /metrics -------------------------------------------------------------------------------------------


def _metric(text: str, name: str) -> float:
    [value] = re.findall(rf"^{re.escape(name)} (\S+)$", text, flags=re.MULTILINE)
    return float(value)


@pytest.mark.parametrize("mode", MODES)
async def test_metrics_show_the_staged_entries(harness: HarnessFactory, mode: str) -> None:
    h = await harness(mode)
    await _organisations(h, 3)
    assert (await h.client.get("/v1/organisations", headers=h.world.beheerder)).status_code == 200
    expected = 4 if mode == "deferred" else 0
    assert await h.staged_count() == expected
    for _ in range(2):  # /metrics is not audited: it does not stage anything itself
        r = await h.client.get("/metrics")
        assert r.status_code == 200, r.text
        assert _metric(r.text, "casusregie_audit_staged_entries") == expected
    oldest = _metric(r.text, "casusregie_audit_oldest_staged_seconds")
    assert oldest >= 0 if mode == "deferred" else oldest == 0
    await drain_staging(h.db_url)
    r = await h.client.get("/metrics")
    assert _metric(r.text, "casusregie_audit_staged_entries") == 0
    assert _metric(r.text, "casusregie_audit_oldest_staged_seconds") == 0
