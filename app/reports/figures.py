"""From the aggregate rows of app/reports/queries.py to the report's figures: ladder data names the steps
(which escalate, de-escalate, on which tier), totals are summed before anything is suppressed, and every count
from 1 to 4 becomes "<5" (durations behind 1 to 4 stays are withheld).

Cells are only those with a count above 0. There is no secondary suppression: where a total and all but one of
its cells are shown, the remaining cell can be worked out; the threshold keeps every shown cell at 5 or more
events, which is what the municipality's reports publish (README "Monitor report").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.reports import queries
from app.reports.indicators import INDICATORS
from app.reports.periods import Period
from app.reports.queries import Durations, StepCount
from app.reports.schemas import SUPPRESSED, Count, MonitorCell, MonitorFigure
from app.vocabulary import CaseType, Direction, MonitorIndicator
from app.workflows.engine import get_engine
from app.workflows.model import FINAL_STATE

M = MonitorIndicator
THRESHOLD = 5
DIMENSIONS = ("case_type", "state", "tier", "direction", "reason", "uitstroomreden", "organisation")


def shown(n: int) -> Count:
    return SUPPRESSED if 0 < n < THRESHOLD else n


@dataclass
class Tally:
    """Counts of one indicator in one period: the total and the cells by their dimensions."""

    total: int = 0
    cells: dict[tuple[tuple[str, Any], ...], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, n: int, **dims: Any) -> None:
        self.total += n
        if dims:
            self.cells[tuple(sorted(dims.items()))] += n


def _cell_order(cell: MonitorCell) -> tuple[Any, ...]:
    # Nulls first, then the values as text (tiers as numbers).
    key: list[Any] = []
    for name in DIMENSIONS:
        value = getattr(cell, name)
        key.append((0, 0, "") if value is None else (1, value, "") if name == "tier" else (1, 0, str(value)))
    return tuple(key)


def _count_figure(tally: Tally) -> tuple[Count, list[MonitorCell]]:
    cells = [MonitorCell(**dict(dims), value=shown(n)) for dims, n in tally.cells.items() if n > 0]
    return shown(tally.total), sorted(cells, key=_cell_order)


@dataclass(frozen=True)
class Step:
    """What a counted transition is, by its ladder."""

    direction: Direction | None
    tier: int | None


def _step(row: StepCount) -> Step:
    engine = get_engine()
    if row.case_type not in engine.case_types or row.from_state is None:
        return Step(None, None)
    tdef = engine.transition(row.case_type, row.from_state, row.trigger)
    if tdef is None:
        return Step(None, None)
    ladder = engine.ladder(row.case_type)
    tier = next((s.tier for s in ladder.states if s.code == row.to_state), None)
    return Step(tdef.direction, tier)


@dataclass
class Figures:
    """Everything the queries found, per indicator and period index (the now-figures under index 0)."""

    tallies: dict[tuple[MonitorIndicator, int], Tally] = field(default_factory=lambda: defaultdict(Tally))
    durations: list[Durations] = field(default_factory=list)

    def tally(self, code: MonitorIndicator, idx: int) -> Tally:
        return self.tallies[(code, idx)]


def add_steps(figures: Figures, rows: Iterable[StepCount]) -> None:
    for row in rows:
        if row.trigger == queries.PLAN_ADOPTED and row.case_type == CaseType.jeugdgroep:
            figures.tally(M.plannen_van_aanpak_jeugdgroepen, row.idx).add(row.count)
        if row.to_state == FINAL_STATE and row.from_state != FINAL_STATE:
            figures.tally(M.uitstroom, row.idx).add(row.count, case_type=row.case_type,
                                                    uitstroomreden=row.uitstroomreden)
        step = _step(row)
        if step.direction in (Direction.up, Direction.down):
            figures.tally(M.escalaties, row.idx).add(row.count, case_type=row.case_type, direction=step.direction,
                                                     tier=step.tier, reason=row.reason)
        if step.direction == Direction.up and row.case_type == CaseType.woonoverlast:
            figures.tally(M.ave_escalaties, row.idx).add(row.count, state=row.to_state, reason=row.reason)


def add_signals(figures: Figures, rows: Iterable[tuple[int, str, str, int]]) -> None:
    for idx, hint, source, n in rows:
        figures.tally(M.signalen_per_bron, idx).add(n, organisation=source)
        if hint == CaseType.radicalisering:
            figures.tally(M.signalen_radicalisering, idx).add(n)


def _duration_cells(rows: list[Durations], idx: int, pick: str) -> list[MonitorCell]:
    cells = [MonitorCell(case_type=CaseType(d.case_type), state=d.state, count=shown(d.stays),
                         value=round(getattr(d, pick), 1) if d.stays >= THRESHOLD else None)
             for d in rows if d.idx == idx and d.stays > 0]
    return sorted(cells, key=_cell_order)


def build(figures: Figures, periods: list[Period], as_of: datetime) -> list[MonitorFigure]:
    """Every indicator in report order, each for every period (the now-figures once)."""
    out: list[MonitorFigure] = []
    for ind in INDICATORS:
        common: dict[str, Any] = {"code": ind.code, "label": ind.label, "unit": ind.unit}
        if ind.now:
            value, cells = _count_figure(figures.tally(ind.code, 0))
            out.append(MonitorFigure(**common, as_of=as_of, value=value, breakdown=cells))
            continue
        for idx, period in enumerate(periods):
            when: dict[str, Any] = {"from_": period.first, "to": period.last}
            if ind.code in (M.doorlooptijd_mediaan_dagen, M.doorlooptijd_p90_dagen):
                pick = "median" if ind.code == M.doorlooptijd_mediaan_dagen else "p90"
                out.append(MonitorFigure(**common, **when, value=None,
                                         breakdown=_duration_cells(figures.durations, idx, pick)))
            else:
                value, cells = _count_figure(figures.tally(ind.code, idx))
                out.append(MonitorFigure(**common, **when, value=value, breakdown=cells))
    return out
