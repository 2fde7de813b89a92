"""Writing an event: a CloudEvents 1.0 record in the transaction of the change (the transactional outbox).

The envelope is built by the `cloudevents` SDK (the CloudEvents JSON format, structured mode) rather than by
hand, and stored as the bytes every delivery attempt sends. `data` holds ids, codes and states only, never
names, BSN or note text (NL GOV CloudEvents profile): callers pass exactly that, and `_plain` refuses anything
but flat ids and codes so that a later change cannot slip a name in by passing an object.

The insert is deferred to the end of the unit of work (app/kit/deferred_writes.py): on PostgreSQL it travels
in the statement that writes the request's audit entries, so an event costs no round trip of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.models import OutboxEvent
from app.events.types import EventType
from app.kit import clock, deferred_writes
from app.kit.database import table_of
from app.vocabulary import DataCategory

DEFAULT_SOURCE = "urn:nl:zvh:casusregie"
_TABLE = table_of(OutboxEvent)
_INSERT = insert(_TABLE)
_FORMAT = JSONFormat()
_source = DEFAULT_SOURCE

Scalar = str | int | bool | None


def configure(source: str) -> None:
    """The CloudEvents `source` of this deployment (CASUSREGIE_EVENT_SOURCE), set when a process starts."""
    global _source
    _source = source


def _plain(data: dict[str, Any]) -> dict[str, Scalar | list[str]]:
    out: dict[str, Scalar | list[str]] = {}
    for key, value in data.items():
        if isinstance(value, uuid.UUID | datetime):
            out[key] = value.isoformat() if isinstance(value, datetime) else str(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = list(value)
        elif isinstance(value, str | int | bool) or value is None:
            out[key] = value
        else:
            raise TypeError(f"event data {key!r}: ids and codes only, not {type(value).__name__}")
    return out


def envelope(event_id: uuid.UUID, event_type: EventType, subject: str, at: datetime, data: dict[str, Any]) -> str:
    event = CloudEvent({"id": str(event_id), "source": _source, "type": event_type.uri, "subject": subject,
                        "time": at, "datacontenttype": "application/json"}, _plain(data))
    return _FORMAT.write(event).decode()


def row(
    event_type: EventType, subject: uuid.UUID | str, data: dict[str, Any], *, case_id: uuid.UUID | None = None,
    signal_id: uuid.UUID | None = None, convenant_id: uuid.UUID | None = None,
    data_category: DataCategory | str | None = None, at: datetime | None = None,
) -> dict[str, Any]:
    """The outbox row of one event (its columns, envelope included)."""
    event_id = uuid.uuid4()
    now = at or clock.now()
    return {"id": event_id, "type": event_type.value, "subject": str(subject), "case_id": case_id,
            "signal_id": signal_id, "convenant_id": convenant_id, "data_category": data_category, "created_at": now,
            "envelope": envelope(event_id, event_type, str(subject), now, data)}


def emit(
    session: AsyncSession, event_type: EventType, subject: uuid.UUID | str, data: dict[str, Any], *,
    case_id: uuid.UUID | None = None, signal_id: uuid.UUID | None = None, convenant_id: uuid.UUID | None = None,
    data_category: DataCategory | str | None = None, at: datetime | None = None,
) -> uuid.UUID:
    """Add the event to the caller's unit of work; it is written if and only if the change commits."""
    values = row(event_type, subject, data, case_id=case_id, signal_id=signal_id, convenant_id=convenant_id,
                 data_category=data_category, at=at)
    deferred_writes.defer_row(session, _TABLE, values)
    event_id: uuid.UUID = values["id"]
    return event_id


def emit_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many events in one multi-row insert (a batch of signals), deferred like `emit`."""
    if rows:
        deferred_writes.defer(session, _INSERT.values(rows))
