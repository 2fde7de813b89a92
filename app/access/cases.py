"""Case access: role AND an active convenant covering the case type AND participation.

`READABLE_CASES` is the rule as one SQL predicate over `Case`: the case type is covered for the caller's
organisation (`convenants.grants.covered_case_types`, built on the one validity rule) and the
organisation takes part in the case. Lists filter with it; a single case is decided by the same pieces
(`CASE_FACTS`: the same participation expression, carried by the case's own statement, and the covering
grants from `grants_for`, cached per convenant epoch), so the two cannot drift.
`require_case` decides on one case (404 when the caller may not see it at all, 403 when it may see it but
not do this) and audits every denial; the trigger, note-category and case-opening decisions are here too.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVarTuple

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    exists,
    join,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.access.decisions import Decision, deny, granting_role, policies, require_role
from app.auth.principal import Principal
from app.cases.models import Case, CaseParticipant
from app.convenants.grants import (
    EPOCH,
    Grant,
    best_grant,
    cache_for,
    categories_of,
    coverage,
    covered_case_types,
    grants_for,
    with_categories,
)
from app.convenants.models import ConvenantCaseType, ConvenantPartyCategory
from app.kit import clock
from app.kit.errors import NotAllowed, NotFound
from app.vocabulary import Action, CaseType, DataCategory
from app.workflows.engine import get_engine
from app.workflows.model import TransitionDef

_Ts = TypeVarTuple("_Ts")  # the columns of a statement that a filter passes through


@dataclass(frozen=True)
class CaseAccess:
    """What the caller's organisation has on one case: the grants that cover it where it takes part."""

    grants: tuple[Grant, ...]

    @property
    def visible(self) -> bool:
        return bool(self.grants)

    @property
    def categories(self) -> frozenset[DataCategory]:
        return categories_of(self.grants)


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


# The rule, built once with bind parameters (building it per request was a sixth of a list page's CPU
# time; bench/): the covered case types, and participation of the caller's organisation.
_ORG = bindparam("readable_org", type_=String())
_TODAY = bindparam("readable_today", type_=Date())
_PARTICIPATES = exists().where(CaseParticipant.case_id == Case.id, CaseParticipant.organisation == _ORG)
_COVERED = _InSubquery(Case.case_type, covered_case_types(_ORG, _TODAY).scalar_subquery())
READABLE_CASES = and_(_COVERED, _PARTICIPATES)

# The same rule shaped for a list, newest case first: the caller's organisation's own participations (`mine`)
# joined to their cases, of the covered types. Its index (organisation, case_created_at, case_id) yields them
# in the page's order up to LIMIT, where READABLE_CASES walks every case newest first and probes each for
# participation (100 000 cases, 10 % visible: 0.9 instead of 3.6 ms and 370 instead of 1 600 buffers a page;
# bench/RESULTS.md). An alias, so a filter's own subquery on casus_participant is not correlated to it.
_MINE = aliased(CaseParticipant, name="mine")
LISTING_KEY = (_MINE.case_created_at, _MINE.case_id)  # equal to (Case.created_at, Case.id): the copy never changes


def readable_listing(*columns: Any) -> Select[Any]:
    """SELECT `columns` FROM the cases the caller's organisation may read, as READABLE_CASES decides, with
    LISTING_KEY to order and page by; pass `readable_params()` at execution."""
    return (select(*columns).select_from(join(_MINE, Case, _MINE.case_id == Case.id))
            .where(_MINE.organisation == _ORG, _COVERED))

# What one case statement carries besides the case (app/cases/loading.py), so that deciding on the case
# needs no statement of its own: whether the caller's organisation takes part (the same expression as the
# list filter's) and the convenant epoch, under which the covering grants are cached (GrantCache).
CASE_FACTS = (EPOCH.label("convenant_epoch"), _PARTICIPATES.label("participates"))


@dataclass(frozen=True)
class CaseFacts:
    participates: bool
    convenant_epoch: str


def case_facts_params(principal: Principal) -> dict[str, Any]:
    return {"readable_org": principal.org}


