"""Domain errors raised by services; `app/api/errors.py` maps each to one problem+json status.

Services never know about HTTP: they raise these, the API layer translates them once.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""

    title = "Domain error"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does (no existence oracle)."""

    title = "Not found"


class NotAllowed(DomainError):
    """The caller may see the object but may not perform this action."""

    title = "Forbidden"


class Conflict(DomainError):
    """The request conflicts with the current state (duplicate code, already triaged, ...)."""

    title = "Conflict"


class InvalidTransition(DomainError):
    """The trigger cannot be fired from the case's current state."""

    title = "Transition not allowed in this state"

    def __init__(self, detail: str = "", *, allowed: list[str]) -> None:
        super().__init__(detail, allowed=sorted(allowed))
        self.allowed = sorted(allowed)


class ValidationFailed(DomainError):
    """Input is well-formed JSON but violates a domain rule; `errors` name the fields."""

    title = "Validation failed"

    def __init__(self, detail: str = "", *, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail, errors=errors)
        self.errors = errors


class GuardFailed(ValidationFailed):
    """Required transition data is missing or a guard condition is false."""

    title = "Transition guard failed"

    def __init__(self, detail: str = "", *, missing: list[str], errors: list[dict[str, Any]] | None = None) -> None:
        errs = errors if errors is not None else [{"loc": ["body", "data", m], "msg": "required"} for m in missing]
        super().__init__(detail or "Transition requirements not met: " + ", ".join(missing), errors=errs)
        self.missing = missing
        self.extra["missing"] = missing


class IdempotencyKeyReused(ValidationFailed):
    """An Idempotency-Key sent again with another request body (its own problem type, so a client can tell it
    from a field error and pick a new key)."""

    title = "Idempotency-Key reused"


class StaleVersion(DomainError):
    """If-Match named a version that is no longer current."""

    title = "Precondition failed"


class PreconditionRequired(DomainError):
    """A case write without If-Match: lost updates are not opt-in (issue 13); `*` overwrites deliberately."""

    title = "Precondition required"


class ServiceUnavailable(DomainError):
    """The database (or another dependency) cannot be reached right now."""

    title = "Service unavailable"
