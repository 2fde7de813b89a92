"""The monitor report's period (REPORTS-SPEC.md "Period"): what is refused with a 422 naming the field, and what
works (a one-day period, the longest period, a period with nothing in it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.kit import clock
from tests.conftest import TokenFactory
from tests.reports.generator import INDICATOR_CODES
from tests.world import World

PATH = "/v1/reports/monitor"
VIEWER = ("gemeente-mh", "bestuurder")
NOW_INDICATORS = {"stagnaties", "acties_over_termijn"}

# (name, query, the fields of which one must be named)
REFUSED: list[tuple[str, dict[str, str], set[str]]] = [
    ("from-missing", {"to": "2026-01-31"}, {"from"}),
    ("to-missing", {"from": "2026-01-01"}, {"to"}),
    ("both-missing", {}, {"from", "to"}),
    ("from-month-13", {"from": "2026-13-01", "to": "2026-12-31"}, {"from"}),
    ("to-month-13", {"from": "2026-01-01", "to": "2026-13-01"}, {"to"}),
    ("from-epoch-seconds", {"from": "1700000000", "to": "2026-12-31"}, {"from"}),
    ("to-epoch-seconds", {"from": "2026-01-01", "to": "1700000000"}, {"to"}),
    ("from-february-30", {"from": "2026-02-30", "to": "2026-03-31"}, {"from"}),
    ("from-datetime", {"from": "2026-01-01T00:00:00Z", "to": "2026-03-31"}, {"from"}),
    ("from-empty", {"from": "", "to": "2026-03-31"}, {"from"}),
    ("from-after-to", {"from": "2026-03-02", "to": "2026-03-01"}, {"from", "to"}),
    ("longer-than-3660-days", {"from": "2016-01-01", "to": (date(2016, 1, 1) + timedelta(days=3661)).isoformat()},
     {"from", "to"}),
    ("group-by-week", {"from": "2026-01-01", "to": "2026-03-31", "group_by": "week"}, {"group_by"}),
    ("group-by-empty", {"from": "2026-01-01", "to": "2026-03-31", "group_by": ""}, {"group_by"}),
    ("unknown-parameter", {"from": "2026-01-01", "to": "2026-03-31", "case_type": "ijam"}, {"case_type"}),
]


@pytest.fixture
async def viewer(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, str]:
    await World(client, auth).organisations({"zvh-mh": "zvh", "gemeente-mh": "gemeente"})
    return auth(*VIEWER)


def _named(body: dict[str, Any]) -> set[str]:
    return {str(part) for err in body.get("errors", []) for part in err.get("loc", [])}


@pytest.mark.parametrize(("query", "fields"), [(q, f) for _, q, f in REFUSED], ids=[n for n, _, _ in REFUSED])
async def test_bad_period_is_422_naming_the_field(client: httpx.AsyncClient, viewer: dict[str, str],
                                                  query: dict[str, str], fields: set[str]) -> None:
    r = await client.get(PATH, params=query, headers=viewer)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 422
    assert all({"loc", "msg"} <= set(err) for err in body["errors"]), body
    assert _named(body) & fields, f"none of {sorted(fields)} named in {body['errors']}"


async def test_longest_period_works(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    start = date(2016, 1, 1)
    r = await client.get(PATH, params={"from": start.isoformat(), "to": (start + timedelta(days=3660)).isoformat()},
                         headers=viewer)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("group_by", [None, "month"])
async def test_one_day_period(client: httpx.AsyncClient, viewer: dict[str, str], group_by: str | None) -> None:
    params = {"from": "2026-02-10", "to": "2026-02-10"} | ({"group_by": group_by} if group_by else {})
    r = await client.get(PATH, params=params, headers=viewer)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["from"], report["to"], report["group_by"]) == ("2026-02-10", "2026-02-10", group_by)
    # One period: each indicator exactly once, in the spec's order.
    assert [i["code"] for i in report["indicators"]] == list(INDICATOR_CODES)
    for ind in report["indicators"]:
        if ind["code"] in NOW_INDICATORS:
            assert (ind["from"], ind["to"]) == (None, None) and ind["as_of"] == report["as_of"]
        else:
            assert (ind["from"], ind["to"], ind["as_of"]) == ("2026-02-10", "2026-02-10", None)


async def test_future_period_gives_zeros(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    with clock.frozen(datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)):
        r = await client.get(PATH, params={"from": "2027-01-01", "to": "2027-03-31", "group_by": "month"},
                             headers=viewer)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["as_of"] == "2026-12-03T10:00:00Z"
    months = [("2027-01-01", "2027-01-31"), ("2027-02-01", "2027-02-28"), ("2027-03-01", "2027-03-31")]
    expected_order = [(code, m) for code in INDICATOR_CODES if code not in NOW_INDICATORS for m in months]
    got_order = [(i["code"], (i["from"], i["to"])) for i in report["indicators"] if i["code"] not in NOW_INDICATORS]
    assert got_order == expected_order
    assert [i["code"] for i in report["indicators"][-2:]] == ["stagnaties", "acties_over_termijn"]
    for ind in report["indicators"]:
        assert ind["breakdown"] == [], ind
        assert ind["value"] == (None if ind["unit"] == "dagen" else 0), ind


@pytest.mark.parametrize("query", [
    {"from": "9999-12-01", "to": "9999-12-31"},
    {"from": "9999-12-01", "to": "9999-12-31", "group_by": "month"},
    {"from": "0001-01-01", "to": "0001-01-31"},
], ids=["last-day-of-9999", "last-month-of-9999-by-month", "year-1"])
async def test_extreme_days_are_no_server_error(client: httpx.AsyncClient, viewer: dict[str, str],
                                                query: dict[str, str]) -> None:
    """The period's end is (to + 1 day) 00:00Z: for 9999-12-31 that day does not exist. Whatever the answer, it is
    not a 500: a report (every figure zero) or a 422 naming the field."""
    r = await client.get(PATH, params=query, headers=viewer)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert _named(r.json()) & {"from", "to"}, r.text


async def test_group_by_is_case_sensitive(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    r = await client.get(PATH, params={"from": "2026-01-01", "to": "2026-01-31", "group_by": "Month"},
                         headers=viewer)
    assert r.status_code == 422, r.text
    assert "group_by" in _named(r.json())
