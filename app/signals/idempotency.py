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
A batch claims all its keys with one statement (`claim_many`), rows in key order, so that batches
sharing keys wait for each other in one order and never deadlock; an answer known before the claim
(no matches to look up) is inserted with the key, so no UPDATE follows.
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

from app.kit import bulk_insert, clock
from app.kit.database import table_of
from app.kit.errors import Conflict, IdempotencyKeyReused
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


@dataclass(frozen=True)
class HeldKey:
    """A key already held (by a committed request, or by an earlier item of the same batch): the hash of
    the body it came with, and its answer."""

    request_hash: str
    response: StoredResponse | None


def answer(held: HeldKey, digest: str, *, loc: tuple[str | int, ...] = HEADER_LOC) -> StoredResponse:
    """The answer to replay for a request with body hash `digest` on a held key.

    Raises IdempotencyKeyReused (422, naming `loc`) when the key was used with another body, Conflict (409)
    in the one case that cannot happen with committed answers: a row without one.
    """
    if held.request_hash != digest:
        detail = "This Idempotency-Key was used with another request body"
        raise IdempotencyKeyReused(detail, errors=[{"loc": list(loc), "msg": detail}])
    if held.response is None:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry later")
    return held.response


def _held(row: Any) -> HeldKey:
    response = None
    if row.response_status is not None and row.response_body is not None:
        response = StoredResponse(row.response_status, dict(row.response_body))
    return HeldKey(row.request_hash, response)


def _answer_values(response: StoredResponse | None) -> dict[str, Any]:
    # No answer: the columns are left out (SQL NULL); a None for the JSON column would store JSON 'null'.
    return {} if response is None else {"response_status": response.status, "response_body": response.body}


async def _claim_one(
    session: AsyncSession, organisation: str, key: str, digest: str, response: StoredResponse | None = None
) -> HeldKey | None:
    """None: this transaction now holds the key (with `response` as its answer, if given). Else who holds it."""
    table = IdempotencyRecord
    where = (table.organisation == organisation, table.idempotency_key == key)
    for _ in range(_ATTEMPTS):
        now = clock.now()
        stmt = (
            _insert_if_absent(session.get_bind().dialect.name)
            .values(organisation=organisation, idempotency_key=key, request_hash=digest, created_at=now,
                    expires_at=now + TTL, **_answer_values(response))
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
                .values(request_hash=digest, created_at=now, expires_at=now + TTL,
                        **(_answer_values(response) or {"response_status": None, "response_body": None}))
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]  # an UPDATE yields a CursorResult; execute() says Result
                return None
            continue  # another request took the expired key first: read what it stored
        return _held(row)
    raise Conflict("This Idempotency-Key is being claimed concurrently; retry later")


@dataclass(frozen=True)
class Claim:
    """One key to claim for a body with hash `digest`; `response`, when known already, is stored with it
    (then `store_many` is not needed for it)."""

    key: str
    digest: str
    response: StoredResponse | None = None


@dataclass(frozen=True)
class Claims:
    taken: frozenset[str]  # keys this transaction now holds, each with the response its Claim gave
    held: dict[str, HeldKey]  # keys a committed request holds


async def claim_many(session: AsyncSession, organisation: str, claims: list[Claim]) -> Claims:
    """Claim distinct keys at once: one `INSERT … ON CONFLICT DO NOTHING RETURNING` of all rows (app/bulk_insert),
    then one read of the keys already held.

    The rows go in key order, so on PostgreSQL two transactions claiming overlapping keys wait for each
    other in the same order and cannot deadlock; a key held by an open transaction makes the insert wait
    for its end, as in `_claim_one`. A held key that has expired, or vanished before it was read, goes through
    the one-key path (take-over, retry) afterwards.
    """
    claims = sorted(claims, key=lambda c: c.key)
    if len({c.key for c in claims}) != len(claims):
        raise ValueError("claim_many needs distinct keys")
    if len({c.response is None for c in claims}) > 1:
        raise ValueError("claim_many needs an answer for every key or for none")  # one statement, one shape
    if not claims:
        return Claims(frozenset(), {})
    table = IdempotencyRecord
    now = clock.now()
    values = [{"organisation": organisation, "idempotency_key": c.key, "request_hash": c.digest, "created_at": now,
               "expires_at": now + TTL, **_answer_values(c.response)} for c in claims]
    core = table_of(table)
    taken = set(await bulk_insert.insert_rows(session, core, values,
                                              on_conflict_do_nothing=["organisation", "idempotency_key"],
                                              returning=core.c.idempotency_key))
    held: dict[str, HeldKey] = {}
    rest = [c for c in claims if c.key not in taken]
    if rest:
        found = {row.idempotency_key: row for row in await session.execute(
            select(table.idempotency_key, table.request_hash, table.response_status, table.response_body,
                   table.expires_at)
            .where(table.organisation == organisation, table.idempotency_key.in_([c.key for c in rest]))
        )}
        for c in rest:
            row = found.get(c.key)
            if row is not None and row.expires_at > now:
                one: HeldKey | None = _held(row)
            else:  # expired, or gone since the insert: take it over or read it again, as `_claim_one` does
                one = await _claim_one(session, organisation, c.key, c.digest, c.response)
            if one is None:
                taken.add(c.key)
            else:
                held[c.key] = one
    return Claims(frozenset(taken), held)


async def store_many(session: AsyncSession, organisation: str, responses: dict[str, StoredResponse]) -> None:
    """Write the answers into key rows this transaction holds (claimed without one)."""
    if responses:
        await session.execute(update(IdempotencyRecord), [
            {"organisation": organisation, "idempotency_key": key, **_answer_values(response)}
            for key, response in responses.items()])
