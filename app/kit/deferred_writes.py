"""Writes a service hands to the unit of work instead of sending them at once, so that PostgreSQL gets them
in one statement with the request's audit entries (data-modifying CTEs: one round trip instead of three for
a transition). SQLite, which has no data-modifying CTEs, gets them one by one, in order, at the same point.

They reach the database at the end of the unit of work, with its audit entries, in its transaction; an
operation that reads what an earlier one wrote calls `send` first (`load_case` does).

A write is a statement (`defer`), or one row to insert or update (`defer_row`, `defer_changes`): a row is
sent through a statement with bind parameters built once per shape (table, columns, key), so that a request
neither builds nor coerces a statement (`.values()` of ~20 literals costs ~0.3 ms of CPU) and SQLAlchemy
finds its compiled form in its cache under a key it computes without walking literal values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Table, Update, bindparam, insert, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import PassiveFlag
from sqlalchemy.orm.attributes import get_history, set_committed_value

KEY = "deferred_writes"

# A row's statement shape: the table, the columns it sets, the key columns of an update (none: an insert).
Shape = tuple[Table, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Row:
    """One row to insert (`keys` empty) or to update by `keys`; `values` holds the set columns' values, then
    the key columns'."""

    shape: Shape
    values: tuple[Any, ...]

    def params(self, prefix: str) -> dict[str, Any]:
        _, columns, keys = self.shape
        return {f"{prefix}{name}": value for name, value in zip(columns + keys, self.values, strict=True)}

    def statement(self) -> Write:
        """The row as a statement of literal values (where it rides with other statements)."""
        table, columns, keys = self.shape
        literal = dict(zip(columns, self.values, strict=False))
        if not keys:
            return insert(table).values(literal)
        where = [table.c[k] == v for k, v in zip(keys, self.values[len(columns):], strict=True)]
        return update(table).where(*where).values(literal)


Write = Insert | Update
Deferred = Write | Row


@lru_cache(maxsize=512)
def shaped(shape: Shape, prefix: str) -> Write:
    """The statement of a row shape, its bind parameters named `prefix` + column (built once per shape)."""
    table, columns, keys = shape
    values = {c: bindparam(f"{prefix}{c}", type_=table.c[c].type) for c in columns}
    if not keys:
        return insert(table).values(values)
    where = [table.c[k] == bindparam(f"{prefix}{k}", type_=table.c[k].type) for k in keys]
    return update(table).where(*where).values(values)


def defer(session: AsyncSession, statement: Deferred) -> None:
    session.info.setdefault(KEY, []).append(statement)


def defer_row(session: AsyncSession, table: Table, values: dict[str, Any]) -> None:
    """Insert one row into `table` (the columns of `values`, in that order) with the unit of work's writes."""
    defer(session, Row((table, tuple(values), ()), tuple(values.values())))


def take(session: AsyncSession) -> list[Deferred]:
    return list(session.info.pop(KEY, []))


async def execute(session: AsyncSession, write: Deferred) -> None:
    if isinstance(write, Row):
        await session.execute(shaped(write.shape, "p_"), write.params("p_"))
    else:
        await session.execute(write)


async def send(session: AsyncSession) -> None:
    """Send the writes deferred so far, one by one: before an operation reads what an earlier one in the same
    unit of work wrote (several transitions of one case in one unit of work: app/demo.py)."""
    for write in take(session):
        await execute(session, write)


def defer_changes(session: AsyncSession, obj: Any) -> None:
    """The pending column changes of the mapped `obj` as one deferred UPDATE by primary key; marked committed,
    so that the ORM does not flush them a second time. Relationships are left to the ORM's flush."""
    state = inspect(obj)
    mapper = state.mapper
    unmodified = state.unmodified  # the attributes set since the load are the others: look at those only
    touched = {key: column for key, column in _columns_of(mapper).items() if key not in unmodified}
    # get_history, not state.attrs[key].history: `attrs` builds an AttributeState for every mapped attribute (23
    # for a case) the first time it is read, cyclic garbage the collector then has to find.
    values = {column: getattr(obj, key) for key, column in touched.items()
              if get_history(obj, key, PassiveFlag.PASSIVE_NO_INITIALIZE).has_changes()}
    if not values:
        return
    table = mapper.local_table
    if not isinstance(table, Table):
        raise TypeError(f"{mapper.class_.__name__} is not mapped to one table")
    keys = tuple(str(column.key) for column in mapper.primary_key)
    defer(session, Row((table, tuple(values), keys), (*values.values(), *state.identity)))
    for key in touched:  # those set to the value they had too: the database holds it
        set_committed_value(obj, key, getattr(obj, key))
    if state.modified and len(unmodified) + len(touched) == len(state.manager):
        # Nothing else of it is pending (no collection change): clean, so that the ORM's flush at the end of the
        # unit of work has no object to visit (it found nothing to write, at ~0.2 ms of CPU).
        state._commit_all(state.dict, session.sync_session.identity_map)


@lru_cache(maxsize=64)
def _columns_of(mapper: Any) -> dict[str, str]:
    """A mapper's column attributes: attribute key -> column key."""
    return {prop.key: str(prop.columns[0].key) for prop in mapper.column_attrs}