def readable_params(principal: Principal, today: date | None = None) -> dict[str, Any]:
    """The values of READABLE_CASES' parameters for this caller, to pass at execution."""
    return {"readable_org": principal.org, "readable_today": today or clock.today()}


def readable_cases(principal: Principal, stmt: Select[*_Ts], today: date | None = None) -> Select[*_Ts]:
    """Limit `stmt` (selecting from Case) to the cases the principal's organisation may see, in SQL.

    The values are bound into the returned statement; a hot path may instead add READABLE_CASES itself and
    pass `readable_params()` at execution (a missing value is an error, never a wider result).
    """
    return stmt.where(READABLE_CASES).params(readable_params(principal, today))


_READABLE_ID = select(Case.id).where(Case.id == bindparam("case_id", type_=Uuid()), READABLE_CASES)


async def visible_case_id(session: AsyncSession, principal: Principal, case_id: uuid.UUID | None) -> uuid.UUID | None:
    """`case_id` if the caller may read that case, else None: a reference to a case (`related_case_id`) must
    not reveal that a case exists where the caller may not know it."""
    if case_id is None:
        return None
    found = await session.scalar(_READABLE_ID, readable_params(principal) | {"case_id": case_id})
    return case_id if found is not None else None


async def case_access(session: AsyncSession, principal: Principal, case: Case, facts: CaseFacts) -> CaseAccess:
    """The grants covering the case's type for the caller's organisation, if it takes part: READABLE_CASES for
    one case, from the facts its statement carried and the grant cache."""
    if not facts.participates:
        return CaseAccess(grants=())
    return CaseAccess(grants=await cache_for(session).grants(
        session, facts.convenant_epoch, principal.org, case.case_type, clock.today()))


def role_applies(role: str, action: Action, principal: Principal, case: Case) -> bool:
    """The role grants `action`; a regie-bound action (policies/roles.yaml) only where the caller's own
    organisation holds regie."""
    pol = policies()
    if action not in pol.role_actions.get(role, ()):
        return False
    if action in pol.regie_bound.get(role, ()):
        return case.regie_organisation == principal.org
    return True


def applicable_roles(principal: Principal, action: Action, case: Case) -> list[str]:
    return [r for r in principal.roles if role_applies(r, action, principal, case)]


async def require_case(
    session: AsyncSession,
    principal: Principal,
    action: Action,
    case: Case,
    facts: CaseFacts,
    *,
    subject_ids: tuple[Any, ...] = (),
) -> tuple[Decision, CaseAccess]:
    access = await case_access(session, principal, case, facts)
    grant = best_grant(access.grants)
    if grant is None or granting_role(principal, Action.case_read) is None:
        deny(session, principal, action, object_type="case", object_id=case.id, case_id=case.id,
             subject_ids=subject_ids, reason="no convenant or participation")
        raise NotFound("Case not found")
    roles = applicable_roles(principal, action, case)
    if not roles:
        deny(session, principal, action, object_type="case", object_id=case.id, case_id=case.id,
             subject_ids=subject_ids, reason="role")
        raise NotAllowed(f"Your roles do not allow {action} on this case")
    return Decision(action, roles[0], grant.convenant_id, grant.version, grant.legal_basis), access


def deny_missing(session: AsyncSession, principal: Principal, action: Action, case_id: uuid.UUID) -> None:
    """A request for a case that does not exist is recorded as a denied attempt as well."""
    deny(session, principal, action, object_type="case", object_id=case_id, case_id=case_id, reason="not found")


def permitted_transitions(
    principal: Principal, case: Case, org_kind: str | None, access: CaseAccess
) -> list[TransitionDef]:
    """The transitions out of the case's state that the caller's roles (and organisation kind) may fire, with
    data of a category its convenants grant (one may not write what one may not read)."""
    roles = applicable_roles(principal, Action.case_transition, case)
    categories = access.categories
    if get_engine().ladder(case.case_type).hides_state(case.state, categories):
        return []  # the triggers on offer would tell the state
    return [t for t in get_engine().available(case.case_type, case.state)
            if t.permits(roles, org_kind) and (t.data_category is None or t.data_category in categories)]


