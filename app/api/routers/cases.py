"""Cases and what hangs off them. Thin: parse, call the service, shape the response (ETag on case writes)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import AfterValidator

from app.api.deps import IF_MATCH_PATTERN, PrincipalDep, SessionDep
from app.api.pagination import (
    CursorQuery,
    LimitQuery,
    after_time_id,
    after_version,
    next_cursor,
    time_id_key,
    version_key,
)
from app.api.responses import PROBLEMS
from app.cases import export, history, members, notes, participants, plan_actions, plans
from app.cases import service as cases
from app.cases import transitions as case_transitions
from app.cases.export_schemas import CaseExport
from app.cases.loading import LoadedCase, parse_if_match
from app.cases.schemas import (
    AvailableTransition,
    CaseCreate,
    CaseOut,
    CasePage,
    CasePatch,
    HistoryPage,
    NoteCreate,
    NoteOut,
    NotePage,
    ParticipantCreate,
    ParticipantList,
    ParticipantOut,
    PlanActionOut,
    PlanActionPatch,
    PlanOut,
    PlanPut,
    PlanVersions,
    RetentionExtensionCreate,
    RetentionExtensionOut,
    TransitionRequest,
)
from app.cases.views import loaded_view, summaries
from app.retention import extensions as retention
from app.subjects import service as subject_views
from app.subjects.schemas import MemberIn, SubjectOut
from app.vocabulary import CaseType, DataCategory

router = APIRouter(prefix="/v1/cases", tags=["cases"])

IfMatch = Annotated[str | None, Header(
    alias="If-Match", pattern=IF_MATCH_PATTERN,
    description='ETag of the case as returned in `ETag`: `"<version>"` (or `*`); a stale version gives 412')]


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


async def _out(session: SessionDep, principal: PrincipalDep, loaded: LoadedCase, response: Response) -> CaseOut:
    _etag(response, loaded.case.version)
    return await loaded_view(session, principal, loaded)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut,
             responses=PROBLEMS(401, 403, 413, 422))
async def create_case(body: CaseCreate, request: Request, session: SessionDep, principal: PrincipalDep,
                      response: Response) -> CaseOut:
    key = request.app.state.settings.effective_bsn_hash_key
    loaded = await cases.create(session, principal, body, bsn_key=key)
    response.headers["Location"] = f"/v1/cases/{loaded.case.id}"
    return await _out(session, principal, loaded, response)


@router.get("", response_model=CasePage, responses=PROBLEMS(401, 403, 422))
async def list_cases(
    session: SessionDep,
    principal: PrincipalDep,
    case_type: CaseType | None = None,
    state: Annotated[str | None, Query(max_length=40)] = None,
    tier: Annotated[int | None, Query(ge=1, le=9)] = None,
    overdue: bool | None = None,
    organisation: Annotated[str | None, Query(max_length=64)] = None,
    subject_id: uuid.UUID | None = None,
    related_case_id: Annotated[uuid.UUID | None, Query(
        description="The cases that name this case as their related case (a group case's IJAM referrals); "
                    "empty when you may not read that case")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> CasePage:
    flt = cases.CaseFilter(case_type=case_type.value if case_type else None, state=state, tier=tier,
                           overdue=overdue, organisation=organisation, subject_id=subject_id,
                           related_case_id=related_case_id, q=q)
    page = await cases.list_page(session, principal, flt, limit=limit, after=after_time_id(cursor))
    return CasePage(items=await summaries(session, principal, page.items), next_cursor=next_cursor(page, time_id_key))


@router.get("/{case_id}", response_model=CaseOut, responses=PROBLEMS(401, 404, 422))
async def get_case(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, response: Response) -> CaseOut:
    return await _out(session, principal, await cases.get(session, principal, case_id), response)


@router.patch("/{case_id}", response_model=CaseOut, responses=PROBLEMS(401, 403, 404, 412, 413, 422, 428))
async def patch_case(case_id: uuid.UUID, body: CasePatch, session: SessionDep, principal: PrincipalDep,
                     response: Response, if_match: IfMatch = None) -> CaseOut:
    loaded = await cases.patch(session, principal, case_id, body, parse_if_match(if_match))
    return await _out(session, principal, loaded, response)


@router.get("/{case_id}/transitions", response_model=list[AvailableTransition], responses=PROBLEMS(401, 404, 422))
async def list_transitions(case_id: uuid.UUID, session: SessionDep,
                           principal: PrincipalDep) -> list[AvailableTransition]:
    return await case_transitions.available(session, principal, case_id)


@router.post("/{case_id}/transitions", response_model=CaseOut,
             responses=PROBLEMS(401, 403, 404, 409, 412, 413, 422, 428))
async def fire_transition(case_id: uuid.UUID, body: TransitionRequest, session: SessionDep, principal: PrincipalDep,
                          response: Response, if_match: IfMatch = None) -> CaseOut:
    loaded = await case_transitions.fire(session, principal, case_id, body, parse_if_match(if_match))
    return await _out(session, principal, loaded, response)


@router.get("/{case_id}/history", response_model=HistoryPage, responses=PROBLEMS(401, 403, 404, 422))
async def list_case_history(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                       limit: LimitQuery = 50, cursor: CursorQuery = None) -> HistoryPage:
    page = await history.listing(session, principal, case_id, limit=limit, after=after_version(cursor))
    return HistoryPage(items=page.items, next_cursor=next_cursor(page, version_key))


def _only_pseudonymised(value: bool) -> bool:
    if not value:
        raise ValueError("only the pseudonymised export is offered: pseudonymised=true")
    return value


# Required and only `true`: the identifying case is read through the case's own audited reads (GET the case, its
# notes, history, plan); a whole identifying copy leaving the system has no purpose the convenants name
# (README "Privacy: pseudonymised case export").
Pseudonymised = Annotated[bool, Query(
    description="Must be `true`: only the pseudonymised export is offered", json_schema_extra={"enum": [True]}),
    AfterValidator(_only_pseudonymised)]


@router.get("/{case_id}/export", response_model=CaseExport, responses=PROBLEMS(401, 403, 404, 422))
async def export_case(case_id: uuid.UUID, pseudonymised: Pseudonymised, session: SessionDep,
                      principal: PrincipalDep) -> CaseExport:
    """The case as the caller may read it, pseudonymised for the anonymised regional case review: subjects as
    `Persoon A`, `Adres 1`, `Groep 1` (the same in every text), free text scrubbed of identifiers, moments as days
    since the case was opened, no ids or references. `procesregisseur` of a participating organisation; audited
    as `case:export` naming the case and its subjects."""
    return await export.export(session, principal, case_id)


@router.post("/{case_id}/participants", status_code=status.HTTP_201_CREATED, response_model=ParticipantOut,
             responses=PROBLEMS(401, 403, 404, 409, 412, 413, 422, 428))
async def add_participant(case_id: uuid.UUID, body: ParticipantCreate, session: SessionDep, principal: PrincipalDep,
                          response: Response, if_match: IfMatch = None) -> ParticipantOut:
    """Invite an organisation (a party to a convenant covering the case type). Bumps the case version: the answer's
    `ETag` is the case's new one."""
    loaded, p = await participants.add(session, principal, case_id, body.organisation, parse_if_match(if_match))
    _etag(response, loaded.case.version)
    return ParticipantOut(organisation=p.organisation, basis=p.basis, added_at=p.added_at)


