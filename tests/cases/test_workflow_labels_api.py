"""GET /v1/workflows/{case_type} labels every code it uses (issue 16 items 3-4): each transition has its trigger's
Dutch label and a direction, and `vocabularies` labels every trigger and every code of the closed vocabularies, so
a portal needs no copy of DOMAIN.md. (Which codes each ladder's vocabularies hold: tests/workflows.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.vocabulary import Direction, Uitstroomreden
from tests.world import CASE_TYPES, World


@pytest.fixture
async def reader(client: httpx.AsyncClient, auth: Any) -> dict[str, str]:
    await World(client, auth).organisations()
    return auth("school", "medewerker")  # any role reads the ladders


@pytest.mark.parametrize("case_type", CASE_TYPES)
async def test_every_transition_and_code_is_labelled(client: httpx.AsyncClient, reader: dict[str, str],
                                                     case_type: str) -> None:
    r = await client.get(f"/v1/workflows/{case_type}", headers=reader)
    assert r.status_code == 200, r.text
    body = r.json()
    vocabularies = body["vocabularies"]
    assert {t["trigger"] for t in body["transitions"]} == set(vocabularies["trigger"])
    for t in body["transitions"]:
        assert t["label"] == vocabularies["trigger"][t["trigger"]] and t["label"].strip()
        assert t["direction"] in set(Direction)
        assert (t["direction"] == "close") == (t["to"] == "afgesloten" and t["from"] != "afgesloten")
    assert set(vocabularies["direction"]) == set(Direction)
    assert set(vocabularies["uitstroomreden"]) == set(Uitstroomreden)
    assert all(label.strip() for labels in vocabularies.values() for label in labels.values())
    # afsluiten from every open state, each a closing transition.
    open_states = {s["code"] for s in body["states"] if s["code"] != "afgesloten"}
    assert {t["from"] for t in body["transitions"] if t["trigger"] == "afsluiten"} == open_states
