"""Opaque cursors for `?limit=&cursor=` lists: base64url of a small JSON key, one codec per key shape.

Every list pages the same way: the service returns a `Window` (app/kit/paging.py), `next_cursor` encodes
the key of its last item when more follow, and the `after_*` decoders turn a cursor back into that key. A
cursor of another list's shape, or anything else, is a 422 on `cursor`, never a 500.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Query

from app.audit.reading import AuditPosition
from app.kit.errors import ValidationFailed
from app.kit.paging import Window

LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size (1-200)")]
CursorQuery = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")]

T = TypeVar("T")


class TimeOrdered(Protocol):
    """A row listed by (created_at, id)."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid() -> ValidationFailed:
    return ValidationFailed("Invalid cursor", errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}])


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid() from exc
    if not isinstance(value, dict):
        raise _invalid()
    return value


def _field(cursor: str | None, parse: Callable[[dict[str, Any]], T]) -> T | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return parse(key)
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid() from exc


def after_time_id(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) after which a time-ordered list continues."""
    return _field(cursor, lambda k: (datetime.fromisoformat(str(k["t"])), uuid.UUID(str(k["id"]))))


def time_id_key(row: TimeOrdered) -> dict[str, Any]:
    return {"t": row.created_at.isoformat(), "id": str(row.id)}


def after_day_id(cursor: str | None) -> tuple[date, uuid.UUID] | None:
    """The (day, id) after which a list ordered by a date continues (the work list of actions: the due date)."""
    return _field(cursor, lambda k: (date.fromisoformat(str(k["d"])), uuid.UUID(str(k["id"]))))


def after_due_id(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (moment, id) after which a list ordered by a deadline continues (the work list of cases: `due_at`)."""
    return _field(cursor, lambda k: (datetime.fromisoformat(str(k["due"])), uuid.UUID(str(k["id"]))))


def after_code(cursor: str | None) -> str | None:
    """The code after which a list ordered by code continues."""
    return _field(cursor, lambda k: _string(k["code"]))


def after_version(cursor: str | None) -> int | None:
    """The case version after which a case's history (oldest first) continues."""
    return _field(cursor, lambda k: _bounded(k["v"], 2_147_483_647))


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


def version_key(row: Versioned) -> dict[str, Any]:
    return {"v": row.version}


def after_seq(cursor: str | None, maximum: int) -> int | None:
    """The sequence number before which a newest-first list continues."""
    return _field(cursor, lambda k: _bounded(k["seq"], maximum))


def after_audit_position(cursor: str | None, maximum: int) -> AuditPosition | None:
    """Where a newest-first audit page continues: among the entries not yet chained (`staged`), or in the
    chain (`seq`)."""

    def parse(key: dict[str, Any]) -> AuditPosition:
        if set(key) == {"staged"}:
            return AuditPosition(staged_before=_bounded(key["staged"], maximum))
        return AuditPosition(seq_before=_bounded(key["seq"], maximum))

    return _field(cursor, parse)


def next_cursor(page: Window[T], key: Callable[[T], dict[str, Any]]) -> str | None:
    return encode_cursor(key(page.items[-1])) if page.more and page.items else None


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _bounded(value: Any, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= maximum:
        raise ValueError("out of range")
    return value
