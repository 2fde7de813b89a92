"""The monitor report's SQL: eight statements, each grouping in the database so that only aggregate rows (a few
hundred at most) come back, never the cases or transitions themselves.

Every period figure joins its events to `report_period` (one row per reported period: the whole period, or each
month) on the event's moment, so a monthly report costs the same statements as a single period. Which ladder
transition escalates or closes is ladder data (app/workflows), so the transitions are grouped by (case type,
trigger, from state, to state, reason) here and named by their ladder in app/reports/figures.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    Date,
    Float,
    Integer,
    String,
    and_,
    case,
    distinct,
    except_,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.cases.models import Case, CasePlan, CasePlanAction, CaseSubject, CaseTransition
from app.kit.database import UtcDateTime
from app.kit.intervals import days_between
from app.reports.periods import Period
from app.signals.models import Signal
from app.subjects.models import Subject
from app.vocabulary import UNFINISHED_ACTION_STATUSES, CaseType, Direction, SubjectType
from app.workflows.engine import get_engine
from app.workflows.fields import ESCALATION_REASON_KEY, OUTFLOW_REASON_KEY
from app.workflows.model import FINAL_STATE

T = CaseTransition
PLAN_ADOPTED = "plan_vaststellen"
TAKEN_UP = "oppakken"
CONTROL_MEASURE = "beheersmaatregel_registreren"
PGA = "pga"
# Distinct-case counts, by what the transition did (jeugd_opgeschaald_pga, woonoverlast_aangepakt,
# beheersmaatregelen_ex_gedetineerden).
CASES_TO_PGA, CASES_TAKEN_UP, CASES_CONTROLLED = "pga", "oppakken", "beheersmaatregel"


def period_table(periods: list[Period]) -> CTE:
    """`report_period` (idx, p_start, p_end): the reported periods as rows, half-open [p_start, p_end)."""
    rows = [select(literal(i, Integer()).label("idx"), literal(p.start, UtcDateTime()).label("p_start"),
                   literal(p.end, UtcDateTime()).label("p_end")) for i, p in enumerate(periods)]
    return (rows[0] if len(rows) == 1 else union_all(*rows)).cte("report_period")


def _during(moment: Any, periods: CTE) -> Any:
    return and_(moment >= periods.c.p_start, moment < periods.c.p_end)


def _in_view(periods: CTE) -> Any:
    """(idx, case_id) of the jeugdgroep cases open at some moment of each period: opened before its end and not
    closed throughout it. Closed throughout = its last step before the start closed it and no step falls in the
    period: closed now, since before the start (`closed_at`, set on closing and cleared by heropenen), or
    reopened only after the period's end by a step whose stay in afgesloten began before its start. Written as a
    difference of two joins so that neither is a subquery per case and period."""
    open_at_some_time = (
        select(periods.c.idx, Case.id.label("case_id")).select_from(periods)
        .join(Case, and_(Case.case_type == CaseType.jeugdgroep, Case.created_at < periods.c.p_end,
                         or_(Case.closed_at.is_(None), Case.closed_at >= periods.c.p_start))))
    reopened = aliased(CaseTransition)
    closed_throughout = (
        select(periods.c.idx, reopened.case_id).select_from(periods)
        .join(reopened, and_(reopened.from_state == FINAL_STATE, reopened.from_state_entered_at < periods.c.p_start,
                             reopened.created_at >= periods.c.p_end)))
    return except_(open_at_some_time, closed_throughout).subquery("in_view")


async def groups_in_view(session: AsyncSession, periods: CTE) -> dict[int, int]:
    in_view = _in_view(periods)
    stmt = select(in_view.c.idx, func.count()).group_by(in_view.c.idx)
    return {idx: n for idx, n in (await session.execute(stmt)).all()}


async def members_in_view(session: AsyncSession, periods: CTE) -> dict[int, int]:
    """The distinct persons linked to the groups in view (the group subject itself is no person)."""
    in_view = _in_view(periods)
    # Persons are the subjects that are no group or address: those few are hashed once, instead of looking up
    # the type of every linked subject.
    not_a_person = select(Subject.id).where(Subject.type != SubjectType.persoon)
    stmt = (select(in_view.c.idx, func.count(distinct(CaseSubject.subject_id))).select_from(in_view)
            .join(CaseSubject, CaseSubject.case_id == in_view.c.case_id)
            .where(CaseSubject.subject_id.not_in(not_a_person))
            .group_by(in_view.c.idx))
    return {idx: n for idx, n in (await session.execute(stmt)).all()}


@dataclass(frozen=True)
class StepCount:
    idx: int
    case_type: str
    trigger: str
    from_state: str | None
    to_state: str
    reason: str | None
    uitstroomreden: str | None
    count: int


@functools.cache  # ladder data: fixed for the process, not worked out again per report
def _counted_triggers() -> tuple[str, ...]:
    """Triggers that escalate or de-escalate somewhere, and adopting a plan: the steps some figure counts."""
    engine = get_engine()
    moving = {t.trigger for ct in engine.case_types for t in engine.ladder(ct).transitions
              if t.direction in ("up", "down")}
    return tuple(sorted(moving | {PLAN_ADOPTED}))


async def steps(session: AsyncSession, periods: CTE) -> list[StepCount]:
    """Transitions in each period that escalate, de-escalate, close or adopt a plan, grouped with their reason
    codes (the only transition data a report reads: codes, never text)."""
    reason = T.data[ESCALATION_REASON_KEY].as_string()
    outflow = T.data[OUTFLOW_REASON_KEY].as_string()
    closes = and_(T.to_state == FINAL_STATE, or_(T.from_state.is_(None), T.from_state != FINAL_STATE))
    stmt = (select(periods.c.idx, Case.case_type, T.trigger, T.from_state, T.to_state, reason, outflow, func.count())
            .select_from(T).join(Case, Case.id == T.case_id).join(periods, _during(T.created_at, periods))
            .where(or_(T.trigger.in_(_counted_triggers()), closes))
            .group_by(periods.c.idx, Case.case_type, T.trigger, T.from_state, T.to_state, reason, outflow))
    return [StepCount(idx, str(ct), trig, src, dst, rsn, out, n)
            for idx, ct, trig, src, dst, rsn, out, n in (await session.execute(stmt)).all()]


@functools.cache
def _escalations_into_pga() -> tuple[tuple[str, str], ...]:
    """(trigger, from state) of the IJAM steps that escalate into the PGA: opened there, or reopened there, a case
    was not "opgeschaald" (its ladder's direction says which steps are escalations)."""
    return tuple(sorted((t.trigger, t.source) for t in get_engine().ladder(CaseType.ijam).transitions
                        if t.dest == PGA and t.direction == Direction.up))


async def distinct_cases(session: AsyncSession, periods: CTE) -> dict[tuple[int, str], int]:
    """Per period, the distinct cases escalated to the PGA (IJAM), taken up (AVE oppakken), or given a control
    measure (ex-gedetineerde): a case that did it twice counts once."""
    kind = case(
        (and_(Case.case_type == CaseType.ijam, tuple_(T.trigger, T.from_state).in_(_escalations_into_pga())),
         literal(CASES_TO_PGA, String())),
        (and_(Case.case_type == CaseType.woonoverlast, T.trigger == TAKEN_UP), literal(CASES_TAKEN_UP, String())),
        (and_(Case.case_type == CaseType.ex_gedetineerde, T.trigger == CONTROL_MEASURE),
         literal(CASES_CONTROLLED, String())),
        else_=null(),
    ).label("kind")
    counted = (select(periods.c.idx, T.case_id, kind).select_from(T).join(Case, Case.id == T.case_id)
               .join(periods, _during(T.created_at, periods))
               # By trigger alone, so that the (trigger, created_at) index finds the few steps concerned.
               .where(T.trigger.in_(sorted({t for t, _ in _escalations_into_pga()} | {TAKEN_UP, CONTROL_MEASURE})))
               .subquery("counted"))
    stmt = (select(counted.c.idx, counted.c.kind, func.count(distinct(counted.c.case_id)))
            .where(counted.c.kind.is_not(None)).group_by(counted.c.idx, counted.c.kind))
    return {(idx, kind_): n for idx, kind_, n in (await session.execute(stmt)).all()}


async def signals(session: AsyncSession, periods: CTE) -> list[tuple[int, str, str, int]]:
    """(period, case type hint, source organisation, count) of the signals received in each period."""
    stmt = (select(periods.c.idx, Signal.case_type_hint, Signal.source_organisation, func.count())
            .select_from(Signal).join(periods, _during(Signal.created_at, periods))
            .group_by(periods.c.idx, Signal.case_type_hint, Signal.source_organisation))
    return [(idx, str(hint), org, n) for idx, hint, org, n in (await session.execute(stmt)).all()]


@dataclass(frozen=True)
class Durations:
    idx: int
    case_type: str
    state: str
    stays: int
    median: float
    p90: float


def _percentile(ranked: Any, tenths: int) -> Any:
    """Percentile tenths/10 with linear interpolation between the closest ranks (PostgreSQL's percentile_cont,
    numpy's default) from window ranks, for SQLite: position h = p(n-1) from 0,
    v[floor h] + (h - floor h)(v[floor h + 1] - v[floor h])."""
    scaled = tenths * (ranked.c.n - 1)
    low = scaled // 10
    frac = (scaled % 10) * literal(0.1, Float())
    return func.sum(case((ranked.c.rn == low, ranked.c.days * (literal(1.0, Float()) - frac)),
                         (ranked.c.rn == low + 1, ranked.c.days * frac), else_=literal(0.0, Float())))


async def durations(session: AsyncSession, periods: CTE) -> list[Durations]:
    """Per period, case type and state: the stays in the state that ended in the period (from the step into the
    state to the next step that changed the state, which records when the stay began; self transitions change
    none), their number, median and p90 in days. PostgreSQL sorts each group once in an ordered-set aggregate;
    SQLite, which has none, ranks the stays with window functions (the same figures: tests on both)."""
    stays = (select(periods.c.idx, Case.case_type, T.from_state.label("state"),
                    days_between(T.from_state_entered_at, T.created_at).label("days"))
             .select_from(T).join(Case, Case.id == T.case_id).join(periods, _during(T.created_at, periods))
             .where(T.from_state.is_not(None), T.from_state != T.to_state, T.from_state_entered_at.is_not(None))
             .subquery("stay"))
    group = (stays.c.idx, stays.c.case_type, stays.c.state)
    if session.get_bind().dialect.name == "postgresql":
        both = func.percentile_cont(pg_array([literal(0.5, Float()), literal(0.9, Float())])).within_group(
            stays.c.days)
        stmt = select(*group, func.count(), both).group_by(*group)
        return [Durations(idx, str(ct), state, n, float(pct[0]), float(pct[1]))
                for idx, ct, state, n, pct in (await session.execute(stmt)).all()]
    ranked = select(*group, stays.c.days,
                    (func.row_number().over(partition_by=group, order_by=stays.c.days) - 1).label("rn"),
                    func.count().over(partition_by=group).label("n")).subquery("ranked")
    stmt = (select(ranked.c.idx, ranked.c.case_type, ranked.c.state, func.max(ranked.c.n), _percentile(ranked, 5),
                   _percentile(ranked, 9)).group_by(ranked.c.idx, ranked.c.case_type, ranked.c.state))
    return [Durations(idx, str(ct), state, n, float(median), float(p90))
            for idx, ct, state, n, median, p90 in (await session.execute(stmt)).all()]


async def overdue_cases(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Open cases past their state's deadline now, per case type."""
    stmt = (select(Case.case_type, func.count())
            .where(Case.closed_at.is_(None), Case.due_at < literal(now, UtcDateTime()))
            .group_by(Case.case_type))
    return {str(ct): n for ct, n in (await session.execute(stmt)).all()}


async def overdue_actions(session: AsyncSession, today: date) -> dict[str, int]:
    """Unfinished actions past their due date in the current plan of every open case, per owning organisation."""
    # The current version of every case's plan, grouped once (not looked up per action).
    latest = (select(CasePlan.case_id, func.max(CasePlan.version).label("version"))
              .group_by(CasePlan.case_id).subquery("latest_plan"))
    stmt = (select(CasePlanAction.organisation, func.count())
            .join(CasePlan, CasePlan.id == CasePlanAction.plan_id)
            .join(latest, and_(latest.c.case_id == CasePlan.case_id, latest.c.version == CasePlan.version))
            .join(Case, Case.id == CasePlan.case_id)
            .where(Case.closed_at.is_(None), CasePlanAction.due_date < literal(today, Date()),
                   CasePlanAction.status.in_(sorted(UNFINISHED_ACTION_STATUSES)))
            .group_by(CasePlanAction.organisation))
    return {org: n for org, n in (await session.execute(stmt)).all()}
