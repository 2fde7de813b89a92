"""A convenant version that lets a party hold regie on ex_gedetineerde cases without `veiligheid` (the 18b
meldingen on its cases) says so in `warnings`, on every answer that shows the version; it does not stop it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.convenants.conftest import Create

ALL_BUT_VEILIGHEID = ["identificatie", "wonen", "zorg", "politie", "justitie"]


def party(org: str, categories: list[str]) -> dict[str, Any]:
    return {"organisation": org, "role": "kernpartner", "data_categories": categories}


def warning(org: str) -> dict[str, str]:
    return {"code": "regie_zonder_categorie", "case_type": "ex_gedetineerde", "organisation": org,
            "category": "veiligheid",
            "message": f"{org} may hold regie on ex_gedetineerde cases but is not granted veiligheid"}


@pytest.mark.parametrize(("case_types", "parties", "expected"), [
    # the ZVH holds regie at pga: without veiligheid, a warning; politie holds no rung of this ladder
    (["ex_gedetineerde"], [party("zvh-mh", ALL_BUT_VEILIGHEID), party("politie-limburg", ["politie"])],
     ["zvh-mh"]),
    (["ex_gedetineerde"], [party("zvh-mh", [*ALL_BUT_VEILIGHEID, "veiligheid"]), party("politie-limburg", ["politie"])],
     []),
    # other ladders ask nothing of their regie holder
    (["woonoverlast", "jeugdgroep"], [party("zvh-mh", ["identificatie"]), party("woonpunt", ["wonen"])], []),
])
async def test_warnings(create: Create, client: httpx.AsyncClient, admin: dict[str, str], case_types: list[str],
                        parties: list[dict[str, Any]], expected: list[str]) -> None:
    made = await create(case_types=case_types, parties=parties)
    assert made["warnings"] == [warning(o) for o in expected]
    activated = await client.post(f"/v1/convenants/{made['id']}/activate", headers=admin)
    assert activated.status_code == 200, activated.text  # a warning does not stop activation
    assert activated.json()["warnings"] == [warning(o) for o in expected]
    for path in (f"/v1/convenants/{made['id']}", f"/v1/convenants/{made['id']}/versions", "/v1/convenants"):
        body = (await client.get(path, headers=admin)).json()
        shown = body["items"] if "items" in body else [body]
        assert [v["warnings"] for v in shown] == [[warning(o) for o in expected]], path


async def test_a_new_version_granting_it_has_no_warning(create: Create, client: httpx.AsyncClient,
                                                        admin: dict[str, str]) -> None:
    made = await create(activate=True, case_types=["ex_gedetineerde"],
                        parties=[party("zvh-mh", ["identificatie"]), party("woonpunt", ["wonen"])])
    assert made["warnings"] == [warning("zvh-mh")]
    r = await client.patch(f"/v1/convenants/{made['id']}", headers=admin,
                           json={"parties": [party("zvh-mh", ["identificatie", "veiligheid"]),
                                             party("woonpunt", ["wonen"])]})
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["warnings"]) == (2, [])
