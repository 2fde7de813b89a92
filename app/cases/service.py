"""Cases: open, read, list, change. Transitions, participants, notes and plans have modules of their own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, Integer, Row, Select, Uuid, and_, bindparam, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.audit.masking import filters_detail
from app.auth.principal import Principal
from app.cases import level_owners
from app.cases.level_owners import set_regie
from app.cases.loading import LoadedCase, check_version, load_case
from app.cases.models import Case, CaseParticipant, CasePlan, CasePlanAction, CaseSubject, CaseTransition
from app.cases.references import next_reference
from app.cases.schemas import CaseCreate, CasePatch
from app.convenants.grants import categories_of, grants_for, parties_for
from app.events import publish
from app.kit import clock
from app.kit.database import UtcDateTime
from app.kit.errors import ValidationFailed
from app.kit.paging import Window, window
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.vocabulary import UNFINISHED_ACTION_STATUSES, Action, CaseType, DataCategory, ParticipantBasis
from app.workflows import codes
from app.workflows.engine import get_engine
from app.workflows.model import FINAL_STATE, Ladder

_Ts = TypeVarTuple("_Ts")  # the columns of a statement that a filter passes through


def _err(loc: list[Any], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg}


def merge_details(current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Merge a PATCH into the details key by key, into nested objects too (so that setting one
    basisvoorwaarde keeps the others); lists and scalars are replaced."""
    merged = dict(current)
    for key, value in change.items():
        old = merged.get(key)
        merged[key] = merge_details(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def validate_details(ladder: Ladder, details: dict[str, Any], loc: list[Any]) -> dict[str, Any]:
    """Check details against the case type's schema; return them JSON-shaped."""
    model: type[BaseModel] = ladder.details_model
    try:
        return model.model_validate(details).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise ValidationFailed(
            "The case details do not fit this case type",
            errors=[_err(loc + list(e["loc"]), e["msg"]) for e in exc.errors()],
        ) from exc


def uncovered_details(
    ladder: Ladder, details: dict[str, Any], categories: frozenset[DataCategory]
) -> list[dict[str, Any]]:
    """The details keys of a category the caller's convenants do not grant: one may not write what one may
    not read (opening a case, and PATCH)."""
    return [_err(["body", "details", key], f"category {category} is not covered for you")
            for key in details
            if (category := ladder.details_categories.get(key)) is not None and category not in categories]


def enter_state(case: Case, ladder: Ladder, state: str, now: datetime) -> None:
    """Move to `state` at `now`: its tier, and its deadline (entry + max_dagen, or before a date of the case's
    details: set the details first)."""
    definition = ladder.state(state)
    case.state = state
    case.tier = definition.tier
    case.state_entered_at = now
    case.due_at = definition.due_at(case.details or {}, now)
    case.closed_at = now if state == FINAL_STATE else None


async def create(session: AsyncSession, principal: Principal, data: CaseCreate, *, bsn_key: str) -> LoadedCase:
    subject_rows = [row for s in data.subjects for row in subjects.build(s, bsn_key)]
    return await open_case(
        session, principal, case_type=data.case_type, title=data.title, subject_rows=subject_rows,
        summary=data.summary, initial_state=data.initial_state, regie_organisation=data.regie_organisation,
        related_case_id=data.related_case_id, details=data.details,
    )


async def open_case(
    session: AsyncSession, principal: Principal, *, case_type: CaseType, title: str, subject_rows: list[Subject],
    summary: str | None = None, initial_state: str | None = None, regie_organisation: str | None = None,
    related_case_id: uuid.UUID | None = None, details: dict[str, Any] | None = None,
) -> LoadedCase:
    """Open a case on `subject_rows`: new rows (from `create`) or rows that exist already (a triaged signal's)."""
    ladder = get_engine().ladder(case_type)
    decision, categories = await access.require_case_create(session, principal, case_type)
    today = clock.today()

    errors: list[dict[str, Any]] = []
    initial = initial_state or ladder.first_state.code
    if initial not in ladder.initial_states:
        errors.append(_err(["body", "initial_state"], f"{ladder.case_type} cases start in one of "
                                                      f"{list(ladder.initial_states)}"))
    if not any(s.type == ladder.subject_type and s.member_of is None for s in subject_rows):
        errors.append(_err(["body", "subjects"], f"a {ladder.case_type} case needs a subject of type "
                                                 f"{ladder.subject_type!r}"))
    parties = await parties_for(session, ladder.case_type, today)
    if regie_organisation and regie_organisation not in parties:
        errors.append(_err(["body", "regie_organisation"],
                           "not party to an active convenant covering this case type"))
    if related_case_id is not None and await access.visible_case_id(session, principal, related_case_id) is None:
        errors.append(_err(["body", "related_case_id"], "no such case visible to you"))
    errors += uncovered_details(ladder, details or {}, categories)
    clean_details: dict[str, Any] = {}
    try:
        clean_details = validate_details(ladder, details or {}, ["body", "details"])
    except ValidationFailed as exc:
        errors += exc.errors
    if not errors:  # the ladder's conditions for starting here (IJAM pga: its criteria), on details that fit
        for name, msg in get_engine().entry_failures(ladder.case_type, initial, clean_details):
            given = name.split(".")[0] in clean_details
            errors.append(_err(["body", "details", *name.split(".")],
                               msg if given else f"required to open a case in {initial!r} ({msg})"))
    if errors:
        raise ValidationFailed("The case cannot be opened as requested", errors=errors)

    now = clock.now()
    case = Case(
        id=uuid.uuid4(), reference=await next_reference(session, ladder.case_type, now.year),
        case_type=ladder.case_type, title=title, summary=summary, details=clean_details,
        opened_by_organisation=principal.org, regie_organisation=regie_organisation,
        related_case_id=related_case_id, version=1, created_at=now, updated_at=now, created_by=principal.sub,
        state=initial, state_entered_at=now,
    )
    enter_state(case, ladder, initial, now)
    case.participants = [CaseParticipant.joining(case, principal.org, ParticipantBasis.opener, at=now,
                                                 by=principal.sub)]
    if regie_organisation and regie_organisation != principal.org:
        case.participants.append(CaseParticipant.joining(case, regie_organisation, ParticipantBasis.regie, at=now,
                                                         by=principal.sub))
    session.add(case)
    await subjects.add_all(session, subject_rows)
    session.add_all(CaseSubject(case_id=case.id, subject_id=s.id) for s in subject_rows)
    created = CaseTransition(case_id=case.id, version=1, trigger=codes.CREATED, from_state=None, to_state=initial,
                             reason="casus geopend", data={}, actor_sub=principal.sub, actor_org=principal.org,
                             actor_role=decision.role, created_at=now, regie_organisation=regie_organisation)
    session.add(created)
    await session.flush()
    subject_ids = tuple(s.id for s in subject_rows)
    publish.case_created(session, case)
    audit.record(session, principal, Action.case_create, object_type="case", object_id=case.id, role=decision.role,
                 case_id=case.id, subject_ids=subject_ids, legal_basis=decision.basis)
    if regie_organisation is None:  # the procesregisseur named none: the level owner's, when unambiguous
        await level_owners.enter(session, case, None, initial, codes.CREATED, subject_ids, now)
        created.regie_organisation = case.regie_organisation
        await session.flush()
    return await load_case(session, principal, case.id, Action.case_read)


async def get(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> LoadedCase:
    loaded = await load_case(session, principal, case_id, Action.case_read)
    loaded.record(session, principal, Action.case_read, object_type="case", object_id=case_id)
    return loaded


@dataclass(frozen=True)
class CaseFilter:
    case_type: str | None = None
    state: str | None = None
    tier: int | None = None
    overdue: bool | None = None
    organisation: str | None = None
    subject_id: uuid.UUID | None = None
    # The cases that name this case as their related case (a group case's IJAM referrals).
    related_case_id: uuid.UUID | None = None
    q: str | None = None


def _filtered(stmt: Select[*_Ts], flt: CaseFilter, withheld: ColumnElement[bool] | None = None) -> Select[*_Ts]:
    """`withheld`: the cases whose state the caller may not see (`_withheld_states`), needed with a filter on
    state, tier or overdue: such a case matches none of the first two, and is never overdue (as its row shows), for
    its deadline would tell its state."""
    if withheld is not None and (flt.state or flt.tier is not None or flt.overdue):
        stmt = stmt.where(~withheld)
    if flt.case_type:
        stmt = stmt.where(Case.case_type == flt.case_type)
    if flt.state:
        stmt = stmt.where(Case.state == flt.state)
    if flt.tier is not None:
        stmt = stmt.where(Case.tier == flt.tier)
    if flt.overdue is not None:
        now = clock.now()
        late = (Case.due_at < now) & Case.closed_at.is_(None)
        not_late = ~late | Case.due_at.is_(None)
        stmt = stmt.where(late if flt.overdue else not_late if withheld is None else not_late | withheld)
    if flt.organisation:
        stmt = stmt.where(Case.id.in_(select(CaseParticipant.case_id)
                                      .where(CaseParticipant.organisation == flt.organisation)))
    if flt.subject_id:
        stmt = stmt.where(Case.id.in_(select(CaseSubject.case_id).where(CaseSubject.subject_id == flt.subject_id)))
    if flt.related_case_id:
        stmt = stmt.where(Case.related_case_id == flt.related_case_id)
    if flt.q:
        pattern = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Case.title.ilike(pattern, escape="\\"), Case.reference.ilike(pattern, escape="\\")))
    return stmt


