"""A report's period: whole days in UTC, both ends inclusive, as the council report states them ("1 januari t/m
30 juni"); internally the half-open interval [from 00:00Z, the day after `to` 00:00Z). Split by calendar month
on request, the first and last month clipped to the period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.kit.errors import ValidationFailed
from app.vocabulary import ReportGrouping

# Ten years: a council term twice over and then some; beyond that a report is a data export, not a monitor.
MAX_SPAN_DAYS = 3660


@dataclass(frozen=True)
class Period:
    first: date  # inclusive
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)


def _invalid(field: str, msg: str) -> ValidationFailed:
    return ValidationFailed(f"Invalid period: {msg}", errors=[{"loc": ["query", field], "msg": msg}])


def period(first: date, last: date) -> Period:
    """The period from `first` to `last` inclusive, or a 422 naming the field at fault."""
    if first > last:
        raise _invalid("to", "must not be before from")
    if (last - first).days > MAX_SPAN_DAYS:
        raise _invalid("to", f"a period spans at most {MAX_SPAN_DAYS} days")
    if last >= date.max:
        raise _invalid("to", "must be before 9999-12-31")
    return Period(first, last)


def _month_after(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def split(whole: Period, grouping: ReportGrouping | None) -> list[Period]:
    """The periods the report gives each indicator for: the whole period, or its calendar months."""
    if grouping is None:
        return [whole]
    parts: list[Period] = []
    first = whole.first
    while first <= whole.last:
        following = _month_after(first)
        parts.append(Period(first, min(whole.last, following - timedelta(days=1))))
        first = following
    return parts
