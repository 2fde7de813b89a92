"""Who may read the monitor report (GET /v1/reports/monitor): the `report:read` role, held by the procesregisseur
(ZVH or gemeente staff) and the bestuurder (gemeente), policies/roles.yaml.

The report counts over every case and signal in the system, not only those the caller may read: it holds
aggregates only (counts and durations, no ids, names or text), counts of 1 to 4 are suppressed (app/reports),
and the municipality reports them to its council for all partners' work at once. So the rule is the role alone;
the role's organisation-kind binding (app/access/binding.py) keeps a partner's staff from claiming it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.decisions import Decision, require_role
from app.auth.principal import Principal
from app.vocabulary import Action

REPORT_OBJECT = "report"


def require_report_reader(session: AsyncSession, principal: Principal) -> Decision:
    """The role under which the caller reads a report, or a denied, audited 403."""
    return require_role(session, principal, Action.report_read, object_type=REPORT_OBJECT)
