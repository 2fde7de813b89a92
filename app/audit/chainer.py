"""The sequencer: entries become links of the hash chain here, and only here.

Requests stage their entries (`record.flush_pending`); `chain_batch` takes staged entries in staging order,
assigns each the next `seq`, hashes it onto the chain, inserts it into `audit_log` (and its subject index),
moves the chain head once, and deletes exactly the entries it chained, all in one transaction (Trillian's
unsequenced queue and single sequencer). On PostgreSQL the writes of a batch are one statement: BEGIN, the
head locked, the staged entries read, the write, COMMIT. A chainer killed mid-batch rolls back and loses
nothing; the next batch takes the same entries again.

Correctness does not rest on the election of one chainer (app/audit/ledger.py, `pg_try_advisory_lock`):
each batch locks the chain-head row first and reads the staging table after it, so two chainers racing
run one after the other and the second sees what the first deleted. The chain cannot fork, and no entry
is chained twice (its id is unique in `audit_log` as well).

SQLite chains inline (`chain_into_log` in the request's transaction): one writer at a time already.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Update, any_, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.audit.hash_chain import entry_hash
from app.audit.models import STAGED_FIELDS, AuditChainHead, AuditEntry, AuditStaged, AuditSubject
from app.kit import bulk_insert
from app.kit.database import table_of

Executor = AsyncSession | AsyncConnection

_HEAD = table_of(AuditChainHead)
_STAGING = table_of(AuditStaged)
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
_INSERT_ENTRY = insert(table_of(AuditEntry))
_INSERT_SUBJECT = insert(table_of(AuditSubject))
_TAKE_STAGED = (select(_STAGING.c.staged_seq, *(_STAGING.c[f] for f in STAGED_FIELDS))
                .order_by(_STAGING.c.staged_seq).limit(bindparam("batch")))
# Exactly the rows taken: a range would also delete an entry with a lower staged_seq that committed after
# the batch was read, without chaining it.
_DELETE_STAGED = delete(_STAGING).where(_STAGING.c.staged_seq.in_(bindparam("taken", expanding=True)))

BATCH = 1000


async def lock_head(conn: Executor) -> tuple[int, str]:
    """The chain head, locked until the transaction ends (FOR UPDATE; SQLite's BEGIN IMMEDIATE)."""
    seq, digest = (await conn.execute(_LOCK_HEAD)).one()
    return int(seq), str(digest)


@dataclass(frozen=True)
class Links:
    """Entries linked onto a head: their rows for `audit_log`, their subject index rows, the new head."""

    rows: list[dict[str, Any]]
    subject_rows: list[dict[str, Any]]
    head: tuple[int, str]


def link(head: tuple[int, str], entries: Sequence[dict[str, Any]]) -> Links:
    """Give `entries` (their fields, no seq or hashes yet) the seqs after `head`, each hashed onto the one before."""
    seq, prev = head
    rows: list[dict[str, Any]] = []
    subject_rows: list[dict[str, Any]] = []
    for fields in entries:
        seq += 1
        linked = dict(fields, seq=seq)
        digest = entry_hash(prev, linked)
        rows.append({**linked, "prev_hash": prev, "hash": digest})
        subject_rows.extend({"seq": seq, "subject_id": s} for s in linked["subject_ids"])
        prev = digest
    return Links(rows, subject_rows, (seq, prev))


async def append_chained(conn: Executor, head: tuple[int, str], entries: Sequence[dict[str, Any]]) -> tuple[int, str]:
    """Chain `entries` after the locked `head`, statement by statement; returns the new head."""
    links = link(head, entries)
    await conn.execute(_INSERT_ENTRY, links.rows)
    if links.subject_rows:
        await conn.execute(_INSERT_SUBJECT, links.subject_rows)
    await conn.execute(_MOVE_HEAD, {"new_seq": links.head[0], "new_hash": links.head[1]})
    return links.head


_ENTRY_COLUMNS = (*STAGED_FIELDS, "seq", "prev_hash", "hash")
# PostgreSQL: a batch's writes as one statement (data-modifying CTEs): its entries, their subject index, the
# staged rows it took, and the head moved. One round trip instead of four: the chainer runs on a busy event
# loop, where every round trip waits its turn behind the requests (the chain lag of bench/RESULTS.md).
_CHAIN_PG: Update = (
    update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
    .add_cte(bulk_insert.unnest_insert(table_of(AuditEntry), _ENTRY_COLUMNS, lambda c: f"e_{c}").cte("chained"))
    .add_cte(bulk_insert.unnest_insert(table_of(AuditSubject), ("seq", "subject_id"), lambda c: f"s_{c}")
             .cte("indexed"))
    .add_cte(delete(_STAGING).where(_STAGING.c.staged_seq == any_(
        bindparam("taken", type_=postgresql.ARRAY(BigInteger())))).cte("taken"))
)


async def _write_batch_pg(conn: AsyncConnection, links: Links, taken: list[int]) -> None:
    params: dict[str, Any] = {f"e_{c}": [row[c] for row in links.rows] for c in _ENTRY_COLUMNS}
    params["s_seq"] = [r["seq"] for r in links.subject_rows]
    params["s_subject_id"] = [r["subject_id"] for r in links.subject_rows]
    params.update(taken=taken, new_seq=links.head[0], new_hash=links.head[1])
    await conn.execute(_CHAIN_PG, params)


async def chain_into_log(conn: Executor, entries: Sequence[dict[str, Any]]) -> tuple[int, str]:
    """Inline chaining (SQLite): lock the head, append, in the caller's transaction."""
    return await append_chained(conn, await lock_head(conn), entries)


@dataclass(frozen=True)
class Batch:
    """What one `chain_batch` chained: how many, the new head, and each entry's wait in staging."""

    count: int
    head: tuple[int, str]
    lags: tuple[float, ...]


async def chain_batch(conn: AsyncConnection, *, batch: int = BATCH) -> Batch | None:
    """Chain up to `batch` staged entries in one transaction of its own; None when nothing was staged."""
    async with conn.begin():
        head = await lock_head(conn)
        staged = (await conn.execute(_TAKE_STAGED, {"batch": batch})).all()
        if not staged:
            return None
        entries = [dict(zip(STAGED_FIELDS, row[1:], strict=True)) for row in staged]
        taken = [row[0] for row in staged]
        if conn.dialect.name == "postgresql":
            links = link(head, entries)
            await _write_batch_pg(conn, links, taken)
            new_head = links.head
        else:
            new_head = await append_chained(conn, head, entries)
            await conn.execute(_DELETE_STAGED, {"taken": taken})
    now = datetime.now(UTC)
    return Batch(len(entries), new_head, tuple((now - _utc(e["created_at"])).total_seconds() for e in entries))


async def drain(conn: AsyncConnection, *, batch: int = BATCH, deadline_seconds: float | None = None) -> int:
    """Chain until staging is empty (or the deadline passes); the number chained. For shutdown and tests."""
    stop = None if deadline_seconds is None else time.monotonic() + deadline_seconds
    total = 0
    while stop is None or time.monotonic() < stop:
        done = await chain_batch(conn, batch=batch)
        if done is None:
            break
        total += done.count
    return total


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
