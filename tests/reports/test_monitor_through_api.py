"""The monitor report over cases the app itself made and moved (POST /v1/cases, POST …/transitions at chosen
moments), not rows inserted by the generator: what the app writes for the report (the history, the stay each
step ends, the case's deadline) gives the figures the spec defines, computed independently from the history read
back from the database (tests/reports/generator.py dataset_from_database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from app.kit import clock
from tests.conftest import TokenFactory
from tests.reports.generator import dataset_from_database, differences, expected_report
from tests.world import World

PATH = "/v1/reports/monitor"
CRITERIA = {"a": True, "b": True, "c": True, "d": False}
WOONOVERLAST: list[tuple[str, dict[str, Any]]] = [
    ("triage_starten", {}),
    ("oppakken", {"ave_fase": 3, "regie_organisation": "woonpunt", "criteria": CRITERIA}),
    ("ave_fase_wijzigen", {"ave_fase": 2}),  # a self transition: no stay ends
    ("escaleren", {"escalatiereden": "oneenigheid"}),
    ("ave_fase_wijzigen", {"ave_fase": 4}),
    ("deescaleren", {}),
    ("afschalen", {}),
]
IJAM: list[tuple[str, dict[str, Any]]] = [
    ("opschalen", {}),
    ("opschalen", {}),
    ("opschalen", {"criteria": CRITERIA}),
    ("afschalen", {}),
    ("afsluiten", {"uitstroomreden": "verhuisd"}),
]
START = datetime(2025, 5, 2, 8, 0, 0, tzinfo=UTC)


async def _walk(world: World, case_type: str, steps: list[tuple[str, dict[str, Any]]], opened: datetime,
                spacing: timedelta, **extra: Any) -> None:
    with clock.frozen(opened):
        case = await world.case(case_type, **extra)
    at = opened
    for i, (trigger, data) in enumerate(steps):
        at += spacing * (i + 1)
        with clock.frozen(at):
            r = await world.fire(case["id"], trigger, data)
        assert r.status_code == 200, (trigger, r.text)


async def test_report_over_cases_moved_through_the_api(client: httpx.AsyncClient, auth: TokenFactory,
                                                       db_url: str) -> None:
    with clock.frozen(START - timedelta(days=1)):
        world = await World(client, auth).setup()
    for i in range(6):
        await _walk(world, "woonoverlast", WOONOVERLAST, START + timedelta(days=3 * i, minutes=17 * i),
                    timedelta(hours=9 + 7 * i))
    for i in range(5):
        await _walk(world, "ijam", IJAM, START + timedelta(days=2 * i, hours=5),
                    timedelta(hours=20 + 11 * i), initial_state="knooppunt_school")
    ds = await dataset_from_database(db_url)
    assert sum(len(c.transitions) for c in ds.cases) == 6 * (1 + len(WOONOVERLAST)) + 5 * (1 + len(IJAM))
    h = auth("gemeente", "bestuurder")
    for start, end, group_by in [(date(2025, 5, 1), date(2025, 7, 31), None),
                                 (date(2025, 5, 1), date(2025, 7, 31), "month")]:
        as_of = datetime(2025, 8, 1, 12, 0, 0, tzinfo=UTC)
        params = {"from": start.isoformat(), "to": end.isoformat()} | ({"group_by": group_by} if group_by else {})
        with clock.frozen(as_of):
            r = await client.get(PATH, params=params, headers=h)
        assert r.status_code == 200, r.text
        problems = differences(expected_report(ds, start, end, group_by, as_of), r.json())
        assert not problems, "\n".join(problems[:60])
    # Not vacuous: durations over five stays or more are shown.
    report = r.json()
    shown = [c for i in report["indicators"] if i["code"] == "doorlooptijd_mediaan_dagen" for c in i["breakdown"]
             if c["value"] is not None]
    assert len(shown) >= 4, shown
