"""Idempotency keys of signal intake: claim a key, replay its stored answer, or refuse another body.

Exactly-once rests on the database, not on this process: the key row (primary key organisation +
key) is inserted with `INSERT … ON CONFLICT DO NOTHING` as the first write of the transaction that
stores the signal, and the answer is written into that row before the commit. A second request with
the same key therefore either
- finds the committed row at once and replays its answer; or
- (PostgreSQL) blocks on the primary key until the first transaction ends: after a commit its insert
  does nothing and the following SELECT (a fresh READ COMMITTED snapshot) reads the first answer;
  after a rollback its insert succeeds and it stores the signal itself;
- (SQLite) waits for the write lock (BEGIN IMMEDIATE), so it never overlaps the first at all.
No request ever sees an IntegrityError, so none turns into a 500. Keys live 7 days; an expired key is
taken over by an UPDATE guarded on `expires_at`, which two takers cannot both win.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ValidationFailed
from app.signals.models import IdempotencyRecord
from app.subjects.identity import bsn_hash

TTL = timedelta(days=7)
_ATTEMPTS = 3


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


def request_hash(body: Mapping[str, Any], bsn_key: str) -> str:
    """sha256 of the canonical JSON of the body (sorted keys, no spaces, UTF-8).

    A plain BSN is replaced by its keyed hash first: a bare sha256 over a body that contains a BSN
    could be brute-forced back to the number (about 10^8 valid BSNs) by anyone who knows the rest of
    the body. Equality, which is all the hash is for, is unchanged.
    """
    canonical = dict(body)
    subject = canonical.get("subject")
    if isinstance(subject, dict) and isinstance(subject.get("bsn"), str):
        canonical["subject"] = {**subject, "bsn": "hmac-sha256:" + bsn_hash(subject["bsn"].strip(), bsn_key)}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _insert_if_absent(dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(IdempotencyRecord)
    if dialect == "sqlite":
        return sqlite.insert(IdempotencyRecord)
    raise RuntimeError(f"idempotency keys need INSERT … ON CONFLICT; unsupported database {dialect!r}")


HEADER_LOC: tuple[str | int, ...] = ("header", "Idempotency-Key")


async def claim(
    session: AsyncSession, organisation: str, key: str, digest: str, *, loc: tuple[str | int, ...] = HEADER_LOC
) -> StoredResponse | None:
    """None: this transaction now holds the key and must `store` its answer. Otherwise the answer to replay.

    Raises ValidationFailed (422, naming `loc`) when the key was used with another body, Conflict (409)
    in the one case that cannot happen with committed answers: a row without one.
    """
    table = IdempotencyRecord
    where = (table.organisation == organisation, table.idempotency_key == key)
    for _ in range(_ATTEMPTS):
        now = clock.now()
        stmt = (
            _insert_if_absent(session.get_bind().dialect.name)
            .values(organisation=organisation, idempotency_key=key, request_hash=digest, created_at=now,
                    expires_at=now + TTL)
            .on_conflict_do_nothing(index_elements=["organisation", "idempotency_key"])
            .returning(table.organisation)
        )
        if (await session.execute(stmt)).first() is not None:
            return None
        row = (await session.execute(
            select(table.request_hash, table.response_status, table.response_body, table.expires_at).where(*where)
        )).first()
        if row is None:
            continue  # the holder rolled back between our insert and our read: try to take the key again
        if row.expires_at <= now:
            taken = await session.execute(
                update(table).where(*where, table.expires_at <= now)
                .values(request_hash=digest, response_status=None, response_body=None, created_at=now,
                        expires_at=now + TTL)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return None
            continue  # another request took the expired key first: read what it stored
        if row.request_hash != digest:
            detail = "This Idempotency-Key was used with another request body"
            raise ValidationFailed(detail, errors=[{"loc": list(loc), "msg": detail}])
        if row.response_status is None or row.response_body is None:
            raise Conflict("A request with this Idempotency-Key is still being processed; retry later")
        return StoredResponse(row.response_status, dict(row.response_body))
    raise Conflict("This Idempotency-Key is being claimed concurrently; retry later")


async def store(session: AsyncSession, organisation: str, key: str, response: StoredResponse) -> None:
    """Write the answer into the key row this transaction holds (commits, or vanishes, with the signal)."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.organisation == organisation, IdempotencyRecord.idempotency_key == key)
        .values(response_status=response.status, response_body=response.body)
        .execution_options(synchronize_session=False)
    )

