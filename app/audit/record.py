"""Writing the audit log. `record` is the only way to write it.

`record` queues an entry on the session; `flush_pending` writes the queued entries at the end of the unit
of work, in its transaction: staged for the chainer (PostgreSQL) or chained at once (SQLite). So the entry
commits with the change it records, or vanishes with it; denials are kept on rollback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chainer import chain_into_log
from app.audit.masking import mask_numbers
from app.audit.staging_writer import INSERT_STAGED
from app.auth.principal import Principal
from app.kit import bulk_insert, deferred_writes
from app.kit.errors import DomainError, NotAllowed, NotFound
from app.kit.request_context import current_context

PENDING_KEY = "audit_pending"


@dataclass
class PendingEntry:
    fields: dict[str, Any]
    subject_ids: list[str] = field(default_factory=list)
    # Denials must be provable even when the request is rolled back.
    persist_on_rollback: bool = False


@dataclass(frozen=True)
class LegalBasis:
    convenant_id: uuid.UUID | None = None
    convenant_version: int | None = None
    text: str | None = None


def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    *,
    object_type: str,
    object_id: Any = None,
    outcome: str = "allowed",
    role: str | None = None,
    case_id: uuid.UUID | None = None,
    subject_ids: Iterable[Any] = (),
    legal_basis: LegalBasis | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Queue one audit entry in this unit of work. Holds ids only: never names or note text."""
    ctx = current_context()
    subjects = sorted({str(s) for s in subject_ids})
    basis = legal_basis or LegalBasis()
    fields = {
        "id": uuid.uuid4(),
        "created_at": datetime.now(UTC),
        "actor_sub": principal.sub,
        "actor_org": principal.org,
        "actor_role": role if role is not None else (",".join(principal.stated_roles) or None),
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "case_id": case_id,
        "subject_ids": subjects,
        "convenant_id": basis.convenant_id,
        "convenant_version": basis.convenant_version,
        "legal_basis": basis.text,
        "toelichting": mask_numbers(ctx.toelichting) if ctx else None,
        "outcome": outcome,
        "detail": detail,
        "request_id": ctx.request_id if ctx else None,
        "client_address": ctx.client_address if ctx else None,
    }
    entry = PendingEntry(fields=fields, subject_ids=subjects, persist_on_rollback=outcome == "denied")
    session.info.setdefault(PENDING_KEY, []).append(entry)


def pending(session: AsyncSession) -> list[PendingEntry]:
    return list(session.info.get(PENDING_KEY, []))


def take_all(session: AsyncSession) -> list[PendingEntry]:
    return list(session.info.pop(PENDING_KEY, []))


def take_persistent(session: AsyncSession) -> list[PendingEntry]:
    entries = session.info.pop(PENDING_KEY, [])
    return [e for e in entries if e.persist_on_rollback]


def requeue(session: AsyncSession, entries: list[PendingEntry]) -> None:
    session.info.setdefault(PENDING_KEY, []).extend(entries)


REFUSAL_KEY = "audit_refusal"
# Refusals the operation's own service has not audited already: 403 and 404 are recorded where they are
# decided (app/access); a conflict, a stale version or invalid data is decided later, by the domain.
AUDITED_AT_SOURCE = (NotAllowed, NotFound)


def on_refusal(session: AsyncSession, recorder: Callable[[DomainError], None]) -> None:
    """Register how this unit of work's operation records a refusal (a 409, 412 or 422 it raises): as a
    denied attempt, kept though the request rolls back (the unit of work calls `refused`)."""
    session.info[REFUSAL_KEY] = recorder


def refused(session: AsyncSession, exc: BaseException) -> None:
    recorder = session.info.pop(REFUSAL_KEY, None)
    if recorder is not None and isinstance(exc, DomainError) and not isinstance(exc, AUDITED_AT_SOURCE):
        recorder(exc)


def refusal_detail(exc: DomainError) -> dict[str, Any]:
    """What a refusal's audit entry says: the kind and the fields named, never the values or messages."""
    detail: dict[str, Any] = {"reason": exc.title}
    errors = getattr(exc, "errors", None)
    if errors:
        detail["fields"] = [".".join(str(p) for p in e.get("loc", [])) for e in errors]
    return detail




