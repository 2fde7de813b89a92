"""Per-request facts the audit log records (request id, client address, toelichting).

Set by the HTTP middleware, read by `audit.record`; a contextvar so services need no HTTP objects.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_address: str | None = None
    toelichting: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("casusregie_request_context", default=None)


def set_context(ctx: RequestContext) -> Token[RequestContext | None]:
    return _current.set(ctx)


def reset_context(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def current_context() -> RequestContext | None:
    return _current.get()
