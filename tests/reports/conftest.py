"""Fixtures of the monitor report tests: the generated dataset in the test's database, and a report request."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest

from app.kit import clock
from tests.reports.generator import Dataset, generate, insert

# A seed whose dataset gives every indicator cells on both sides of the suppression threshold over the requests
# below (tests/reports/test_monitor_figures.py asserts that it does, so the tests cannot pass vacuously).
SEED = 34
PATH = "/v1/reports/monitor"
VIEWER = ("gemeente-mh", "bestuurder")


@functools.cache
def dataset() -> Dataset:
    return generate(random.Random(SEED))


@dataclass(frozen=True)
class ReportRequest:
    name: str
    start: date
    end: date
    group_by: str | None
    as_of: datetime

    @property
    def params(self) -> dict[str, str]:
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.group_by is not None:
            params["group_by"] = self.group_by
        return params


A = datetime(2026, 3, 20, 10, 0, 0, tzinfo=UTC)
B = datetime(2026, 4, 2, 8, 30, 0, tzinfo=UTC)
REQUESTS = (
    # Before and at the start of the data, by month: zeros, small counts; a clock before most deadlines.
    ReportRequest("early-months", date(2024, 12, 1), date(2025, 2, 15), "month", datetime(2025, 1, 5, tzinfo=UTC)),
    ReportRequest("second-half-2025", date(2025, 7, 1), date(2025, 12, 31), None, A),
    ReportRequest("second-half-2025-months", date(2025, 7, 1), date(2025, 12, 31), "month", A),
    # Months clipped to the period at both ends.
    ReportRequest("2026-clipped-months", date(2026, 1, 15), date(2026, 3, 10), "month", B),
    # After the data: no events; the groups still open are still in beeld.
    ReportRequest("future", date(2026, 6, 1), date(2026, 6, 30), None, B),
)


@pytest.fixture
async def seeded(db_url: str) -> Dataset:
    ds = dataset()
    await insert(ds, db_url)
    return ds


async def get_report(client: httpx.AsyncClient, headers: dict[str, str], request: ReportRequest,
                     accept: str = "application/json") -> httpx.Response:
    with clock.frozen(request.as_of):
        return await client.get(PATH, params=request.params, headers=headers | {"Accept": accept})
