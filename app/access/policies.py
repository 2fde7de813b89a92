"""Loads and validates policies/*.yaml once at start-up; a bad file refuses to start."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from app.vocabulary import Action, DataCategory, OrganisationKind, Role


class PolicyError(RuntimeError):
    """policies/ is inconsistent: unknown role, action or category."""


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    label: str
    avg_class: str


@dataclass(frozen=True)
class Policies:
    actions: frozenset[Action]
    role_actions: dict[str, frozenset[Action]]
    # Per role, the actions it may take only where the caller's own organisation holds regie.
    regie_bound: dict[str, frozenset[Action]]
    # Per role, the organisation kinds whose staff may hold it (DOMAIN.md roles); a role absent here: any kind.
    organisation_kinds: dict[str, frozenset[str]]
    role_labels: dict[str, str]
    categories: dict[str, CategoryInfo]
    security_measures: tuple[str, ...]

    def roles_for(self, action: Action) -> list[str]:
        return [r for r, acts in self.role_actions.items() if action in acts]

    def role_fits(self, role: str, kind: str | None) -> bool:
        """May staff of an organisation of `kind` hold `role`? (None: an unregistered organisation.)"""
        kinds = self.organisation_kinds.get(role)
        return kinds is None or kind in kinds


AVG_CLASSES = {"gewoon", "bijzonder", "strafrechtelijk"}


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path} must be a mapping")
    return data


def parse_policies(roles_doc: dict[str, Any], categories_doc: dict[str, Any]) -> Policies:
    declared = roles_doc.get("actions") or []
    if set(declared) != {a.value for a in Action}:
        raise PolicyError(f"roles.yaml actions must be exactly {sorted(a.value for a in Action)} "
                          "(app/vocabulary.py Action)")
    actions = frozenset(Action(a) for a in declared)
    roles = roles_doc.get("roles") or {}
    known_roles = {r.value for r in Role}
    if set(roles) != known_roles:
        unknown = sorted(set(roles) - known_roles)
        missing = sorted(known_roles - set(roles))
        raise PolicyError(f"roles.yaml roles mismatch: unknown {unknown}, missing {missing}")
    role_actions: dict[str, frozenset[Action]] = {}
    regie_bound: dict[str, frozenset[Action]] = {}
    organisation_kinds: dict[str, frozenset[str]] = {}
    role_labels: dict[str, str] = {}
    for role, spec in roles.items():
        names = set(spec.get("actions") or [])
        bad = sorted(names - {a.value for a in actions})
        if bad:
            raise PolicyError(f"roles.yaml role {role!r} names unknown actions {bad}")
        acts = frozenset(Action(a) for a in names)
        bound = set(spec.get("regie_bound") or [])
        if not bound <= {a.value for a in acts}:
            raise PolicyError(f"roles.yaml role {role!r}: regie_bound {sorted(bound - set(names))} "
                              "are not among its actions")
        role_actions[role] = acts
        regie_bound[role] = frozenset(Action(a) for a in bound)
        if "organisation_kinds" in spec:
            kinds = spec["organisation_kinds"]
            known_kinds = {k.value for k in OrganisationKind}
            if not isinstance(kinds, list) or not kinds or not set(kinds) <= known_kinds:
                raise PolicyError(f"roles.yaml role {role!r}: organisation_kinds must be a non-empty list of "
                                  f"{sorted(known_kinds)}")
            organisation_kinds[role] = frozenset(kinds)
        role_labels[role] = str(spec.get("label") or role)
    cats = categories_doc.get("categories") or {}
    known_cats = {c.value for c in DataCategory}
    if set(cats) != known_cats:
        raise PolicyError(f"data_categories.yaml must define exactly {sorted(known_cats)}")
    categories: dict[str, CategoryInfo] = {}
    for code, spec in cats.items():
        avg = spec.get("avg_class")
        if avg not in AVG_CLASSES:
            raise PolicyError(f"data category {code!r} has unknown avg_class {avg!r}")
        categories[code] = CategoryInfo(code=code, label=str(spec.get("label") or code), avg_class=avg)
    measures = tuple(str(m) for m in roles_doc.get("security_measures") or [])
    return Policies(actions, role_actions, regie_bound, organisation_kinds, role_labels, categories, measures)


@lru_cache
def load_policies(directory: Path) -> Policies:
    return parse_policies(_load_yaml(directory / "roles.yaml"), _load_yaml(directory / "data_categories.yaml"))