# The columns of a list row (CaseSummary): rows as plain tuples, not ORM objects with identity-map
# bookkeeping (a third of a list page's CPU time went to building 51 Case objects; bench/).
# `open_actions`: the unfinished actions of the case's latest plan version, a correlated subquery in the page's one
# statement (a list page stays one round trip; app/cases/views.py shows it).
_LATEST_PLAN_ID = (select(CasePlan.id).where(CasePlan.case_id == Case.id).order_by(CasePlan.version.desc()).limit(1)
                   .correlate(Case).scalar_subquery())
OPEN_ACTIONS = (select(func.count()).select_from(CasePlanAction)
                .where(CasePlanAction.plan_id == _LATEST_PLAN_ID,
                       CasePlanAction.status.in_(sorted(UNFINISHED_ACTION_STATUSES)))
                .correlate(Case).scalar_subquery().label("open_actions"))
SUMMARY_COLUMNS = (Case.id, Case.reference, Case.case_type, Case.state, Case.tier, Case.version, Case.title,
                   Case.due_at, Case.closed_at, Case.regie_organisation, Case.created_at, OPEN_ACTIONS)


NO_FILTER = CaseFilter()
# Built once with bind parameters (values come with the execution, access.readable_params() among them):
# the unfiltered first and next pages, the commonest requests, compile and run without any construction.
_READABLE_SUMMARIES = access.readable_listing(*SUMMARY_COLUMNS)
_NEWEST_FIRST = tuple(key.desc() for key in access.LISTING_KEY)
_AFTER = tuple_(*access.LISTING_KEY) < tuple_(bindparam("after_created_at", type_=UtcDateTime()),
                                               bindparam("after_id", type_=Uuid()))
