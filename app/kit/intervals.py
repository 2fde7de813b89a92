"""Days between two stored moments, in SQL, on both databases: PostgreSQL subtracts timestamps; SQLite stores
UTC text that julianday() reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class days_between(FunctionElement[float]):
    """(later - earlier) in days, fractional."""

    type = Float()
    inherit_cache = True
    name = "days_between"

    def __init__(self, earlier: ColumnElement[Any], later: ColumnElement[Any]) -> None:
        super().__init__(earlier, later)


@compiles(days_between, "postgresql")
def _pg(element: days_between, compiler: Any, **kw: Any) -> str:
    earlier, later = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
            " / 86400.0)")


@compiles(days_between, "sqlite")
def _sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    earlier, later = list(element.clauses)
    return f"(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"
