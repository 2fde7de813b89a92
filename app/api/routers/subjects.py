"""Data-subject requests (AVG art. 15, Wgs contactpunt): find a person, who accessed their data, everything held
on them. The care and safety house's auditor only (app/access/subjects.py); README "Privacy: data-subject
requests"."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from app.api.deps import PrincipalDep, SessionDep
from app.api.negotiation import JSON, prefers
from app.api.pagination import CursorQuery, LimitQuery, after_audit_position, next_cursor
from app.api.responses import PROBLEMS
from app.api.routers.audit import MAX_SEQ
from app.audit.reading import position_after
from app.subjects import export as subject_export
from app.subjects import rights
from app.subjects.schemas import AccessLogEntry, AccessLogPage, SubjectExport, SubjectSearch, SubjectSearchResult

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])

CSV = "text/csv"
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@router.post("/search", response_model=SubjectSearchResult, responses=PROBLEMS(401, 403, 413, 422))
async def search_subjects(body: SubjectSearch, request: Request, session: SessionDep,
                          principal: PrincipalDep) -> SubjectSearchResult:
    """Find a person for a data-subject request: by `bsn` (hashed with the server key to look it up, never stored
    or audited), or by `name` with `birth_date` (exactly as recorded). Answers the person subject rows with the ids
    of their cases and signals; the audit entry names the rows found, never the BSN or the name."""
    key = str(request.app.state.settings.effective_bsn_hash_key)
    return SubjectSearchResult(items=await rights.search(session, principal, body, bsn_key=key))


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(items: list[AccessLogEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    fields = list(AccessLogEntry.model_fields)
    writer.writerow(fields)
    for item in items:
        writer.writerow([_cell(getattr(item, f)) for f in fields])
    return out.getvalue()


_ACCESS_LOG: dict[int | str, dict[str, Any]] = {
    200: {"description": "The accesses as JSON, or the same rows as CSV with `Accept: text/csv` (the next page in "
                         "the `Link` header, rel=\"next\")",
          "content": {CSV: {"schema": {"type": "string"}}}},
    **PROBLEMS(401, 403, 404, 422),
}


@router.get("/{subject_id}/access-log", response_model=AccessLogPage, responses=_ACCESS_LOG)
async def get_subject_access_log(subject_id: uuid.UUID, request: Request, session: SessionDep,
                                 principal: PrincipalDep, limit: LimitQuery = 50, cursor: CursorQuery = None) -> Any:
    """Who accessed this person's data ("wie heeft mijn gegevens ingezien"), for every partner: every audit entry
    naming any subject row of the same person, newest first, with organisation, role, action, outcome, the
    convenant used as legal basis and the toelichting. Entries not yet chained come first."""
    page = await rights.access_log(session, principal, subject_id, limit=limit,
                                   after=after_audit_position(cursor, MAX_SEQ))
    items = [AccessLogEntry(id=e.id, created_at=e.created_at, organisation=e.actor_org, role=e.actor_role,
                            action=e.action, object_type=e.object_type, case_id=e.case_id, outcome=e.outcome,
                            convenant_id=e.convenant_id, convenant_version=e.convenant_version,
                            legal_basis=e.legal_basis, toelichting=e.toelichting, chained=e.chained)
             for e in page.items]
    following = next_cursor(page, position_after)
    if prefers(request.headers.get("accept"), CSV):
        headers = {"Vary": "Accept"}
        if following is not None:
            headers["Link"] = f'<{request.url.include_query_params(cursor=following)}>; rel="next"'
        return Response(render_csv(items), media_type=f"{CSV}; charset=utf-8", headers=headers)
    return Response(AccessLogPage(items=items, next_cursor=following).model_dump_json(), media_type=JSON,
                    headers={"Vary": "Accept"})


@router.get("/{subject_id}/export", response_model=SubjectExport, responses=PROBLEMS(401, 403, 404, 422))
async def export_subject(subject_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> SubjectExport:
    """Everything held on this person, over every subject row of the same person: the rows, their cases (state,
    history, notes, plans, decisions) and signals, each labelled with its source organisation; nothing of a case's,
    household's or group's other subjects."""
    return await subject_export.export(session, principal, subject_id)
