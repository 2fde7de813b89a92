"""SQL round trips per request, pinned: a read, a transition, a list page or a signal must not grow them.

Counted after one warm-up request of the same kind (verified tokens and organisation kinds are cached per
process): the statements the app sends (`before_cursor_execute`) and, on PostgreSQL, the transaction round
trips asyncpg makes (its `BEGIN` and `COMMIT`/`ROLLBACK`, counted where asyncpg sends them). SQLite's
`BEGIN IMMEDIATE` is a statement; its COMMIT is not counted (no network round trip). A change that adds a
round trip fails here; one that removes one updates the numbers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from asyncpg.transaction import Transaction
from sqlalchemy import event

from tests.conftest import IS_PG
from tests.world import World

# request -> round trips on PostgreSQL (issue 11). Writes: the audit entries are one INSERT into the staging
# table (not the chain-head lock, entry, subjects and head update of inline chaining), plus BEGIN and COMMIT.
# Reads: no transaction (autocommit), the audit entries staged by a group write (app/audit/staging_writer.py).
EXPECTED = {
    # the case with participants, subjects, participation and convenant epoch in one statement (the grants come
    # from the per-process cache while the epoch stands); the staged audit entry
    "GET /v1/cases/{id}": 2,
    # BEGIN, case FOR UPDATE, then the case with participants, subjects, participation and epoch (read after the
    # lock), then the case UPDATE, the transition INSERT, the outbox event and the staged entry as one statement
    # (data-modifying CTEs: app/kit/deferred_writes.py), COMMIT
    "POST /v1/cases/{id}/transitions": 5,
    "GET /v1/cases (first page)": 2,
    "GET /v1/cases (next page)": 2,
    "GET /v1/cases/{id}/notes": 3,
    "POST /v1/signals": 7,
    # issue 15 item 4: the melder's view of its signal, with the case side of its status and the feedback outer-
    # joined into the signal's one statement; its list page one statement too; a case's signals: the case (as
    # every case read), the page, the staged entry. (Derived from the SQLite counts, which have the same
    # statements plus the inline chaining's four, as GET /v1/cases/{id} and its notes do.)
    "GET /v1/signals/{id} (melder)": 2,
    "GET /v1/signals (melder)": 2,
    "GET /v1/cases/{id}/signals": 3,
}
# SQLite: every request a unit of work, chained inline (head, entry, subjects, head update instead of one
# staged insert), with its `BEGIN IMMEDIATE` and no counted COMMIT; the deferred writes one by one, the outbox
# event among them (a call into the embedded library, not a trip over the network).
SQLITE = {
    "GET /v1/cases/{id}": 6,
    "POST /v1/cases/{id}/transitions": 10,
    "GET /v1/cases (first page)": 5,
    "GET /v1/cases (next page)": 5,
    "GET /v1/cases/{id}/notes": 7,
    "POST /v1/signals": 10,
    "GET /v1/signals/{id} (melder)": 6,
    "GET /v1/signals (melder)": 6,
    "GET /v1/cases/{id}/signals": 7,
}


async def _count(app: Any, call: Callable[[], Awaitable[httpx.Response]], status: int) -> list[str]:
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    def counting(name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(name)
            return await method(self, *args, **kwargs)
        return wrapped

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    originals = {name: getattr(Transaction, name) for name in ("start", "commit", "rollback")}
    for name, method in originals.items():
        setattr(Transaction, name, counting(name.upper(), method))
    try:
        response = await call()
    finally:
        for name, method in originals.items():
            setattr(Transaction, name, method)
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
    mine = (await client.post("/v1/signals", json=signal, headers=melder | {"Idempotency-Key": "mine"})).json()["id"]
    triaged = await client.post(f"/v1/signals/{mine}/triage", headers=world.regisseur,
                                json={"decision": "nieuwe_casus", "case_type": "woonoverlast", "reason": "x"})
    for message in ("een", "twee"):
        r = await client.post(f"/v1/signals/{mine}/feedback", json={"message": message}, headers=world.regisseur)
        assert r.status_code == 201, r.text
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
        "GET /v1/signals/{id} (melder)": (lambda: client.get(f"/v1/signals/{mine}", headers=melder), 200),
        "GET /v1/signals (melder)": (lambda: client.get("/v1/signals", params={"limit": 5}, headers=melder), 200),
        "GET /v1/cases/{id}/signals": (lambda: client.get(f"/v1/cases/{triaged.json()['case_id']}/signals",
                                                          headers=world.regisseur), 200),
    }
    counted: dict[str, int] = {}
    for name, (call, status) in requests.items():
        await _count(app, call, status)  # warm-up
        counted[name] = len(await _count(app, call, status))
    assert counted == (EXPECTED if IS_PG else SQLITE)
