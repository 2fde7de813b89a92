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


def _record(data: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    # An optional key left empty is left out, as the details of a new case leave out what is not set.
    return {k: copy.deepcopy(data[k]) for k in keys if data.get(k) is not None}


def append(list_key: str, *keys: str) -> Effect:
    """An effect that appends {key: data[key], ...} (the keys given) to details[list_key]."""

    def effect(details: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(dict(details))
        new[list_key] = [*(new.get(list_key) or []), _record(data, keys)]
        return new

    effect.__name__ = "append_" + list_key
    return effect


def store_record(details_key: str, *keys: str) -> Effect:
    """An effect that sets details[details_key] to {key: data[key], ...} (the keys given), replacing the last one."""

    def effect(details: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(dict(details))
        new[details_key] = _record(data, keys)
        return new

    effect.__name__ = "store_" + details_key
    return effect


def clear(*keys: str) -> Effect:
    """An effect that removes these keys from the details (what no longer holds in the state entered)."""

    def effect(details: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in details.items() if k not in keys}

    effect.__name__ = "clear_" + "_".join(keys)
    return effect
