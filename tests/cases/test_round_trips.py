"""SQL round trips per request, pinned: a read, a transition, a list page or a signal must not grow them.

Counted as the statements the app sends to the database (`before_cursor_execute`), after one warm-up
request of the same kind (verified tokens and organisation kinds are cached per process). SQLite sends
one statement more per request than PostgreSQL: its `BEGIN IMMEDIATE` (PostgreSQL's BEGIN goes with the
first statement). A change that adds a round trip fails here; one that removes one updates the numbers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import event

from tests.conftest import IS_PG
from tests.world import World

# request -> statements on PostgreSQL, where the audit entries are one INSERT into the staging table (issue 11;
# three fewer than the chain-head lock, entry, subjects and head update of issue 10's inline chaining)
EXPECTED = {
    # case with participants and subjects joined, grants; the staged audit entry
    "GET /v1/cases/{id}": 3,
    "POST /v1/cases/{id}/transitions": 7,
    "GET /v1/cases (first page)": 2,
    "GET /v1/cases (next page)": 2,
    "GET /v1/cases/{id}/notes": 4,
    "POST /v1/signals": 5,
}
# SQLite chains inline (head, entry, subjects, head update instead of one staged insert) and sends its
# `BEGIN IMMEDIATE`: four more, but for a list page, whose entry names no subjects (three more).
SQLITE_EXTRA = {name: 3 if name.startswith("GET /v1/cases (") else 4 for name in EXPECTED}


async def _count(app: Any, call: Callable[[], Awaitable[httpx.Response]], status: int) -> list[str]:
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = await call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert response.status_code == status, response.text
    return sent


async def test_round_trips_per_request(app: Any, world: World) -> None:
    client = world.client
    cases = [await world.case("ijam", initial_state="netwerkoverleg") for _ in range(3)]
    case_id = cases[0]["id"]
    melder = world.h("politie", "melder")
    signal = {"case_type_hint": "woonoverlast", "category": "wonen", "description": "overlast",
              "subject": {"type": "adres", "postcode": "6211AB", "house_number": "12"}}
    page = (await client.get("/v1/cases", params={"limit": 1}, headers=world.regisseur)).json()
    ups = iter(["opschalen", "afschalen"] * 4)
    requests: dict[str, tuple[Callable[[], Awaitable[httpx.Response]], int]] = {
        "GET /v1/cases/{id}": (lambda: client.get(f"/v1/cases/{case_id}", headers=world.regisseur), 200),
        "POST /v1/cases/{id}/transitions": (lambda: world.fire(case_id, next(ups)), 200),
        "GET /v1/cases (first page)": (lambda: client.get("/v1/cases", params={"limit": 1},
                                                          headers=world.regisseur), 200),
        "GET /v1/cases (next page)": (lambda: client.get("/v1/cases", headers=world.regisseur,
                                                         params={"limit": 1, "cursor": page["next_cursor"]}), 200),
        "GET /v1/cases/{id}/notes": (lambda: client.get(f"/v1/cases/{case_id}/notes", headers=world.regisseur), 200),
        "POST /v1/signals": (lambda: client.post("/v1/signals", json=signal,
                                                 headers=melder | {"Idempotency-Key": str(uuid.uuid4())}), 201),
    }
    counted: dict[str, int] = {}
    for name, (call, status) in requests.items():
        await _count(app, call, status)  # warm-up
        counted[name] = len(await _count(app, call, status))
    assert counted == {name: n + (0 if IS_PG else SQLITE_EXTRA[name]) for name, n in EXPECTED.items()}