def require_trigger(
    session: AsyncSession, principal: Principal, case: Case, transition: TransitionDef, org_kind: str | None,
    *, subject_ids: tuple[Any, ...] = (),
) -> str:
    """The role under which the caller fires `transition` (the ladder names who may), or a denied, audited 403."""
    roles = applicable_roles(principal, Action.case_transition, case)
    role = next((r for r in roles if transition.permits([r], org_kind)), None)
    if role is None:
        deny(session, principal, Action.case_transition, object_type="case", object_id=case.id, case_id=case.id,
             subject_ids=subject_ids, reason=f"trigger {transition.trigger} not for your role")
        raise NotAllowed(f"Your role may not fire {transition.trigger!r} here (allowed: {', '.join(transition.roles)})")
    return role


def require_case_action(
    session: AsyncSession, principal: Principal, action: Action, case: Case, *, subject_ids: tuple[Any, ...] = (),
    reason: str,
) -> str:
    """A further action within an operation already allowed on this case (e.g. handing regie to an
    organisation that does not take part yet is also an invitation): the role under which it is taken, or a
    denied, audited 403 saying `reason`."""
    roles = applicable_roles(principal, action, case)
    if not roles:
        deny(session, principal, action, object_type="case", object_id=case.id, case_id=case.id,
             subject_ids=subject_ids, reason=reason)
        raise NotAllowed(f"Your roles do not allow {action} on this case: {reason}")
    return roles[0]


def require_category(
    session: AsyncSession, principal: Principal, action: Action, access: CaseAccess, category: DataCategory | str,
    *, case_id: uuid.UUID, object_type: str, subject_ids: tuple[Any, ...] = (),
) -> None:
    """Writing data of `category` on a case needs a convenant that grants it; else a denied, audited 403."""
    if category not in access.categories:
        deny(session, principal, action, object_type=object_type, case_id=case_id, subject_ids=subject_ids,
             reason=f"category {category} not covered")
        raise NotAllowed(f"Your convenant does not cover the category {category!r} for this case type")


async def require_case_create(
    session: AsyncSession, principal: Principal, case_type: CaseType
) -> tuple[Decision, frozenset[DataCategory]]:
    """Opening a case needs the role and a convenant covering the case type for the caller's organisation;
    the decision carries that convenant as legal basis, and the categories the caller may write come with it."""
    decision = require_role(session, principal, Action.case_create, object_type="case")
    grants = await grants_for(session, principal.org, case_type, clock.today())
    grant = best_grant(grants)
    if grant is None:
        deny(session, principal, Action.case_create, object_type="case", reason="no convenant for case type")
        raise NotAllowed(f"No active convenant covering {case_type} names your organisation")
    return (Decision(Action.case_create, decision.role, grant.convenant_id, grant.version, grant.legal_basis),
            categories_of(grants))


def state_visible() -> ColumnElement[bool]:
    """READABLE_CASES' companion for lists that show or select by state (the work list of cases): the case's
    state is not one that reveals a decision of a data category the caller's convenants do not grant for its
    case type (`Ladder.hides_state`, the rule app/cases/views.py shows as `In behandeling`), in SQL with the same
    parameters (`readable_params`). Such a case is left out rather than shown withheld: being on the list would
    tell the state."""
    clauses: list[ColumnElement[bool]] = []
    engine = get_engine()
    for ladder in (engine.ladder(t) for t in engine.case_types):
        by_category: dict[str, list[str]] = defaultdict(list)
        for state in ladder.states:
            if state.category is not None:
                by_category[state.category].append(state.code)
        for category, states in sorted(by_category.items()):
            granted = (with_categories(coverage(literal(1), day=_TODAY, organisation=_ORG))
                       .where(ConvenantCaseType.case_type == ladder.case_type,
                              ConvenantPartyCategory.category == category).exists())
            clauses.append(~and_(Case.case_type == ladder.case_type, Case.state.in_(states), ~granted))
    return and_(true(), *clauses)
