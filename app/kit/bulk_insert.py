"""Inserting many rows of one table in one statement.

PostgreSQL: `INSERT INTO t (a, b, …) SELECT * FROM unnest($1::a_type[], $2::b_type[], …)`: one array
per column, so the statement text is the same for any number of rows (prepared once per connection),
the driver encodes each column at once, and the server runs one statement instead of one per row
(executemany) or parses a VALUES list of thousands of parameters. `unnest` yields the rows in array
order, so they are inserted (and conflicting keys waited for) in the order given.
Other databases (SQLite): the same rows as executemany, or as multi-row VALUES when RETURNING is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, ColumnClause, Insert, String, Table, TableClause, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine


def element_type(column: ColumnClause[Any]) -> TypeEngine[Any]:
    # An explicit cast to VARCHAR(n) cuts a longer text silently; the insert into the column refuses it instead.
    if isinstance(column.type, String) and column.type.length is not None:
        return String()
    return column.type


def _array_param(name: str) -> str:
    return f"{name}_values"


def unnest_insert(table: Table | TableClause, names: Sequence[str], param: Callable[[str], str]) -> Insert:
    """PostgreSQL: `INSERT INTO table (names) SELECT * FROM unnest(<one array per column>)`, the array of column
    `c` bound as `param(c)`. dimensions=1: a value that is itself a list (a JSON list) is one element, not a
    second dimension of the array."""
    arrays = [bindparam(param(name), type_=postgresql.ARRAY(element_type(table.c[name]), dimensions=1))
              for name in names]
    values = func.unnest(*arrays).table_valued(*names).render_derived(name="v")
    return postgresql.insert(table).from_select(list(names), select(*(values.c[name] for name in names)))


@lru_cache(maxsize=64)
def _statement(
    dialect: str, table: Table, names: tuple[str, ...], conflict: tuple[str, ...] | None, returning: Column[Any] | None
) -> Any:
    """Built once per shape: building the unnest() construct costs more than executing it."""
    if dialect == "postgresql":
        stmt: Any = unnest_insert(table, names, _array_param)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        stmt = insert(table)
    if conflict is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    if returning is not None:
        stmt = stmt.returning(returning)
    return stmt


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], *,
    on_conflict_do_nothing: Sequence[str] | None = None, returning: Column[Any] | None = None,
) -> list[Any]:
    """Insert `rows` (dicts with the same keys) in their order; the `returning` values of the inserted rows.

    `on_conflict_do_nothing` names the unique columns whose conflicts skip a row (PostgreSQL, SQLite).
    """
    if not rows:
        return []
    names = tuple(rows[0])
    dialect = session.get_bind().dialect.name
    conflict = tuple(on_conflict_do_nothing) if on_conflict_do_nothing is not None else None
    stmt = _statement(dialect, table, names, conflict, returning)
    if dialect == "postgresql":
        result = await session.execute(stmt, {_array_param(name): [row[name] for row in rows] for name in names})
    else:
        # With RETURNING, SQLAlchemy sends the parameter sets as multi-row VALUES, in order ("insertmanyvalues").
        result = await session.execute(stmt, [dict(row) for row in rows])
    return list(result.scalars()) if returning is not None else []
