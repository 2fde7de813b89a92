"""Opaque cursors for `?limit=&cursor=` lists: base64url of a small JSON key."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import Query

from app.errors import ValidationFailed

LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size (1-200)")]
CursorQuery = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")]


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
