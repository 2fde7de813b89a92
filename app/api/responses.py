"""OpenAPI declarations of the problem+json answers, so every status code an endpoint gives is documented."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    request_id: str | None = None
    errors: list[FieldError] | None = None
    allowed: list[str] | None = None
    # A transition guard: the data fields still missing (`withheld` stands for fields the caller may not read).
    missing: list[str] | None = None


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid bearer token",
    403: "Authenticated, but not allowed",
    404: "Not found (or not visible to the caller)",
    409: "Conflict with the current state",
    412: "If-Match names a stale version",
    413: "Request body too large",
    428: "A case write without If-Match: send the case's ETag (or * to overwrite deliberately)",
    422: "Invalid input; `errors` lists the fields",
    500: "Internal error (a bug); quote the request id",
    503: "Database unreachable",
}


def PROBLEMS(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # Every endpoint can meet a database outage (503); any endpoint that reads input can get 413/422.
    codes = sorted(set(statuses) | {500, 503})
    return {
        code: {"model": Problem, "description": _DESCRIPTIONS.get(code, "Error"),
               "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for code in codes
    }
