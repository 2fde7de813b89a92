"""Meetings (issue 15 item 1): app/meetings decides and records, app/access/meetings.py says who sees what."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, status

from app.api.deps import IF_MATCH_PATTERN, PrincipalDep, SessionDep
from app.api.negotiation import JSON, MARKDOWN, wants_markdown
from app.api.pagination import CursorQuery, LimitQuery, after_time_id, next_cursor, time_id_key
from app.api.responses import PROBLEMS
from app.meetings import decisions, service, views
from app.meetings.loading import parse_if_match
from app.meetings.models import Meeting
from app.meetings.schemas import (
    AgendaItemCreate,
    AgendaItemOut,
    Besluitenlijst,
    DecisionCreate,
    DecisionOut,
    MeetingCreate,
    MeetingOut,
    MeetingPage,
    MeetingPatch,
)
from app.vocabulary import MeetingStatus, MeetingType

router = APIRouter(prefix="/v1/meetings", tags=["meetings"])

IfMatch = Annotated[str | None, Header(
    alias="If-Match", pattern=IF_MATCH_PATTERN,
    description='ETag of the meeting as returned in `ETag`: `"<version>"` (or `*`); a stale version gives 412')]


def _etag(response: Response, meeting: Meeting) -> None:
    response.headers["ETag"] = f'"{meeting.version}"'


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeetingOut,
             responses=PROBLEMS(401, 403, 413, 422))
async def create_meeting(body: MeetingCreate, session: SessionDep, principal: PrincipalDep,
                         response: Response) -> MeetingOut:
    """Plan a meeting (procesregisseur): your organisation organises it and, unless another is named, chairs it."""
    meeting = await service.create(session, principal, body)
    response.headers["Location"] = f"/v1/meetings/{meeting.id}"
    _etag(response, meeting)
    return views.meeting_out(meeting, views.Agenda(items=[]))


@router.get("", response_model=MeetingPage, responses=PROBLEMS(401, 403, 422))
async def list_meetings(session: SessionDep, principal: PrincipalDep, meeting_type: MeetingType | None = None,
                        status: MeetingStatus | None = None, limit: LimitQuery = 50,
                        cursor: CursorQuery = None) -> MeetingPage:
    """The meetings your organisation chairs, organised or is invited to (without their agendas)."""
    page = await service.list_page(session, principal, meeting_type=meeting_type, status=status, limit=limit,
                                   after=after_time_id(cursor))
    return MeetingPage(items=[views.summary(m) for m in page.items], next_cursor=next_cursor(page, time_id_key))


@router.get("/{meeting_id}", response_model=MeetingOut, responses=PROBLEMS(401, 403, 404, 422))
async def get_meeting(meeting_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                      response: Response) -> MeetingOut:
    """The meeting with the agenda items of the cases you may read, and their decisions (text withheld where its
    data category is not covered for you)."""
    meeting, shown = await service.get(session, principal, meeting_id)
    _etag(response, meeting)
    return views.meeting_out(meeting, shown)


@router.patch("/{meeting_id}", response_model=MeetingOut, responses=PROBLEMS(401, 403, 404, 409, 412, 413, 422, 428))
async def patch_meeting(meeting_id: uuid.UUID, body: MeetingPatch, session: SessionDep, principal: PrincipalDep,
                        response: Response, if_match: IfMatch = None) -> MeetingOut:
    """Change the meeting or move it on (`status`: gehouden, then vastgesteld). A vastgesteld meeting: 409."""
    meeting, shown = await service.patch(session, principal, meeting_id, body, parse_if_match(if_match))
    _etag(response, meeting)
    return views.meeting_out(meeting, shown)


@router.post("/{meeting_id}/agenda", status_code=status.HTTP_201_CREATED, response_model=AgendaItemOut,
             responses=PROBLEMS(401, 403, 404, 409, 413, 422))
async def add_agenda_item(meeting_id: uuid.UUID, body: AgendaItemCreate, session: SessionDep,
                          principal: PrincipalDep, response: Response) -> AgendaItemOut:
    """Put a case (one you may read) on the agenda. Bumps the meeting version: the answer's `ETag` is its new one."""
    meeting, item, reference, case_type = await service.add_item(session, principal, meeting_id, body)
    _etag(response, meeting)
    response.headers["Location"] = f"/v1/meetings/{meeting.id}"
    return AgendaItemOut(id=item.id, case_id=item.case_id, case_reference=reference, case_type=case_type,
                         position=item.position, question=item.question, decisions=[])


@router.post("/{meeting_id}/agenda/{item_id}/decisions", status_code=status.HTTP_201_CREATED,
             response_model=DecisionOut, responses=PROBLEMS(401, 403, 404, 409, 412, 413, 422))
async def add_decision(meeting_id: uuid.UUID, item_id: uuid.UUID, body: DecisionCreate, session: SessionDep,
                       principal: PrincipalDep, response: Response) -> DecisionOut:
    """Record a decision on an agenda item; with `trigger` it moves the case (as POST /v1/cases/{id}/transitions,
    409/403/422/412 alike, and then nothing is recorded), with `actions` it adds them to the case's plan. On a
    vastgesteld meeting only a correction (`corrects`) is taken. The answer's `ETag` is the meeting's new one."""
    meeting, record, categories = await decisions.decide(session, principal, meeting_id, item_id, body)
    _etag(response, meeting)
    response.headers["Location"] = f"/v1/meetings/{meeting.id}/besluitenlijst"
    return views.decision_out(record, categories)


_BESLUITENLIJST: dict[int | str, dict[str, Any]] = {
    200: {"description": "The besluitenlijst as JSON, or as a Markdown document with `Accept: text/markdown`",
          "content": {MARKDOWN: {"schema": {"type": "string"}}}},
    **PROBLEMS(401, 403, 404, 422),
}


@router.get("/{meeting_id}/besluitenlijst", response_model=Besluitenlijst, responses=_BESLUITENLIJST)
async def get_besluitenlijst(meeting_id: uuid.UUID, request: Request, session: SessionDep,
                             principal: PrincipalDep) -> Any:
    """The decisions per agenda item, of the cases you may read, for the minutes."""
    meeting, shown = await service.besluitenlijst(session, principal, meeting_id)
    lijst = views.besluitenlijst(meeting, shown)
    if wants_markdown(request.headers.get("accept")):
        return Response(views.render_markdown(lijst), media_type=f"{MARKDOWN}; charset=utf-8",
                        headers={"Vary": "Accept"})
    return Response(lijst.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})