@router.post("/{case_id}/retention-extension", status_code=status.HTTP_201_CREATED,
             response_model=RetentionExtensionOut, responses=PROBLEMS(401, 403, 404, 409, 412, 413, 422, 428))
async def extend_retention(case_id: uuid.UUID, body: RetentionExtensionCreate, session: SessionDep,
                           principal: PrincipalDep, response: Response, if_match: IfMatch = None
                           ) -> RetentionExtensionOut:
    """Postpone the destruction of the case's personal data by `months` after its retention term (procesregisseur
    taking part; at most two extensions per case, a third is 409; a destroyed case 409). Bumps the case version:
    the answer's `ETag` is the case's new one."""
    loaded, ext, total = await retention.extend(session, principal, case_id, body.months, body.reason,
                                                parse_if_match(if_match))
    _etag(response, loaded.case.version)
    return RetentionExtensionOut(id=ext.id, case_id=ext.case_id, months=ext.months, reason=ext.reason,
                                 created_at=ext.created_at, created_by_organisation=ext.created_by_organisation,
                                 extension_months=total)


@router.get("/{case_id}/participants", response_model=ParticipantList, responses=PROBLEMS(401, 403, 404, 422))
async def list_participants(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ParticipantList:
    rows = await participants.listing(session, principal, case_id)
    return ParticipantList(items=[ParticipantOut(organisation=p.organisation, basis=p.basis,
                                                 added_at=p.added_at) for p in rows])


@router.delete("/{case_id}/participants/{organisation}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response, responses=PROBLEMS(401, 403, 404, 409, 412, 422, 428))
async def remove_participant(case_id: uuid.UUID, organisation: str, session: SessionDep, principal: PrincipalDep,
                             if_match: IfMatch = None) -> Response:
    """End an organisation's participation (not the opener's or the regie holder's). Bumps the case version: the
    answer's `ETag` is the case's new one."""
    loaded = await participants.remove(session, principal, case_id, organisation, parse_if_match(if_match))
    return Response(status_code=204, headers={"ETag": f'"{loaded.case.version}"'})


@router.post("/{case_id}/members", status_code=status.HTTP_201_CREATED, response_model=SubjectOut,
             responses=PROBLEMS(401, 403, 404, 409, 412, 413, 422, 428))
async def add_member(case_id: uuid.UUID, body: MemberIn, request: Request, session: SessionDep,
                     principal: PrincipalDep, response: Response, if_match: IfMatch = None) -> SubjectOut:
    """Add a person to the case's group (the jeugdgroep namenlijst) or household: a subject of the case, matchable
    with a BSN. Regie holder, with `identificatie`. Bumps the case version: the answer's `ETag` is the case's new
    one."""
    key = request.app.state.settings.effective_bsn_hash_key
    loaded, member = await members.add(session, principal, case_id, body, parse_if_match(if_match), bsn_key=key)
    _etag(response, loaded.case.version)  # no Location: a member is read on its case (GET /v1/cases/{id})
    return subject_views.show(member, identifying=True)


@router.delete("/{case_id}/members/{subject_id}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response, responses=PROBLEMS(401, 403, 404, 412, 422, 428))
async def remove_member(case_id: uuid.UUID, subject_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                        if_match: IfMatch = None) -> Response:
    """Take a person off the case's group or household (the subject stays for the audit trail). Bumps the case
    version: the answer's `ETag` is the case's new one."""
    loaded = await members.remove(session, principal, case_id, subject_id, parse_if_match(if_match))
    return Response(status_code=204, headers={"ETag": f'"{loaded.case.version}"'})


@router.post("/{case_id}/notes", status_code=status.HTTP_201_CREATED, response_model=NoteOut,
             responses=PROBLEMS(401, 403, 404, 413, 422))
async def add_note(case_id: uuid.UUID, body: NoteCreate, session: SessionDep, principal: PrincipalDep,
                   response: Response) -> NoteOut:
    note = NoteOut.model_validate(await notes.add(session, principal, case_id, body.category.value, body.text))
    # Notes are read in the case's list (there is no single-note resource): the location is that list.
    response.headers["Location"] = f"/v1/cases/{case_id}/notes"
    return note


@router.get("/{case_id}/notes", response_model=NotePage, responses=PROBLEMS(401, 403, 404, 422))
async def list_notes(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                     category: DataCategory | None = None, limit: LimitQuery = 50,
                     cursor: CursorQuery = None) -> NotePage:
    page = await notes.listing(session, principal, case_id, limit=limit, after=after_time_id(cursor),
                               category=category.value if category else None)
    return NotePage(items=[NoteOut.model_validate(n) for n in page.items], next_cursor=next_cursor(page, time_id_key))


@router.get("/{case_id}/plan", response_model=PlanOut, responses=PROBLEMS(401, 403, 404, 422))
async def get_plan(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                   version: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> PlanOut:
    return PlanOut.model_validate(await plans.get(session, principal, case_id, version))


@router.put("/{case_id}/plan", response_model=PlanOut, responses=PROBLEMS(401, 403, 404, 412, 413, 422, 428))
async def put_plan(case_id: uuid.UUID, body: PlanPut, session: SessionDep, principal: PrincipalDep,
                   response: Response, if_match: IfMatch = None) -> PlanOut:
    """A new plan version (the earlier ones stay readable). Bumps the case version: the answer's `ETag` is the
    case's new one."""
    loaded, plan = await plans.put(session, principal, case_id, body, parse_if_match(if_match))
    _etag(response, loaded.case.version)
    return PlanOut.model_validate(plan)


@router.get("/{case_id}/plan/versions", response_model=PlanVersions, responses=PROBLEMS(401, 403, 404, 422))
async def list_plan_versions(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> PlanVersions:
    return PlanVersions(items=[PlanOut.model_validate(p) for p in await plans.versions(session, principal, case_id)])


@router.patch("/{case_id}/plan/actions/{action_id}", response_model=PlanActionOut,
              responses=PROBLEMS(401, 403, 404, 409, 412, 413, 422, 428))
async def update_plan_action(case_id: uuid.UUID, action_id: uuid.UUID, body: PlanActionPatch, session: SessionDep,
                             principal: PrincipalDep, response: Response, if_match: IfMatch = None) -> PlanActionOut:
    """The owning organisation sets the status of its action in the current plan (the plan's author may too),
    without a new plan version; the change is kept on the action (`changes`). Bumps the case version: the answer's
    `ETag` is the case's new one. 409 for an action of an earlier plan version, a dropped (`vervallen`) action or
    a closed case."""
    loaded, action = await plan_actions.update(session, principal, case_id, action_id, body,
                                               parse_if_match(if_match))
    _etag(response, loaded.case.version)
    return PlanActionOut.model_validate(action)
