"""Case access: role AND an active convenant covering the case type AND participation.

`readable_cases` is the SQL filter for lists; `require_case` decides on one case (404 when the caller
may not see it at all, 403 when it may see it but not do this) and audits every denial.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Date, Select, String, and_, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app import clock
from app.access.decisions import Decision, deny, policies
from app.cases.models import Case, CaseParticipant
from app.convenants.models import ConvenantCaseType, ConvenantParty, ConvenantVersion
from app.convenants.service import ACTIEF, Grant, active_versions_stmt, grants_for
from app.errors import NotAllowed, NotFound
from app.principal import Principal

# Actions a casusregisseur may only perform where its own organisation holds regie (DOMAIN.md roles).
REGIE_BOUND_ACTIONS = frozenset({"case:update", "case:transition", "plan:write"})


@dataclass(frozen=True)
class CaseAccess:
    """What the caller's organisation has on one case: its grants, participation and visible categories."""

    grants: tuple[Grant, ...]
    participant: bool

    @property
    def visible(self) -> bool:
        return self.participant and bool(self.grants)

    @property
    def categories(self) -> frozenset[str]:
        if not self.visible:
            return frozenset()
        return frozenset().union(*(g.categories for g in self.grants))

    @property
    def best_grant(self) -> Grant | None:
        # The legal basis recorded: the grant that covers the most categories, then the lowest id (stable).
        if not self.grants:
            return None
        return sorted(self.grants, key=lambda g: (-len(g.categories), str(g.convenant_id)))[0]


def covered_case_types(organisation: str, today: date) -> Select[Any]:
    """Case types some active, currently valid convenant names `organisation` for."""
    active = active_versions_stmt(today).subquery()
    return (
        select(ConvenantCaseType.case_type)
        .join(active, active.c.id == ConvenantCaseType.version_id)
        .join(ConvenantParty, and_(ConvenantParty.version_id == active.c.id,
                                   ConvenantParty.organisation == organisation))
    )


class _InSubquery(FunctionElement[bool]):
    """`column IN (subquery)`, written `column = ANY(ARRAY(subquery))` on PostgreSQL: the same set, but
    PostgreSQL then sees one array instead of a semi-join whose size it underestimates, and walks the
    list's (created_at, id) index up to LIMIT instead of sorting every case of the covered types
    (100 000 cases: about 2 ms instead of 300 ms per page; bench/RESULTS.md)."""

    name = "in_subquery"
    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a comparison: SQLite gets no `= 1` appended


@compiles(_InSubquery)
def _in_subquery(element: _InSubquery, compiler: SQLCompiler, **kw: Any) -> str:
    column, subquery = element.clauses.clauses
    return f"{compiler.process(column, **kw)} IN {compiler.process(subquery, **kw)}"


@compiles(_InSubquery, "postgresql")
def _in_subquery_pg(element: _InSubquery, compiler: SQLCompiler, **kw: Any) -> str:
    column, subquery = element.clauses.clauses
    return f"{compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(subquery, **kw)})"


# The rule of readable_cases, built once with bind parameters (building it per request was a sixth of a
# list page's CPU time; bench/): the covered case types, and participation of the caller's organisation.
_ORG = bindparam("readable_org", type_=String())
_TODAY = bindparam("readable_today", type_=Date())
_COVERED_TYPES = (
    select(ConvenantCaseType.case_type)
    .join(ConvenantVersion, ConvenantVersion.id == ConvenantCaseType.version_id)
    .join(ConvenantParty, and_(ConvenantParty.version_id == ConvenantVersion.id, ConvenantParty.organisation == _ORG))
    .where(ConvenantVersion.status == ACTIEF, ConvenantVersion.valid_from <= _TODAY,
           ConvenantVersion.valid_until >= _TODAY)
    .scalar_subquery()
)
READABLE_CASES = and_(
    _InSubquery(Case.case_type, _COVERED_TYPES),
    exists().where(CaseParticipant.case_id == Case.id, CaseParticipant.organisation == _ORG),
)


def readable_params(principal: Principal, today: date | None = None) -> dict[str, Any]:
    """The values of READABLE_CASES' parameters for this caller, to pass at execution."""
    return {"readable_org": principal.org, "readable_today": today or clock.today()}


def readable_cases(principal: Principal, stmt: Select[Any], today: date | None = None) -> Select[Any]:
    """Limit `stmt` (selecting from Case) to the cases the principal's organisation may see, in SQL.

    The values are bound into the returned statement; a hot path may instead add READABLE_CASES itself and
    pass `readable_params()` at execution (a missing value is an error, never a wider result).
    """
    return stmt.where(READABLE_CASES).params(readable_params(principal, today))


async def case_access(session: AsyncSession, principal: Principal, case: Case) -> CaseAccess:
    participant = any(p.organisation == principal.org for p in case.participants)
    grants = await grants_for(session, principal.org, case.case_type, clock.today()) if participant else []
    return CaseAccess(grants=tuple(grants), participant=participant)


async def visible_categories(session: AsyncSession, principal: Principal, case: Case) -> frozenset[str]:
    """The data categories the caller's organisation may see on this case: the union over its grants."""
    return (await case_access(session, principal, case)).categories


def role_applies(role: str, action: str, principal: Principal, case: Case) -> bool:
    if action not in policies().role_actions.get(role, ()):
        return False
    if role == "casusregisseur" and action in REGIE_BOUND_ACTIONS:
        return case.regie_organisation == principal.org
    return True


def applicable_roles(principal: Principal, action: str, case: Case) -> list[str]:
    return [r for r in principal.roles if role_applies(r, action, principal, case)]


def may_read(principal: Principal, access: CaseAccess) -> bool:
    return access.visible and any("case:read" in policies().role_actions.get(r, ()) for r in principal.roles)


async def require_case(
    session: AsyncSession,
    principal: Principal,
    action: str,
    case: Case,
    *,
    subject_ids: tuple[Any, ...] = (),
) -> tuple[Decision, CaseAccess]:
    access = await case_access(session, principal, case)
    if not may_read(principal, access):
        deny(session, principal, action, object_type="case", object_id=case.id, case_id=case.id,
             subject_ids=subject_ids, reason="no convenant or participation")
        raise NotFound("Case not found")
    roles = applicable_roles(principal, action, case)
    if not roles:
        deny(session, principal, action, object_type="case", object_id=case.id, case_id=case.id,
             subject_ids=subject_ids, reason="role")
        raise NotAllowed(f"Your roles do not allow {action} on this case")
    grant = access.best_grant
    assert grant is not None
    return Decision(action, roles[0], grant.convenant_id, grant.version, grant.legal_basis), access


def deny_missing(session: AsyncSession, principal: Principal, action: str, case_id: uuid.UUID) -> None:
    """A request for a case that does not exist is recorded as a denied attempt as well."""
    deny(session, principal, action, object_type="case", object_id=case_id, case_id=case_id, reason="not found")
