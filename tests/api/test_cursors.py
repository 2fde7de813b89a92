"""Every list validates its cursor with one codec: a cursor of another list, or one tampered with, is a 422
naming `cursor`, never a 500 (issue 12, finding 10: a KeyError on `key["code"]` answered 500)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.world import World


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


FOREIGN = [
    _cursor({"t": "2026-01-01T00:00:00+00:00", "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}),  # a case list's
    _cursor({"code": "zvh-mh"}),  # an organisation list's
    _cursor({"seq": 5}),  # the audit log's
    _cursor({"code": 5}),
    _cursor({"code": None}),
    _cursor({"t": "not a time", "id": "x"}),
    _cursor({"seq": True}),
    _cursor([1, 2]),
    "%%%not-base64%%%",
]

def _keys(cursor: str) -> set[str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return set()
    return set(value) if isinstance(value, dict) else set()


# list -> (role that may read it, the cursor of its own shape that is valid)
LISTS = {
    "/v1/organisations": ("beheerder", _cursor({"code": "zvh-mh"})),
    "/v1/convenants": ("beheerder", _cursor({"code": "pga"})),
    "/v1/cases": ("procesregisseur", _cursor({"t": "2026-01-01T00:00:00+00:00",
                                              "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"})),
    "/v1/signals": ("procesregisseur", _cursor({"t": "2026-01-01T00:00:00+00:00",
                                                "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"})),
    "/v1/audit": ("auditor", _cursor({"seq": 5})),
}


@pytest.mark.parametrize("path", list(LISTS))
async def test_foreign_and_tampered_cursors_are_422(client: httpx.AsyncClient, auth: Any, path: str) -> None:
    world = await World(client, auth).setup()
    role, own = LISTS[path]
    headers = world.h("zvh-mh", role)
    assert (await client.get(path, params={"cursor": own}, headers=headers)).status_code == 200
    for cursor in FOREIGN:
        if _keys(cursor) == _keys(own) and cursor in FOREIGN[:3]:
            continue  # the same shape, with valid values (an organisation's code is a valid convenant cursor)
        r = await client.get(path, params={"cursor": cursor}, headers=headers)
        assert r.status_code == 422, (path, cursor, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"] == [{"loc": ["query", "cursor"], "msg": "invalid cursor"}]
