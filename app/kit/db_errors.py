"""What a database error says about its cause: shared by the HTTP layer (app/api/errors.py), which maps
it to a status, and by services that recover from one item's bad value (batch intake).
"""

from __future__ import annotations

import asyncpg


def causes(exc: BaseException) -> list[BaseException]:
    """The driver's exception under SQLAlchemy's, and what caused it."""
    chain: list[BaseException] = []
    seen: BaseException | None = getattr(exc, "orig", None)
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__
    return chain


def sqlstate(exc: BaseException) -> str:
    return str(getattr(exc, "sqlstate", "") or "")


def is_unencodable(exc: BaseException) -> bool:
    # asyncpg's client-side DataError ("invalid input for query argument"): an InterfaceError and a ValueError.
    return isinstance(exc, asyncpg.exceptions.InterfaceError) and isinstance(exc, ValueError)


def refused_value(exc: BaseException) -> bool:
    """PostgreSQL refused a value the client sent: SQLSTATE class 22 ("data exception": a NUL character in
    text, a number or date out of range), or asyncpg could not even encode it as a query argument."""
    return any(sqlstate(c).startswith("22") or is_unencodable(c) for c in causes(exc))
