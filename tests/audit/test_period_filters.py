"""GET /v1/audit?from=&to=: exactly the entries with from <= created_at < to, no more and no fewer.

Four entries are written a few milliseconds apart; the windows are cut at their own timestamps (and one
microsecond after), so that each bound's inclusiveness and direction shows in which entries come back.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.audit_helpers import drain_staging

US = timedelta(microseconds=1)


async def _entries(client: httpx.AsyncClient, auth: Any, **params: str) -> list[dict[str, Any]]:
    r = await client.get("/v1/audit", params={"limit": 200, **params}, headers=auth("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return r.json()["items"]


@pytest.fixture
async def four(client: httpx.AsyncClient, auth: Any, db_url: str) -> list[tuple[int, datetime]]:
    """(seq, created_at) of four organisation:create entries, oldest first, each at its own moment."""
    for i in range(4):
        body = {"code": f"org-{i}", "name": f"Organisatie {i}", "kind": "overig"}
        r = await client.post("/v1/organisations", json=body, headers=auth("zvh-mh", "beheerder"))
        assert r.status_code == 201, r.text
        await asyncio.sleep(0.005)
    await drain_staging(db_url)  # chained, as the chainer does within a second on PostgreSQL
    items = await _entries(client, auth, action="organisation:create")
    out = sorted((e["seq"], datetime.fromisoformat(e["created_at"])) for e in items)
    assert [seq for seq, _ in out] == [1, 2, 3, 4]
    assert all(a[1] < b[1] for a, b in itertools.pairwise(out)), out
    return out


def _q(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# (from, to) as (entry index, offset) or None, and the entries (indexes into `four`) that must come back.
WINDOWS: list[tuple[str, tuple[int, timedelta] | None, tuple[int, timedelta] | None, list[int]]] = [
    ("no bounds", None, None, [0, 1, 2, 3]),
    ("from an entry's own moment includes it", (1, 0 * US), None, [1, 2, 3]),
    ("from just after an entry excludes it", (1, US), None, [2, 3]),
    ("from just before an entry includes it", (1, -US), None, [1, 2, 3]),
    ("from after the last", (3, US), None, []),
    ("to an entry's own moment excludes it", None, (2, 0 * US), [0, 1]),
    ("to just after an entry includes it", None, (2, US), [0, 1, 2]),
    ("to the first entry's moment", None, (0, 0 * US), []),
    ("from and to", (1, 0 * US), (3, 0 * US), [1, 2]),
    ("from and to around one entry", (2, 0 * US), (2, US), [2]),
    ("empty window at an entry", (2, 0 * US), (2, 0 * US), []),
    ("inverted window", (3, 0 * US), (1, 0 * US), []),
]


@pytest.mark.parametrize(("name", "lower", "upper", "expected"), WINDOWS, ids=[w[0] for w in WINDOWS])
async def test_a_window_returns_exactly_its_entries(
    client: httpx.AsyncClient, auth: Any, four: list[tuple[int, datetime]], name: str,
    lower: tuple[int, timedelta] | None, upper: tuple[int, timedelta] | None, expected: list[int]
) -> None:
    params = {}
    if lower is not None:
        params["from"] = _q(four[lower[0]][1] + lower[1])
    if upper is not None:
        params["to"] = _q(four[upper[0]][1] + upper[1])
    got = [e["seq"] for e in await _entries(client, auth, action="organisation:create", **params)]
    assert got == [four[i][0] for i in reversed(expected)]  # newest first


async def test_window_without_other_filters_holds_only_the_entries_inside(
    client: httpx.AsyncClient, auth: Any, four: list[tuple[int, datetime]]
) -> None:
    # The auditor's own reads are logged after the fourth entry: a window ending at it leaves them out,
    # a window starting after it holds nothing but them.
    inside = await _entries(client, auth, **{"from": _q(four[0][1]), "to": _q(four[3][1] + US)})
    assert [e["seq"] for e in inside] == [4, 3, 2, 1]
    after = await _entries(client, auth, **{"from": _q(four[3][1] + US)})
    assert after and {e["action"] for e in after} == {"audit:read"}
    assert all(not e["chained"] or e["seq"] > 4 for e in after)  # staged ones are newer still


async def test_a_bound_with_another_utc_offset_is_the_same_moment(
    client: httpx.AsyncClient, auth: Any, four: list[tuple[int, datetime]]
) -> None:
    plus_two = four[1][1].astimezone(timezone(timedelta(hours=2))).isoformat()
    assert plus_two.endswith("+02:00")
    got = [e["seq"] for e in await _entries(client, auth, action="organisation:create", **{"from": plus_two})]
    assert got == [4, 3, 2]
    minus_five = four[2][1].astimezone(timezone(timedelta(hours=-5))).isoformat()
    got = [e["seq"] for e in await _entries(client, auth, action="organisation:create", to=minus_five)]
    assert got == [2, 1]
