"""The monitor report (issue 18): who may read it (app/access/reports.py), the figures for a period, optionally
per calendar month, and its audit entry. Definitions of every indicator: README "Monitor report".

Counted over every case and signal in the system; no personal data leaves: only counts and durations per case
type, state, tier, reason code and organisation, with small cells suppressed (app/reports/figures.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.kit import clock
from app.reports import figures as fig
from app.reports import periods, queries
from app.reports.schemas import MonitorReport
from app.vocabulary import Action, MonitorIndicator, ReportGrouping

M = MonitorIndicator
Readers = async_sessionmaker[AsyncSession]
Job = Callable[[AsyncSession], Awaitable[Any]]


# Statements run at once (PostgreSQL): the two cores of a small database host are both busy, and more would take
# connections from the requests the pool serves.
PARALLEL_STATEMENTS = 3


async def _run(session: AsyncSession, readers: Readers | None, jobs: list[Job]) -> list[Any]:
    """Each job's statement: on PostgreSQL up to PARALLEL_STATEMENTS at once, each on a read session of its own
    (reads run without a transaction, so each statement sees its own snapshot either way); on SQLite, whose one
    connection serialises everything, one after the other on the request's session."""
    if readers is None:
        return [await job(session) for job in jobs]
    gate = asyncio.Semaphore(PARALLEL_STATEMENTS)

    async def alone(job: Job) -> Any:
        async with gate, readers() as own:
            return await job(own)

    try:
        async with asyncio.TaskGroup() as group:  # one failing statement cancels the others
            tasks = [group.create_task(alone(job)) for job in jobs]
    except ExceptionGroup as failed:
        # As a single statement would have raised it: the API maps a database outage to 503, not the group to 500.
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


async def monitor(session: AsyncSession, principal: Principal, first: date, last: date,
                  grouping: ReportGrouping | None, *, readers: Readers | None = None) -> MonitorReport:
    """The report for first..last (both inclusive); `readers`: read sessions for statements at once (PostgreSQL)."""
    decision = access.require_report_reader(session, principal)
    whole = periods.period(first, last)
    parts = periods.split(whole, grouping)
    as_of = clock.now()
    table = queries.period_table(parts)

    # The longest statements first, so that the short ones fill in beside them.
    (durations, steps, members, groups, cases, signals, overdue_cases, overdue_actions) = await _run(
        session, readers, [
            lambda s: queries.durations(s, table),
            lambda s: queries.steps(s, table),
            lambda s: queries.members_in_view(s, table),
            lambda s: queries.groups_in_view(s, table),
            lambda s: queries.distinct_cases(s, table),
            lambda s: queries.signals(s, table),
            lambda s: queries.overdue_cases(s, as_of),
            lambda s: queries.overdue_actions(s, as_of.date()),
        ])

    figures = fig.Figures()
    for idx, n in groups.items():
        figures.tally(M.jeugdgroepen_in_beeld, idx).add(n)
    for idx, n in members.items():
        figures.tally(M.unieke_subjecten_in_beeld, idx).add(n)
    fig.add_steps(figures, steps)
    by_kind = {queries.CASES_TO_PGA: M.jeugd_opgeschaald_pga, queries.CASES_TAKEN_UP: M.woonoverlast_aangepakt,
               queries.CASES_CONTROLLED: M.beheersmaatregelen_ex_gedetineerden}
    for (idx, kind), n in cases.items():
        figures.tally(by_kind[kind], idx).add(n)
    fig.add_signals(figures, signals)
    figures.durations = durations
    for case_type, n in overdue_cases.items():
        figures.tally(M.stagnaties, 0).add(n, case_type=case_type)
    for organisation, n in overdue_actions.items():
        figures.tally(M.acties_over_termijn, 0).add(n, organisation=organisation)

    audit.record(session, principal, Action.report_read, object_type=access.REPORT_OBJECT, role=decision.role,
                 detail={"from": first.isoformat(), "to": last.isoformat(),
                         "group_by": grouping.value if grouping else None})
    return MonitorReport(from_=first, to=last, group_by=grouping, as_of=as_of,
                         indicators=fig.build(figures, parts, as_of))
