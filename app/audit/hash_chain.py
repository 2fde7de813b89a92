"""How an entry is hashed: sha256(prev_hash || canonical JSON of the entry). Used to write and to verify."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "id", "seq", "created_at", "actor_sub", "actor_org", "actor_role", "action", "object_type", "object_id",
    "case_id", "subject_ids", "convenant_id", "convenant_version", "legal_basis", "toelichting", "outcome",
    "detail", "request_id", "client_address",
)


def canonical_time(value: datetime) -> str:
    # SQLite hands back naive datetimes; everything is stored in UTC, so naive means UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _norm(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return canonical_time(value)
    return value


def canonical_json(fields: dict[str, Any]) -> str:
    doc = {k: _norm(fields.get(k)) for k in HASHED_FIELDS}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()
