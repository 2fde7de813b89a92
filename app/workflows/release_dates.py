"""Dates around a release from detention (ex_gedetineerde), as the deployment configures them.

The voorbereiding terugkeer starts a number of days before the expected release (Zorg na detentie: the
gemeente prepares identity papers, housing, income and insurance in the last months of detention), so the state
`in_detentie` has no fixed length: its deadline is that many days before `verwachte_invrijheidstelling`. A
screened release date must be plausible: not further ahead than `max_ahead_days` (a date years away is a typing
error or a sentence whose aftercare starts later) and not further back than `max_past_days` (someone already
released is registered with `invrijheidstelling`). Set at process start from the settings
(CASUSREGIE_RETURN_PREPARATION_DAYS, CASUSREGIE_RELEASE_DATE_MAX_AHEAD_DAYS, CASUSREGIE_RELEASE_DATE_MAX_PAST_DAYS);
the defaults hold where nothing configures them (tools, tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.config import Settings
from app.kit import clock


@dataclass(frozen=True)
class ReleaseDateRules:
    preparation_days: int = 90
    max_ahead_days: int = 5 * 365 + 1
    max_past_days: int = 14

    def due_before_release(self, release: date, entered: datetime) -> datetime:
        """When the preparation is due: `preparation_days` before the release, at the start of that day (UTC);
        a release nearer than that makes it due at once (the preparation should have started)."""
        due = datetime.combine(release - timedelta(days=self.preparation_days), time(0), tzinfo=UTC)
        return max(due, entered)

    def implausible(self, release: date) -> str | None:
        """Why `release` is no plausible expected release date today, or None."""
        today = clock.today()
        if release > today + timedelta(days=self.max_ahead_days):
            return f"lies more than {self.max_ahead_days} days ahead"
        if release < today - timedelta(days=self.max_past_days):
            return f"lies more than {self.max_past_days} days in the past (register a release with invrijheidstelling)"
        return None


_rules = ReleaseDateRules()


def configure(settings: Settings) -> None:
    """Set when a process starts (serve, worker), like the events' source."""
    global _rules
    _rules = ReleaseDateRules(preparation_days=settings.return_preparation_days,
                              max_ahead_days=settings.release_date_max_ahead_days,
                              max_past_days=settings.release_date_max_past_days)


def current() -> ReleaseDateRules:
    return _rules
