"""Writes a service hands to the unit of work instead of sending them at once, so that PostgreSQL gets them
in one statement with the request's audit entries (data-modifying CTEs: one round trip instead of three for
a transition). SQLite, which has no data-modifying CTEs, gets them one by one, in order, at the same point.

They reach the database at the end of the unit of work, with its audit entries, in its transaction; an
operation that reads what an earlier one wrote calls `send` first (`load_case` does).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, Update, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

KEY = "deferred_writes"

Write = Insert | Update


def defer(session: AsyncSession, statement: Write) -> None:
    session.info.setdefault(KEY, []).append(statement)


def take(session: AsyncSession) -> list[Write]:
    return list(session.info.pop(KEY, []))


async def send(session: AsyncSession) -> None:
    """Send the writes deferred so far, one by one: before an operation reads what an earlier one in the same
    unit of work wrote (several transitions of one case in one unit of work: app/demo.py)."""
    for write in take(session):
        await session.execute(write)


def defer_changes(session: AsyncSession, obj: Any) -> None:
    """The pending column changes of the mapped `obj` as one deferred UPDATE by primary key; marked committed,
    so that the ORM does not flush them a second time. Relationships are left to the ORM's flush."""
    state = inspect(obj)
    mapper = state.mapper
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        if state.attrs[prop.key].history.has_changes():
            values[prop.columns[0].key] = getattr(obj, prop.key)
    if not values:
        return
    table = mapper.local_table
    where = [column == state.identity[i] for i, column in enumerate(mapper.primary_key)]
    defer(session, update(table).where(*where).values(values))
    for prop in mapper.column_attrs:
        if prop.columns[0].key in values:
            set_committed_value(obj, prop.key, getattr(obj, prop.key))
