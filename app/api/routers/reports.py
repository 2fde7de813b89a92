"""Reports: the monitor indicators for the council (issue 18). Thin: parse, call the service, pick the format."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import PrincipalDep, SessionDep
from app.api.negotiation import CSV, JSON, wants_csv
from app.api.responses import PROBLEMS
from app.kit.moments import Day
from app.reports import csv_form
from app.reports import service as reports
from app.reports.schemas import MonitorReport
from app.vocabulary import ReportGrouping

router = APIRouter(prefix="/v1/reports", tags=["reports"])

_MONITOR: dict[int | str, dict[str, Any]] = {
    200: {"description": "The report as JSON, or with `Accept: text/csv` the same rows as CSV (one per figure and "
                         "one per breakdown cell)",
          "content": {CSV: {"schema": {"type": "string"}}}},
    **PROBLEMS(401, 403, 422),
}


@router.get("/monitor", response_model=MonitorReport, responses=_MONITOR)
async def get_monitor_report(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    from_: Annotated[Day, Query(alias="from", description="First day of the period, inclusive (YYYY-MM-DD, UTC)")],
    to: Annotated[Day, Query(description="Last day of the period, inclusive (YYYY-MM-DD, UTC); at most 3660 "
                                         "days after `from`")],
    group_by: Annotated[ReportGrouping | None, Query(
        description="`month`: every period figure per calendar month of the period")] = None,
) -> Any:
    """The monitor indicators of DOMAIN.md for the period, counted over all cases and signals: counts from 1 to
    4 are shown as "<5"; no personal data. Figures of the moment (`stagnaties`, `acties_over_termijn`) carry
    `as_of` instead of a period."""
    report = await reports.monitor(session, principal, from_, to, group_by,
                                   readers=request.app.state.db.read_sessionmaker)
    if wants_csv(request.headers.get("accept")):
        return Response(csv_form.render(report), media_type=f"{CSV}; charset=utf-8", headers={"Vary": "Accept"})
    return Response(report.model_dump_json(by_alias=True), media_type=JSON, headers={"Vary": "Accept"})
