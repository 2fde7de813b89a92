"""Guards and effects used by more than one ladder. A guard returns the names of what is missing or false.

The first docstring line of a guard is the message the API shows with those names.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from app.workflows.model import Effect, GuardContext


def concept_plan_exists(ctx: GuardContext) -> list[str]:
    """A concept plan van aanpak must exist."""
    return [] if ctx.plan is not None else ["plan"]


def plan_has_action(ctx: GuardContext) -> list[str]:
    """The plan van aanpak must have at least one action."""
    if ctx.plan is None:
        return ["plan"]
    return [] if ctx.plan.action_count >= 1 else ["plan.actions"]


def criteria_met(ctx: GuardContext) -> list[str]:
    """Criteria not met: (a and b and c) or d."""
    c = ctx.data.get("criteria") or {}
    ok = (c.get("a") is True and c.get("b") is True and c.get("c") is True) or c.get("d") is True
    return [] if ok else ["criteria"]


def store(*keys: str) -> Effect:
    """An effect that copies these data keys into the details."""

    def effect(details: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(dict(details))
        for key in keys:
            new[key] = copy.deepcopy(data[key])
        return new

    effect.__name__ = "store_" + "_".join(keys)
    return effect


def append(list_key: str, *keys: str) -> Effect:
    """An effect that appends {key: data[key], ...} to details[list_key]."""

    def effect(details: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(dict(details))
        new[list_key] = [*new.get(list_key, []), {k: copy.deepcopy(data[k]) for k in keys}]
        return new

    effect.__name__ = "append_" + list_key
    return effect