_PAGE_LIMIT = bindparam("page_limit", type_=Integer())
_PAGE_FIRST = _READABLE_SUMMARIES.order_by(*_NEWEST_FIRST).limit(_PAGE_LIMIT)
_PAGE_AFTER = _READABLE_SUMMARIES.where(_AFTER).order_by(*_NEWEST_FIRST).limit(_PAGE_LIMIT)


async def _withheld_states(session: AsyncSession, principal: Principal) -> ColumnElement[bool] | None:
    """The cases in a state the caller may not see (app/cases/views.py shows them as `In behandeling`), as a
    predicate; None when there are none. A filter on what such a state would tell must treat them as the row shows
    them (`_filtered`)."""
    today = clock.today()
    engine = get_engine()
    hidden_by_type = []
    for ladder in (engine.ladder(t) for t in engine.case_types):
        categorised = [s for s in ladder.states if s.category is not None]
        if not categorised:
            continue
        categories = categories_of(await grants_for(session, principal.org, ladder.case_type, today))
        hidden = [s.code for s in categorised if ladder.hides_state(s.code, categories)]
        if hidden:
            hidden_by_type.append(and_(Case.case_type == ladder.case_type, Case.state.in_(hidden)))
    return or_(*hidden_by_type) if hidden_by_type else None


