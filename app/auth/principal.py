"""The authenticated caller, as the token says: who, for which organisation, in which roles."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    sub: str
    org: str
    roles: tuple[str, ...]
    # The kind of `org` as registered (app/access/binding.py sets it per request; None: unknown organisation).
    org_kind: str | None = None
    # The roles the token claimed, where the ZVH honours fewer of them for this organisation (`roles`): the
    # audit log records what was claimed.
    claimed_roles: tuple[str, ...] = ()

    @property
    def stated_roles(self) -> tuple[str, ...]:
        return self.claimed_roles or self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles


# The actor of automatic steps (stagnation escalation by the worker).
SYSTEM = Principal(sub="systeem", org="systeem", roles=())
