"""A convenant's validity period on the case list path: valid_from and valid_until are both days of validity.

The grants path (GET /v1/cases/{id}) and the list filter (GET /v1/cases, one SQL predicate) each decide
"is this convenant valid today"; both are checked here on the day before valid_from, the first valid day,
the last valid day and the day after valid_until, each at the first and the last moment of that day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from app.kit import clock
from tests.world import ALL_CATEGORIES, World

X = "woonpunt"
VALID_FROM, VALID_UNTIL = "2030-03-01", "2030-06-30"

# (moment the request is made, whether X sees the case under its convenant valid VALID_FROM..VALID_UNTIL)
MOMENTS: list[tuple[datetime, bool]] = [
    (datetime(2030, 2, 28, 0, 0, 0, tzinfo=UTC), False),
    (datetime(2030, 2, 28, 23, 59, 59, 999999, tzinfo=UTC), False),  # the day before valid_from
    (datetime(2030, 3, 1, 0, 0, 0, tzinfo=UTC), True),  # the first valid day
    (datetime(2030, 3, 1, 23, 59, 59, 999999, tzinfo=UTC), True),
    (datetime(2030, 4, 15, 12, 0, 0, tzinfo=UTC), True),
    (datetime(2030, 6, 30, 0, 0, 0, tzinfo=UTC), True),  # the last valid day
    (datetime(2030, 6, 30, 23, 59, 59, 999999, tzinfo=UTC), True),
    (datetime(2030, 7, 1, 0, 0, 0, tzinfo=UTC), False),  # the day after valid_until
    (datetime(2030, 7, 1, 23, 59, 59, 999999, tzinfo=UTC), False),
]


async def _listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[str]:
    r = await client.get("/v1/cases", params={"limit": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return {c["id"] for c in r.json()["items"]}


async def test_case_list_and_case_read_on_the_days_around_the_validity_period(
    client: httpx.AsyncClient, auth: Any
) -> None:
    world = World(client, auth)
    with clock.frozen(datetime(2030, 4, 1, 12, 0, tzinfo=UTC)):
        await world.organisations()
        # The ZVH opens the case under a convenant valid throughout; X takes part under C_x alone.
        await world.convenant("c-main", parties={"zvh-mh": ALL_CATEGORIES, "gemeente": ["identificatie"]})
        await world.convenant("c-x", case_types=["ijam"], parties={"zvh-mh": ["identificatie"],
                                                                   X: ["identificatie", "wonen"]},
                              valid_from=VALID_FROM, valid_until=VALID_UNTIL)
        case = await world.case("ijam", participants=(X,))
    cid = case["id"]
    reader = auth(X, "medewerker", sub=f"medewerker@{X}")
    mismatches = []
    for moment, visible in MOMENTS:
        with clock.frozen(moment):
            listed = await _listed(client, reader)
            by_type = await _listed(client, reader, case_type="ijam")
            read = (await client.get(f"/v1/cases/{cid}", headers=reader)).status_code
            # The ZVH's own view does not change: what changes for X is C_x's validity alone.
            opener = await _listed(client, world.regisseur)
        got = (listed, by_type, read, opener)
        want = ({cid} if visible else set(), {cid} if visible else set(), 200 if visible else 404, {cid})
        if got != want:
            mismatches.append(f"{moment.isoformat()}: expected {want}, got {got}")
    assert not mismatches, "\n".join(mismatches)
