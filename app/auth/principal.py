"""The authenticated caller, as the token says: who, for which organisation, in which roles."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    sub: str
    org: str
    roles: tuple[str, ...]

    def has_role(self, role: str) -> bool:
        return role in self.roles


# The actor of automatic steps (stagnation escalation by the worker).
SYSTEM = Principal(sub="systeem", org="systeem", roles=())
