"""The monitor report (issue 18): who may read it (app/access/reports.py), the figures for a period, optionally
per calendar month, and its audit entry. Definitions of every indicator: README "Monitor report".

Counted over every case and signal in the system; no personal data leaves: only counts and durations per case
type, state, tier, reason code and organisation, with small cells suppressed (app/reports/figures.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.kit import clock
from app.reports import figures as fig
from app.reports import periods, queries
from app.reports.schemas import MonitorReport
from app.vocabulary import Action, MonitorIndicator, ReportGrouping

M = MonitorIndicator


async def monitor(session: AsyncSession, principal: Principal, first: date, last: date,
                  grouping: ReportGrouping | None) -> MonitorReport:
    decision = access.require_report_reader(session, principal)
    whole = periods.period(first, last)
    parts = periods.split(whole, grouping)
    as_of = clock.now()
    table = queries.period_table(parts)

    figures = fig.Figures()
    for idx, n in (await queries.groups_in_view(session, table)).items():
        figures.tally(M.jeugdgroepen_in_beeld, idx).add(n)
    for idx, n in (await queries.members_in_view(session, table)).items():
        figures.tally(M.unieke_subjecten_in_beeld, idx).add(n)
    fig.add_steps(figures, await queries.steps(session, table))
    by_kind = {queries.CASES_TO_PGA: M.jeugd_opgeschaald_pga, queries.CASES_TAKEN_UP: M.woonoverlast_aangepakt,
               queries.CASES_CONTROLLED: M.beheersmaatregelen_ex_gedetineerden}
    for (idx, kind), n in (await queries.distinct_cases(session, table)).items():
        figures.tally(by_kind[kind], idx).add(n)
    fig.add_signals(figures, await queries.signals(session, table))
    figures.durations = await queries.durations(session, table)
    for case_type, n in (await queries.overdue_cases(session, as_of)).items():
        figures.tally(M.stagnaties, 0).add(n, case_type=case_type)
    for organisation, n in (await queries.overdue_actions(session, as_of.date())).items():
        figures.tally(M.acties_over_termijn, 0).add(n, organisation=organisation)

    audit.record(session, principal, Action.report_read, object_type=access.REPORT_OBJECT, role=decision.role,
                 detail={"from": first.isoformat(), "to": last.isoformat(),
                         "group_by": grouping.value if grouping else None})
    return MonitorReport(from_=first, to=last, group_by=grouping, as_of=as_of,
                         indicators=fig.build(figures, parts, as_of))
