"""Signal access: a procesregisseur knows every organisation's signals; a melder only its own organisation's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false

from app.access.decisions import granting_role
from app.principal import Principal
from app.signals.models import Signal


def may_see_all_signals(principal: Principal) -> bool:
    """`signal:read` (procesregisseur): every organisation's signals, with content and matches."""
    return granting_role(principal, "signal:read") is not None


def readable_signals(principal: Principal, stmt: Select[Any]) -> Select[Any]:
    """Limit `stmt` (selecting from Signal) to the signals the caller may know of, in SQL."""
    if may_see_all_signals(principal):
        return stmt
    if granting_role(principal, "signal:read_own") is not None:
        return stmt.where(Signal.source_organisation == principal.org)
    return stmt.where(false())
