"""How the verification reaches PostgreSQL without SQLAlchemy's pool: asyncpg.connect arguments from a
URL (`casusregie verify-audit`) or from a session's engine (for the worker processes), and the asyncpg
connection under a session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    import asyncpg
    from sqlalchemy.ext.asyncio import AsyncSession

# Connect arguments of SQLAlchemy's asyncpg dialect that asyncpg.connect does not take.
_SQLALCHEMY_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn")


def _asyncpg_params(url: str) -> dict[str, Any] | None:
    """asyncpg.connect arguments for a postgresql+asyncpg URL, as SQLAlchemy's dialect would pass them."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql+asyncpg", "postgresql", "postgres") or "," in parts.netloc:
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    params: dict[str, Any] = dict(query)
    if len(params) != len(query):
        return None  # repeated keys: leave them to SQLAlchemy
    for key in _SQLALCHEMY_ONLY:
        params.pop(key, None)
    for key, value in (("user", parts.username), ("password", parts.password), ("host", parts.hostname),
                       ("port", parts.port), ("database", parts.path.lstrip("/"))):
        if value not in (None, ""):
            params[key] = unquote(value) if isinstance(value, str) else value
    return params


def _connect_args(session: AsyncSession) -> dict[str, Any]:
    engine = session.get_bind().engine
    _, params = engine.dialect.create_connect_args(engine.url)
    for key in _SQLALCHEMY_ONLY:
        params.pop(key, None)
    return dict(params)


async def _driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, in the transaction the facts were read in."""
    raw = await (await session.connection()).get_raw_connection()
    driver: asyncpg.Connection | None = raw.driver_connection
    if driver is None:
        raise RuntimeError("the session's connection is closed")
    return driver
