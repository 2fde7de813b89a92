"""RFC 9457 problem+json for every error: one table from domain error to status, stable `type`s."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.auth.tokens import AuthError
from app.kit.db_errors import causes, is_unencodable, refused_value, sqlstate
from app.kit.errors import (
    Conflict,
    DomainError,
    IdempotencyKeyReused,
    InvalidTransition,
    NotAllowed,
    NotFound,
    PreconditionRequired,
    ServiceUnavailable,
    StaleVersion,
    ValidationFailed,
)
from app.kit.request_context import current_context

log = logging.getLogger("casusregie.errors")

PROBLEM_JSON = "application/problem+json"
_security_log = logging.getLogger("casusregie.security")
TYPE_BASE = "urn:casusregie:problem:"

# domain error -> (status, type slug). Order matters: subclasses first.
STATUS_TABLE: list[tuple[type[DomainError], int, str]] = [
    (InvalidTransition, 409, "invalid-transition"),
    (IdempotencyKeyReused, 422, "idempotency-key-reused"),
    (ValidationFailed, 422, "validation-error"),
    (NotFound, 404, "not-found"),
    (NotAllowed, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (StaleVersion, 412, "precondition-failed"),
    (PreconditionRequired, 428, "precondition-required"),
    (ServiceUnavailable, 503, "service-unavailable"),
]

HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Validation failed"),
    428: ("precondition-required", "Precondition required"),
    500: ("internal-error", "Internal server error"),
    503: ("service-unavailable", "Service unavailable"),
}


def problem(
    status: int, detail: str, *, slug: str | None = None, title: str | None = None,
    headers: dict[str, str] | None = None, **extra: Any,
) -> JSONResponse:
    default_slug, default_title = HTTP_SLUGS.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or default_slug),
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    ctx = current_context()
    if ctx is not None:
        body["request_id"] = ctx.request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(loc: Any) -> list[Any]:
    return [p for p in loc] if isinstance(loc, (list, tuple)) else [loc]


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append({"loc": _loc(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")})
    return out


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    for cls, status, slug in STATUS_TABLE:
        if isinstance(exc, cls):
            return problem(status, exc.detail, slug=slug, title=cls.title, **exc.extra)
    return problem(400, exc.detail)


async def _auth(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    # For intrusion detection: who failed and why, never the token itself.
    ctx = current_context()
    _security_log.warning("authentication failed", extra={
        "reason": exc.reason, "client_address": ctx.client_address if ctx else None})
    return problem(401, "Authentication required: " + exc.reason,
                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    # A body that cannot be read is a 400 (RFC 9110, Logius ADR); one that was read but does not fit is a 422.
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "The request body is not valid JSON", errors=errors)
    return problem(422, "The request has invalid or missing fields", errors=errors)


# FastAPI answers a body it cannot decode at all (not UTF-8, say) with a bare 400 carrying this detail; to a
# client that is the same mistake as malformed JSON, so it gets the same problem, 400.
_BODY_PARSE_DETAIL = "There was an error parsing the body"


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first matching route's)."""
    routes = request.app.router.routes
    return [method for method in _METHODS
            if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)]


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _BODY_PARSE_DETAIL and exc.__cause__ is not None:
        return problem(400, "The request body is not valid JSON",
                       errors=[{"loc": ["body"], "msg": "the body cannot be decoded as JSON", "type": "json_invalid"}])
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    detail = exc.detail if isinstance(exc.detail, str) else HTTP_SLUGS.get(exc.status_code, ("", "Error"))[1]
    return problem(exc.status_code, detail, headers=headers)


async def _database_down(_: Request, exc: Exception) -> JSONResponse:
    # Connection lost / refused / pool exhausted: the client may retry; no internals leak.
    log.warning("database unavailable: %s", type(exc).__name__)
    return problem(503, "The database is not reachable right now; retry later", headers={"Retry-After": "5"})


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    ctx = current_context()
    log.exception("unhandled error", extra={"request_id": ctx.request_id if ctx else None})
    return problem(500, "An internal error occurred; quote the request id when reporting it")


# SQLSTATE classes that mean "the database is not there for you right now": connection exceptions (08),
# insufficient resources (53: too many connections), operator intervention (57: shutting down,
# starting up, terminated by the administrator).
_UNAVAILABLE_CLASSES = ("08", "53", "57")


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return any(sqlstate(c).startswith(_UNAVAILABLE_CLASSES)
               or (isinstance(c, (asyncpg.exceptions.InterfaceError, ConnectionError, TimeoutError))
               and not is_unencodable(c)) for c in causes(exc))


async def _dbapi(request: Request, exc: Exception) -> JSONResponse:
    if refused_value(exc):
        # Only request data reaches the database unchecked this way (a NUL character, a date or number
        # beyond what PostgreSQL stores); nothing was changed, the transaction is rolled back.
        log.info("database refused a request value: %s", type(getattr(exc, "orig", exc)).__name__)
        return problem(422, "A value in the request cannot be stored or compared (a NUL character, or a number "
                            "or date out of range)", errors=[{"loc": ["request"], "msg": "value out of range"}])
    if _is_connection_error(exc):
        return await _database_down(request, exc)
    return await _unexpected(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(AuthError, _auth)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DBAPIError, _dbapi)
    app.add_exception_handler(PoolTimeout, _database_down)
    app.add_exception_handler(ConnectionError, _database_down)
    app.add_exception_handler(TimeoutError, _database_down)
    app.add_exception_handler(Exception, _unexpected)