async def list_page(
    session: AsyncSession, principal: Principal, flt: CaseFilter, *, limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Window[Row[*tuple[Any, ...]]]:
    """Newest first; filtered in SQL by what the caller's organisation may see (never in Python).

    The audit entry names exactly the cases returned.
    """
    decision = access.require_role(session, principal, Action.case_list, object_type="case")
    params: dict[str, Any] = access.readable_params(principal) | {"page_limit": limit + 1}
    if after is not None:
        params |= {"after_created_at": after[0], "after_id": after[1]}
    if flt == NO_FILTER:
        stmt = _PAGE_AFTER if after is not None else _PAGE_FIRST
    else:
        withheld = (await _withheld_states(session, principal)
                    if flt.state is not None or flt.tier is not None or flt.overdue is not None else None)
        stmt = _filtered(_READABLE_SUMMARIES, flt, withheld)
        if flt.related_case_id is not None and await access.visible_case_id(session, principal,
                                                                             flt.related_case_id) is None:
            # Referrals to a case the caller may not read would tell that the case exists: an empty list.
            stmt = stmt.where(false())
        if after is not None:
            stmt = stmt.where(_AFTER)
        stmt = stmt.order_by(*_NEWEST_FIRST).limit(_PAGE_LIMIT)
    # Columns, no entities: run as Core on the session's connection, the same statement and rows without the
    # ORM's execution path (~0.3 ms of CPU per page in bench/cpu_per_request.py).
    connection = await session.connection()
    page = window((await connection.execute(stmt, params)).all(), limit)
    audit.record(session, principal, Action.case_list, object_type="case", role=decision.role,
                 subject_ids=[flt.subject_id] if flt.subject_id else [],
                 detail={"filters": filters_detail(flt),
                         "case_ids": [str(c.id) for c in page.items]})
    return page


async def patch(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: CasePatch, if_match: int | None
) -> LoadedCase:
    loaded = await load_case(session, principal, case_id, Action.case_update, lock=True)
    case = loaded.case
    check_version(case, if_match)
    ladder = get_engine().ladder(case.case_type)
    changed: list[str] = []
    errors: list[dict[str, Any]] = []
    errors += uncovered_details(ladder, data.details or {}, loaded.access.categories)
    if errors:
        raise ValidationFailed("The case cannot be changed as requested", errors=errors)
    now = clock.now()
    if data.details is not None:
        case.details = validate_details(ladder, merge_details(case.details or {}, data.details), ["body", "details"])
        changed += [f"details.{k}" for k in sorted(data.details)]
        if (state := ladder.state(case.state)).due_before in data.details:  # a corrected release date moves it
            case.due_at = state.due_at(case.details, case.state_entered_at)
    for name in ("title", "summary", "regisseur"):
        value = getattr(data, name)
        if value is not None and value != getattr(case, name):
            setattr(case, name, value)
            changed.append(name)
    if data.regie_organisation is not None and data.regie_organisation != case.regie_organisation:
        await hand_regie(session, principal, loaded, data.regie_organisation, now,
                         loc=["body", "regie_organisation"])
        changed.append("regie_organisation")
    if changed:
        loaded.changed(now)
    await session.flush()
    loaded.record(session, principal, Action.case_update, object_type="case", object_id=case.id,
                  detail={"fields": changed})
    return loaded


async def hand_regie(
    session: AsyncSession, principal: Principal, loaded: LoadedCase, organisation: str, now: datetime, *,
    loc: list[Any],
) -> None:
    """Give regie to `organisation`: a party to an active convenant for the case type (else 422 at `loc`).
    An organisation that does not take part yet is invited by this, so the caller needs the invite
    permission too (else an audited 403), and the invitation is audited as such."""
    case = loaded.case
    if organisation not in await parties_for(session, case.case_type, clock.today()):
        raise ValidationFailed("The regie organisation is not party to a convenant for this case type",
                               errors=[_err(loc, "not party to an active convenant covering this case type")])
    invited = all(p.organisation != organisation for p in case.participants)
    role = None
    if invited:
        role = access.require_case_action(session, principal, Action.participant_create, case,
                                          subject_ids=loaded.subject_ids,
                                          reason="regie to an organisation that takes no part yet invites it")
    set_regie(case, organisation, principal, now)
    if invited:
        publish.participant_added(session, case, organisation)
        loaded.record(session, principal, Action.participant_create, object_type="participant",
                      object_id=organisation, role=role, detail={"via": "regie"})
