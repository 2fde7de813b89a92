"""The one place that decides who may do what. Routers and services ask here; nothing else decides."""

from app.access.decisions import Decision, configure, deny, granting_role, policies, require_role
from app.access.policies import Policies, PolicyError, load_policies

__all__ = [
    "Decision",
    "Policies",
    "PolicyError",
    "configure",
    "deny",
    "granting_role",
    "load_policies",
    "policies",
    "require_role",
]

# Last: the case rules import the convenant and case models, which import this package.
from app.access.cases import (
    READABLE_CASES,
    CaseAccess,
    applicable_roles,
    case_access,
    deny_missing,
    readable_cases,
    readable_params,
    require_case,
    visible_categories,
)
from app.access.signals import may_see_all_signals, readable_signals

__all__ += [
    "READABLE_CASES",
    "CaseAccess",
    "applicable_roles",
    "case_access",
    "deny_missing",
    "may_see_all_signals",
    "readable_cases",
    "readable_params",
    "readable_signals",
    "require_case",
    "visible_categories",
]
