"""The audit ledger on PostgreSQL: chainers that race, a chainer killed mid-batch, the election of one chainer
among processes, the database refusing to rewrite history, and the runtime role (scripts/runtime-role.sql).

The requests in these tests go through the `client` fixture (httpx's ASGI transport runs no lifespan, so the
app's own Ledger never starts): the entries they stage are chained only by what each test runs itself.
Which entries were staged is recorded by a trigger of the test's own on `audit_staging` (`_capture_staged`),
so that "every staged entry was chained exactly once" is checked against the database's own account.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from app.audit import chainer
from app.audit.ledger import CHAINER_LOCK_KEY, STANDBY_SECONDS, Ledger
from app.audit.verification import Verification, verify_chain
from app.config import Settings
from app.kit.database import Database
from tests.conftest import IS_PG, asgi_client, make_settings, token_factory
from tests.serving import PROJECT_DIR
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="the audit ledger's chainer, election and database-side "
                                "protections exist on PostgreSQL only (set CASUSREGIE_TEST_DATABASE_URL)")

RUNTIME_ROLE_SQL = PROJECT_DIR / "scripts" / "runtime-role.sql"
RUNTIME_ROLE = "casusregie_app"
INSUFFICIENT_PRIVILEGE = "42501"


# --- helpers -------------------------------------------------------------------------------------------------

def _dsn(url: str) -> str:
    """The asyncpg DSN of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def _pg(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def _sa(url: str) -> AsyncIterator[AsyncConnection]:
    """A SQLAlchemy connection of its own (as the chainer uses)."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


async def _fetchval(url: str, sql: str, *args: Any) -> Any:
    async with _pg(url) as conn:
        return await conn.fetchval(sql, *args)


async def _capture_staged(db_url: str) -> None:
    """From now on, the id of every entry inserted into audit_staging is also kept in `test_staged` (once: the
    primary key would refuse a second staging of one id)."""
    async with _pg(db_url) as conn:
        await conn.execute("CREATE TABLE test_staged (id uuid PRIMARY KEY, staged_seq bigint NOT NULL)")
        await conn.execute("""
            CREATE FUNCTION test_capture_staged() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO test_staged (id, staged_seq) VALUES (NEW.id, NEW.staged_seq);
              RETURN NULL;
            END $$""")
        await conn.execute("CREATE TRIGGER test_capture_staged AFTER INSERT ON audit_staging "
                           "FOR EACH ROW EXECUTE FUNCTION test_capture_staged()")


async def _captured(db_url: str) -> set[uuid.UUID]:
    async with _pg(db_url) as conn:
        return {r["id"] for r in await conn.fetch("SELECT id FROM test_staged")}


async def _staging_ids(db_url: str) -> list[uuid.UUID]:
    async with _pg(db_url) as conn:
        return [r["id"] for r in await conn.fetch("SELECT id FROM audit_staging ORDER BY staged_seq")]


async def _log_ids(db_url: str) -> list[uuid.UUID]:
    async with _pg(db_url) as conn:
        return [r["id"] for r in await conn.fetch("SELECT id FROM audit_log ORDER BY seq")]


async def _assert_log_is_exactly(db_url: str, expected: set[uuid.UUID]) -> None:
    """audit_log holds exactly `expected`, each once, at seqs 1..N; nothing is left staged; the chain verifies."""
    async with _pg(db_url) as conn:
        rows = await conn.fetch("SELECT seq, id FROM audit_log ORDER BY seq")
        staged = await conn.fetchval("SELECT count(*) FROM audit_staging")
        head = await conn.fetchval("SELECT seq FROM audit_chain_head WHERE id = 1")
    ids = [r["id"] for r in rows]
    assert staged == 0
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1)), "seqs are not 1..N without gaps"
    assert len(set(ids)) == len(ids), "an entry was chained twice"
    assert set(ids) == expected, (f"missing from the log: {len(expected - set(ids))}, "
                                  f"in the log but never staged: {len(set(ids) - expected)}")
    assert head == len(rows)
    verdict = await _verify(db_url)
    assert verdict.valid and verdict.entries == len(expected), verdict.as_dict()


async def _verify(url: str) -> Verification:
    db = Database(make_settings(url))
    try:
        async with db.sessionmaker() as session:
            return await verify_chain(session, workers=0)
    finally:
        await db.dispose()


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> float:
    """Poll `condition` until it holds; the seconds it took (fails after `seconds`)."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def _ijam_cases(world: World, n: int) -> list[str]:
    cases = await asyncio.gather(*(world.case("ijam", initial_state="netwerkoverleg") for _ in range(n)))
    return [c["id"] for c in cases]


async def _snapshot(conn: asyncpg.Connection) -> tuple[list[Any], ...]:
    """Every row of the chained log, its subject index and the chain head, as they are stored."""
    out: list[list[Any]] = []
    for sql in ("SELECT * FROM audit_log ORDER BY seq",
                "SELECT * FROM audit_log_subject ORDER BY seq, subject_id",
                "SELECT * FROM audit_chain_head ORDER BY id"):
        out.append([tuple(r) for r in await conn.fetch(sql)])
    return tuple(out)


async def _refused(conn: asyncpg.Connection, statement: str) -> asyncpg.PostgresError:
    """Run `statement` in a transaction of its own; it must fail. The error, for the caller to examine."""
    try:
        async with conn.transaction():
            await conn.execute(statement)
    except asyncpg.PostgresError as exc:
        return exc
    raise AssertionError(f"the database accepted: {statement}")


# --- 1. two chainers racing -------------------------------------------------------------------------------

TRANSITIONS = 20
RACE_BATCH = 3


@dataclass
class ChainerLoop:
    """A chainer calling chain_batch over and over on a connection of its own, until told to stop and staging
    is empty; what each of its batches chained."""

    name: str
    batches: list[chainer.Batch] = field(default_factory=list)

    async def run(self, db_url: str, requests_done: asyncio.Event) -> None:
        async with _sa(db_url) as conn:
            while True:
                done = requests_done.is_set()  # read before the batch: an empty batch after it means drained
                batch = await chainer.chain_batch(conn, batch=RACE_BATCH)
                if batch is not None:
                    self.batches.append(batch)
                elif done:
                    return
                else:
                    await asyncio.sleep(0.001)


async def test_two_chainers_racing_never_fork_the_chain(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    world = await World(client, auth).setup()
    case_ids = await _ijam_cases(world, TRANSITIONS)
    before = set(await _staging_ids(db_url))  # staged by the set-up, chained by the racers too
    await _capture_staged(db_url)

    requests_done = asyncio.Event()
    chainers = [ChainerLoop("a"), ChainerLoop("b")]
    loops = [asyncio.create_task(c.run(db_url, requests_done)) for c in chainers]
    try:
        responses = await asyncio.gather(*(world.fire(case_id, "opschalen") for case_id in case_ids))
    finally:
        requests_done.set()
        await asyncio.gather(*loops)
    assert [r.status_code for r in responses] == [200] * TRANSITIONS, [r.text[:200] for r in responses]

    staged = before | await _captured(db_url)
    await _assert_log_is_exactly(db_url, set(staged))
    # Every batch of either chainer moved the head to a seq of its own, and the batches add up to the log:
    # no two batches chained onto the same head (a fork), none chained an entry another had chained.
    heads = sorted(b.head[0] for c in chainers for b in c.batches)
    assert len(set(heads)) == len(heads)
    assert sum(b.count for c in chainers for b in c.batches) == len(staged)
    assert heads[-1] == len(staged)
    # They did race: both chained, in batches of at most RACE_BATCH.
    assert all(c.batches for c in chainers), {c.name: len(c.batches) for c in chainers}
    assert all(0 < b.count <= RACE_BATCH for c in chainers for b in c.batches)
    # Each transition's audit entry is in the log once, under the request id the server answered with.
    async with _pg(db_url) as conn:
        rows = await conn.fetch("SELECT request_id, case_id FROM audit_log WHERE action = 'case:transition' "
                                "AND outcome = 'allowed'")
    assert sorted((r["request_id"], str(r["case_id"])) for r in rows) == sorted(
        (resp.headers["x-request-id"], case_id) for resp, case_id in zip(responses, case_ids, strict=True))


# --- 2. kill -9 mid-batch -----------------------------------------------------------------------------------

KILL_BATCH = 3

# A chainer in a process of its own: drains in batches of KILL_BATCH and stops dead (the whole process, its
# event loop included) right after the statement named on the command line has run in the batch named there,
# before that batch commits.
STOPPED_CHAINER = '''
import asyncio, sys, time
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from app.audit import chainer

url, batch, prefix, stop_in = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
seen = 0

def after_execute(conn, cursor, statement, parameters, context, executemany):
    global seen
    if statement.startswith(prefix):
        seen += 1
        if seen == stop_in:
            print("STOPPED", flush=True)
            time.sleep(600)

async def main():
    engine = create_async_engine(url, poolclass=NullPool)
    event.listen(engine.sync_engine, "after_cursor_execute", after_execute)
    async with engine.connect() as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        await conn.commit()
        print(f"BACKEND {pid}", flush=True)
        print(f"CHAINED {await chainer.drain(conn, batch=batch)}", flush=True)

asyncio.run(main())
'''


async def _line(stream: asyncio.StreamReader) -> str:
    line = await asyncio.wait_for(stream.readline(), timeout=60)
    if not line:
        raise AssertionError("the chainer process ended before it was stopped")
    return line.decode().strip()


# The batch's statements (app/audit/chainer.py): BEGIN, the head locked, the staged entries read, one write (its
# entries, their subject index, the staged rows deleted, the head moved: data-modifying CTEs), COMMIT.
@pytest.mark.parametrize("stop_after", [
    pytest.param("SELECT audit_staging.staged_seq", id="after-reading-the-batch-before-writing"),
    pytest.param("WITH chained AS", id="after-the-write-before-commit"),
])
async def test_kill_9_of_the_chainer_mid_batch_loses_nothing_and_chains_nothing_twice(
    client: httpx.AsyncClient, auth: Any, db_url: str, tmp_path: Path, stop_after: str
) -> None:
    world = await World(client, auth).setup()
    for case_id in await _ijam_cases(world, 2):
        assert (await world.fire(case_id, "opschalen")).status_code == 200
    staged = await _staging_ids(db_url)  # in staging order: the order they must be chained in
    assert len(staged) > 2 * KILL_BATCH and await _log_ids(db_url) == []

    script = tmp_path / "stopped_chainer.py"
    script.write_text(STOPPED_CHAINER, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PROJECT_DIR))
    # The second batch stops: the first (KILL_BATCH entries) has committed, the second is mid-transaction.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), db_url, str(KILL_BATCH), stop_after, "2",
        cwd=PROJECT_DIR, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    try:
        backend = int((await _line(proc.stdout)).removeprefix("BACKEND "))
        assert await _line(proc.stdout) == "STOPPED"
        async with _pg(db_url) as conn:
            # Stopped inside its transaction, holding the chain head; nothing of the batch is visible.
            assert await conn.fetchval("SELECT state FROM pg_stat_activity WHERE pid = $1", backend) \
                == "idle in transaction"
            assert await _staging_ids(db_url) == staged[KILL_BATCH:]
            assert await _log_ids(db_url) == staged[:KILL_BATCH]
            # Another chainer waits for the head instead of chaining beside it.
            await conn.execute("SET lock_timeout = '200ms'")
            with pytest.raises(asyncpg.LockNotAvailableError):
                await conn.fetchval("SELECT seq FROM audit_chain_head WHERE id = 1 FOR UPDATE")
        os.kill(proc.pid, signal.SIGKILL)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == -signal.SIGKILL
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    # The server notices the dead client and rolls its transaction back.
    async def backend_gone() -> bool:
        return bool(await _fetchval(db_url, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", backend) == 0)

    await _until(backend_gone, 10, "the killed chainer's backend ends")
    assert await _staging_ids(db_url) == staged[KILL_BATCH:]
    assert await _log_ids(db_url) == staged[:KILL_BATCH]
    assert await _fetchval(db_url, "SELECT seq FROM audit_chain_head WHERE id = 1") == KILL_BATCH

    async with _sa(db_url) as chaining:
        assert await chainer.drain(chaining, batch=KILL_BATCH) == len(staged) - KILL_BATCH
    assert await _log_ids(db_url) == staged  # every entry once, in staging order
    await _assert_log_is_exactly(db_url, set(staged))


# --- 3. two Ledgers elect one chainer -------------------------------------------------------------------------

CHAINED_WITHIN = 1.0
TAKEOVER_WITHIN = 3 * STANDBY_SECONDS


async def _election_lock_holders(db_url: str) -> list[int]:
    """The backends holding the chainer's advisory lock in this database."""
    async with _pg(db_url) as conn:
        rows = await conn.fetch(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND ((classid::bigint << 32) | objid::bigint) = $1", CHAINER_LOCK_KEY)
    return [r["pid"] for r in rows]


async def test_two_ledgers_elect_one_chainer_and_the_other_takes_over(
    client: httpx.AsyncClient, auth: Any, db_url: str, tmp_path: Path
) -> None:
    world = await World(client, auth).setup()
    await _capture_staged(db_url)
    staged_before = set(await _staging_ids(db_url))

    dbs = [Database(make_settings(db_url, audit_checkpoint_dir=tmp_path / name)) for name in ("a", "b")]
    ledgers = [Ledger(db.settings, db) for db in dbs]
    stopped: set[int] = set()

    async def staging_empty() -> bool:
        return bool(await _fetchval(db_url, "SELECT count(*) FROM audit_staging") == 0)

    async def one_chainer() -> bool:
        return any(ledger.stats.is_chainer for ledger in ledgers)

    try:
        for ledger in ledgers:
            await ledger.start()
        await _until(one_chainer, 3, "a chainer is elected")
        await asyncio.sleep(0.3)  # the other has tried by now, and stands by
        assert [ledger.stats.is_chainer for ledger in ledgers].count(True) == 1
        first = next(i for i, ledger in enumerate(ledgers) if ledger.stats.is_chainer)
        other = 1 - first
        assert len(await _election_lock_holders(db_url)) == 1
        await _until(staging_empty, 3, "the set-up's entries are chained")

        # Entries staged by requests are chained by the elected one, promptly.
        case_ids = await _ijam_cases(world, 3)
        for case_id in case_ids:
            assert (await world.fire(case_id, "opschalen")).status_code == 200
        assert await _until(staging_empty, CHAINED_WITHIN, "the requests' entries are chained") < CHAINED_WITHIN
        assert ledgers[first].stats.chained > 0 and ledgers[other].stats.chained == 0
        assert not ledgers[other].stats.is_chainer

        # The chainer goes away (a clean stop gives up the lock): the other takes over.
        await ledgers[first].stop()
        stopped.add(first)
        assert not ledgers[first].stats.is_chainer

        async def took_over() -> bool:
            return ledgers[other].stats.is_chainer

        await _until(took_over, TAKEOVER_WITHIN, "the standing-by ledger becomes the chainer")
        assert len(await _election_lock_holders(db_url)) == 1
        for case_id in case_ids:
            assert (await world.fire(case_id, "afschalen")).status_code == 200
        assert await _until(staging_empty, CHAINED_WITHIN, "the new entries are chained") < CHAINED_WITHIN
        assert ledgers[other].stats.chained > 0

        await ledgers[other].stop()
        stopped.add(other)
    finally:
        for i, ledger in enumerate(ledgers):
            if i not in stopped:
                await ledger.stop()
        for db in dbs:
            await db.dispose()

    assert [ledger.stats.errors for ledger in ledgers] == [0, 0]
    assert not any(ledger.stats.is_chainer for ledger in ledgers)
    assert await _election_lock_holders(db_url) == []
    await _assert_log_is_exactly(db_url, staged_before | await _captured(db_url))


# --- 4. the database refuses to rewrite history, even for the owner --------------------------------------------

APPEND_ONLY = "append-only"
FORWARD_ONLY = "only moves forward"

REWRITES = [
    ("UPDATE audit_log SET actor_sub = 'iemand-anders' WHERE seq = 1", APPEND_ONLY),
    ("UPDATE audit_log SET toelichting = toelichting", APPEND_ONLY),  # even an update that changes nothing
    ("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)", APPEND_ONLY),
    ("DELETE FROM audit_log", APPEND_ONLY),
    ("TRUNCATE audit_log CASCADE", APPEND_ONLY),
    ("TRUNCATE audit_log, audit_log_subject", APPEND_ONLY),
    # Alone, audit_log cannot be truncated at all: audit_log_subject references it.
    ("TRUNCATE audit_log", "referenced in a foreign key constraint"),
    ("UPDATE audit_log_subject SET subject_id = 'iemand-anders'", APPEND_ONLY),
    ("DELETE FROM audit_log_subject", APPEND_ONLY),
    ("TRUNCATE audit_log_subject", APPEND_ONLY),
    ("DELETE FROM audit_chain_head", FORWARD_ONLY),
    ("UPDATE audit_chain_head SET seq = seq - 1, hash = (SELECT hash FROM audit_log ORDER BY seq DESC OFFSET 1 "
     "LIMIT 1)", FORWARD_ONLY),
    ("UPDATE audit_chain_head SET seq = 0", FORWARD_ONLY),
    ("UPDATE audit_chain_head SET hash = repeat('0', 64)", FORWARD_ONLY),  # same seq, another hash
]


async def _chained_log(world: World, db_url: str) -> None:
    """A chained log with subjects: the set-up, a case and a transition, drained."""
    case_id = (await _ijam_cases(world, 1))[0]
    assert (await world.fire(case_id, "opschalen")).status_code == 200
    async with _sa(db_url) as conn:
        assert await chainer.drain(conn) > 2


async def test_the_database_refuses_to_rewrite_history_even_for_the_owner(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    await _chained_log(await World(client, auth).setup(), db_url)
    async with _pg(db_url) as conn:
        # The tests' role: a superuser that owns the tables, with the triggers in force.
        assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert await conn.fetchval("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'audit_log'")
        assert await conn.fetchval("SHOW session_replication_role") == "origin"
        before = await _snapshot(conn)
        assert all(before), "the log, its subjects and the head all have rows"
        wrong: list[str] = []
        for statement, expected in REWRITES:
            exc = await _refused(conn, statement)
            if expected not in str(exc):
                wrong.append(f"{statement}: {type(exc).__name__}: {exc}")
            elif expected != "referenced in a foreign key constraint" and exc.sqlstate != INSUFFICIENT_PRIVILEGE:
                wrong.append(f"{statement}: SQLSTATE {exc.sqlstate}")
        assert wrong == []
        assert await _snapshot(conn) == before
    verdict = await _verify(db_url)
    assert verdict.valid and verdict.entries == len(before[0])


@pytest.mark.parametrize("statement", ["TRUNCATE audit_chain_head", "UPDATE audit_chain_head SET id = 2"])
async def test_the_owner_cannot_make_the_chain_head_vanish(db_url: str, statement: str) -> None:
    async with _pg(db_url) as conn:
        before = await _snapshot(conn)
        exc = await _refused(conn, statement)
        assert FORWARD_ONLY in str(exc)
        assert await _snapshot(conn) == before


# --- 5. the runtime role -------------------------------------------------------------------------------------

RUNTIME_PASSWORD = "runtime-role-test-password"

# What scripts/runtime-role.sql grants (table-level; the head's UPDATE is on its seq and hash columns only).
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
READ_WRITE = {"SELECT", "INSERT", "UPDATE", "DELETE"}
SPECIAL_TABLES = {
    "audit_log": {"SELECT", "INSERT"},
    "audit_log_subject": {"SELECT", "INSERT"},
    "audit_chain_head": {"SELECT"},
    "audit_staging": {"SELECT", "INSERT", "DELETE"},
    "alembic_version": {"SELECT"},
    "event_outbox": {"SELECT", "INSERT"},  # and UPDATE of dispatched_at only
    "event_delivery_attempt": {"SELECT", "INSERT"},
}

PERMISSION_DENIED = "permission denied"
MUST_BE_OWNER = "must be owner"
RUNTIME_REFUSALS = [
    ("UPDATE audit_log SET actor_sub = 'iemand-anders' WHERE seq = 1", PERMISSION_DENIED),
    ("DELETE FROM audit_log", PERMISSION_DENIED),
    ("TRUNCATE audit_log", PERMISSION_DENIED),
    ("TRUNCATE audit_log CASCADE", PERMISSION_DENIED),
    ("UPDATE audit_log_subject SET subject_id = 'iemand-anders'", PERMISSION_DENIED),
    ("DELETE FROM audit_log_subject", PERMISSION_DENIED),
    ("TRUNCATE audit_log_subject", PERMISSION_DENIED),
    ("DELETE FROM audit_chain_head", PERMISSION_DENIED),
    ("TRUNCATE audit_chain_head", PERMISSION_DENIED),
    ("UPDATE audit_chain_head SET id = 2", PERMISSION_DENIED),
    ("INSERT INTO audit_chain_head (id, seq, hash) VALUES (2, 0, repeat('0', 64))", PERMISSION_DENIED),
    ("UPDATE audit_chain_head SET seq = 0", FORWARD_ONLY),  # it may move the head, but only forward
    ("UPDATE audit_staging SET actor_sub = 'iemand-anders'", PERMISSION_DENIED),
    ("TRUNCATE audit_staging", PERMISSION_DENIED),
    ("TRUNCATE casus_transition", PERMISSION_DENIED),
    ("UPDATE alembic_version SET version_num = 'elders'", PERMISSION_DENIED),
    ("UPDATE event_outbox SET envelope = '{}'", PERMISSION_DENIED),
    ("DELETE FROM event_outbox", PERMISSION_DENIED),
    ("UPDATE event_delivery_attempt SET outcome = 'delivered'", PERMISSION_DENIED),
    ("DELETE FROM event_delivery_attempt", PERMISSION_DENIED),
    ("DELETE FROM alembic_version", PERMISSION_DENIED),
    ("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", MUST_BE_OWNER),
    ("ALTER TABLE audit_log DISABLE TRIGGER ALL", MUST_BE_OWNER),
    ("DROP TRIGGER audit_log_no_truncate ON audit_log", MUST_BE_OWNER),
    ("ALTER TABLE audit_chain_head DISABLE TRIGGER audit_chain_head_forward_only", MUST_BE_OWNER),
    ("DROP TABLE audit_log_subject", MUST_BE_OWNER),
    ("SET session_replication_role = replica", PERMISSION_DENIED),
    ("CREATE ROLE casusregie_app_more", PERMISSION_DENIED),
    ("ALTER ROLE casusregie_app SUPERUSER", "must be superuser"),
]


async def _run_runtime_role_script(db_url: str) -> None:
    """As the owner: the script (one simple-protocol call runs it all, as psql would), then the password."""
    sql = RUNTIME_ROLE_SQL.read_text(encoding="utf-8")
    async with _pg(db_url) as conn:
        await conn.execute(sql)
        await conn.execute(f"ALTER ROLE {RUNTIME_ROLE} PASSWORD '{RUNTIME_PASSWORD}'")


async def _drop_runtime_role(db_url: str) -> None:
    """Roles are cluster-wide: drop what this database grants it, then the role, unless another database
    (a run of this test beside this one) still grants it something."""
    async with _pg(db_url) as conn:
        if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", RUNTIME_ROLE):
            await conn.execute(f"DROP OWNED BY {RUNTIME_ROLE}")
            try:
                await conn.execute(f"DROP ROLE IF EXISTS {RUNTIME_ROLE}")
            except asyncpg.DependentObjectsStillExistError:
                pass


async def _assert_privileges(db_url: str) -> None:
    async with _pg(db_url) as conn:
        role = await conn.fetchrow("SELECT * FROM pg_roles WHERE rolname = $1", RUNTIME_ROLE)
        assert role is not None and role["rolcanlogin"]
        assert not any(role[a] for a in ("rolsuper", "rolcreatedb", "rolcreaterole", "rolreplication",
                                         "rolbypassrls"))
        assert await conn.fetchval("SELECT count(*) FROM pg_auth_members WHERE member = $1", role["oid"]) == 0
        assert await conn.fetchval("SELECT count(*) FROM pg_class WHERE relowner = $1", role["oid"]) == 0
        assert await conn.fetchval("SELECT has_database_privilege($1, current_database(), 'CONNECT')", RUNTIME_ROLE)
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        assert set(SPECIAL_TABLES) <= set(tables)
        granted: dict[str, set[str]] = {}
        for table in tables:
            granted[table] = {p for p in TABLE_PRIVILEGES if await conn.fetchval(
                "SELECT has_table_privilege($1, $2, $3)", RUNTIME_ROLE, f"public.{table}", p)}
        assert granted == {t: SPECIAL_TABLES.get(t, READ_WRITE) for t in tables}
        head_columns = {r["attname"]: r["may"] for r in await conn.fetch(
            "SELECT attname, has_column_privilege($1, 'public.audit_chain_head', attname, 'UPDATE') AS may "
            "FROM pg_attribute WHERE attrelid = 'public.audit_chain_head'::regclass AND attnum > 0",
            RUNTIME_ROLE)}
        assert head_columns == {"id": False, "seq": True, "hash": True}
        sequences = [r["s"] for r in await conn.fetch(
            "SELECT schemaname || '.' || sequencename AS s FROM pg_sequences WHERE schemaname = 'public'")]
        assert sequences
        for seq in sequences:
            assert [await conn.fetchval("SELECT has_sequence_privilege($1, $2, $3)", RUNTIME_ROLE, seq, p)
                    for p in ("USAGE", "SELECT", "UPDATE")] == [True, True, False], seq


async def test_the_runtime_role_serves_the_app_and_cannot_rewrite_the_log(db_url: str) -> None:
    runtime_url = make_url(db_url).set(username=RUNTIME_ROLE, password=RUNTIME_PASSWORD).render_as_string(
        hide_password=False)
    try:
        await _run_runtime_role_script(db_url)
        await _run_runtime_role_script(db_url)  # again, as after the next migration: it converges
        await _assert_privileges(db_url)
        await _serve_as(runtime_url, db_url)
        async with _pg(db_url) as owner:
            before = await _snapshot(owner)
        async with _pg(runtime_url) as conn:
            assert await conn.fetchval("SELECT current_user") == RUNTIME_ROLE
            wrong: list[str] = []
            for statement, expected in RUNTIME_REFUSALS:
                exc = await _refused(conn, statement)
                if expected not in str(exc) or exc.sqlstate != INSUFFICIENT_PRIVILEGE:
                    wrong.append(f"{statement}: {type(exc).__name__} {exc.sqlstate}: {exc}")
            assert wrong == []
        async with _pg(db_url) as owner:
            assert await _snapshot(owner) == before
        assert (await _verify(db_url)).valid
    finally:
        await _drop_runtime_role(db_url)


async def _serve_as(runtime_url: str, db_url: str) -> None:
    """Real work through the app connected as the runtime role, chained and verified as that role too."""
    from app.events.delivery import dispatch
    from app.main import create_app

    settings: Settings = make_settings(runtime_url)
    application = create_app(settings)

    auth = token_factory(settings)
    try:
        async with asgi_client(application) as client:
            r = await client.get("/readyz")  # reads alembic_version as that role
            assert r.status_code == 200, r.text
            world = await World(client, auth).setup()
            case_id = (await _ijam_cases(world, 1))[0]
            assert (await world.fire(case_id, "opschalen")).status_code == 200
            assert await dispatch(application.state.db) > 0  # the worker marks events fanned out, as this role
            r = await client.get("/v1/audit", headers=auth("zvh-mh", "auditor"))
            assert r.status_code == 200, r.text
            staged = await _staging_ids(db_url)
            assert staged

            async with _sa(runtime_url) as conn:
                assert (await conn.execute(text("SELECT current_user"))).scalar() == RUNTIME_ROLE
                await conn.commit()
                assert await chainer.drain(conn) == len(staged)
            assert await _log_ids(db_url) == staged

            verdict = await _verify(runtime_url)
            assert verdict.valid and verdict.entries == len(staged), verdict.as_dict()
            r = await client.get("/v1/audit/verify", headers=auth("zvh-mh", "auditor"))
            assert r.status_code == 200 and r.json()["valid"] is True, r.text
    finally:
        await application.state.db.dispose()


# --- round trips of a batch --------------------------------------------------------------------------------

async def test_a_batch_is_five_round_trips_whatever_its_size(client: httpx.AsyncClient, auth: Any,
                                                              db_url: str) -> None:
    """BEGIN, the head locked, the staged entries read, one write, COMMIT: every round trip waits its turn for the
    GIL (or, in `casusregie worker`, for the worker's loop), so a batch must not grow them."""
    from sqlalchemy import event

    world = await World(client, auth).setup()
    for case_id in await _ijam_cases(world, 3):
        assert (await world.fire(case_id, "opschalen")).status_code == 200
    staged = await _staging_ids(db_url)
    assert len(staged) > 10
    sent: list[str] = []
    async with _sa(db_url) as conn:
        await conn.commit()
        event.listen(conn.sync_engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_: sent.append(statement.split()[0]))
        for batch_size in (1, len(staged) - 1):
            sent.clear()
            batch = await chainer.chain_batch(conn, batch=batch_size)
            assert batch is not None and batch.count == batch_size
            # SELECT head FOR UPDATE, SELECT staged, WITH … UPDATE head (BEGIN and COMMIT are asyncpg's own)
            assert sent == ["SELECT", "SELECT", "WITH"], sent
    await _assert_log_is_exactly(db_url, set(staged))
