"""The one place that decides who may do what. Routers and services ask here; nothing else decides.

A facade over its modules (each imports its siblings directly, never this package, so the order below
does not matter): `policies` (roles.yaml), `decisions` (role-level decisions and the denial record),
`cases` (convenant, participation, regie and trigger rules for cases), `plan_actions` (who sets a plan action's
status), `signals` (who knows which signal), `subjects` (who serves a data-subject request), `meetings` (who
sees and manages a meeting, which of its items), `reports` (who reads the monitor report).
"""

from app.access.binding import audit_scope
from app.access.cases import (
    CASE_FACTS,
    LISTING_KEY,
    READABLE_CASES,
    CaseAccess,
    CaseFacts,
    applicable_roles,
    case_access,
    case_facts_params,
    deny_missing,
    permitted_transitions,
    readable_cases,
    readable_listing,
    readable_params,
    require_case,
    require_case_action,
    require_case_create,
    require_category,
    require_trigger,
    state_visible,
    visible_case_id,
)
from app.access.decisions import Decision, configure, deny, granting_role, policies, require_role
from app.access.events import Concerning, may_receive, require_subscriptions, subscription_scope
from app.access.meetings import (
    VISIBLE_MEETINGS,
    manages,
    meeting_params,
    readable_agenda,
    require_meeting,
    require_meeting_role,
    visible_categories,
    visible_meetings,
)
from app.access.plan_actions import require_action_owner
from app.access.policies import Policies, PolicyError, load_policies
from app.access.reports import REPORT_OBJECT, require_report_reader
from app.access.signals import (
    may_see_all_signals,
    readable_signals,
    require_feedback,
    require_sender,
    signal_reader,
)
from app.access.subjects import deny_unknown_subject, require_subject_request

__all__ = [
    "CASE_FACTS",
    "LISTING_KEY",
    "READABLE_CASES",
    "REPORT_OBJECT",
    "VISIBLE_MEETINGS",
    "CaseAccess",
    "CaseFacts",
    "Concerning",
    "Decision",
    "Policies",
    "PolicyError",
    "applicable_roles",
    "audit_scope",
    "case_access",
    "case_facts_params",
    "configure",
    "deny",
    "deny_missing",
    "deny_unknown_subject",
    "granting_role",
    "load_policies",
    "manages",
    "may_receive",
    "may_see_all_signals",
    "meeting_params",
    "permitted_transitions",
    "policies",
    "readable_agenda",
    "readable_cases",
    "readable_listing",
    "readable_params",
    "readable_signals",
    "require_action_owner",
    "require_case",
    "require_case_action",
    "require_case_create",
    "require_category",
    "require_feedback",
    "require_meeting",
    "require_meeting_role",
    "require_report_reader",
    "require_role",
    "require_sender",
    "require_subject_request",
    "require_subscriptions",
    "require_trigger",
    "signal_reader",
    "state_visible",
    "subscription_scope",
    "visible_case_id",
    "visible_categories",
    "visible_meetings",
]