async def flush_pending(session: AsyncSession, *, deferred: bool) -> None:
    """Write the entries this unit of work queued, in its transaction, with the writes it deferred
    (app/kit/deferred_writes.py).

    `deferred` (PostgreSQL): one multi-row insert into the staging table, no shared lock, so requests
    commit in parallel; the chainer (app/audit/chainer.py) chains them shortly after. The deferred writes
    ride in the same statement as data-modifying CTEs. SQLite (no data-modifying CTEs): the writes one by one,
    then the entries chained here (inline: its BEGIN IMMEDIATE already serialises writers) or staged.
    """
    entries: list[PendingEntry] = session.info.pop(PENDING_KEY, [])
    writes = deferred_writes.take(session)
    if not entries and not writes:
        return
    await session.flush()
    if deferred and entries and writes and session.get_bind().dialect.name == "postgresql":
        rows = [w for w in writes if isinstance(w, deferred_writes.Row)]
        columns = tuple(entries[0].fields)
        if len(rows) == len(writes) and all(tuple(e.fields) == columns for e in entries[1:]):
            # The usual case (entries of `record`, rows): one statement built once per shape, its values bound;
            # several entries as one array per column (a multi-row VALUES would be compiled on every request).
            shapes = tuple(r.shape for r in rows)
            if len(entries) == 1:
                params = {f"a_{name}": value for name, value in entries[0].fields.items()}
                statement = _staged_with(columns, shapes)
            else:
                params = {f"a_{name}": [e.fields[name] for e in entries] for name in columns}
                statement = _staged_many_with(columns, shapes)
            for i, row in enumerate(rows):
                params.update(row.params(f"w{i}_"))
            await session.execute(statement, params)
            return
        # Statements of other kinds (rare): a multi-row VALUES with literal CTEs, compiled for this request.
        statement = (INSERT_STAGED.values(entries[0].fields) if len(entries) == 1
                     else INSERT_STAGED.values([e.fields for e in entries]))
        for i, write in enumerate(writes):
            literal = write.statement() if isinstance(write, deferred_writes.Row) else write
            statement = statement.add_cte(literal.cte(f"w{i}"))
        await session.execute(statement)
        return
    for write in writes:
        await deferred_writes.execute(session, write)
    if not entries:
        return
    if deferred:
        await session.execute(INSERT_STAGED, [e.fields for e in entries])
    else:
        await chain_into_log(session, [e.fields for e in entries])


@lru_cache(maxsize=256)
def _staged_with(columns: tuple[str, ...], shapes: tuple[deferred_writes.Shape, ...]) -> Insert:
    """The staged entry's INSERT (bind parameters `a_<column>`) carrying the rows of `shapes` as
    data-modifying CTEs `w0`, `w1`, … (bind parameters `w<i>_<column>`), built once per combination."""
    table = INSERT_STAGED.table
    statement = insert(table).values({c: bindparam(f"a_{c}", type_=table.c[c].type) for c in columns})
    return _with_rows(statement, shapes)


@lru_cache(maxsize=256)
def _staged_many_with(columns: tuple[str, ...], shapes: tuple[deferred_writes.Shape, ...]) -> Insert:
    """Several staged entries as `INSERT … SELECT * FROM unnest(<one array per column>)` (bind parameters
    `a_<column>`, each a list in entry order; unnest keeps it, so staged_seq does too), with the rows of
    `shapes` as in `_staged_with`. PostgreSQL only."""
    return _with_rows(bulk_insert.unnest_insert(INSERT_STAGED.table, columns, lambda c: f"a_{c}"), shapes)


def _with_rows(statement: Insert, shapes: tuple[deferred_writes.Shape, ...]) -> Insert:
    for i, shape in enumerate(shapes):
        statement = statement.add_cte(deferred_writes.shaped(shape, f"w{i}_").cte(f"w{i}"))
    return statement
