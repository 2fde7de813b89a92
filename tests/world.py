"""Build a small ZVH world through the API in a few lines: organisations, convenants, cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

ALL_CATEGORIES = ["identificatie", "wonen", "sociaal_domein", "onderwijs", "zorg", "politie", "justitie",
                  "veiligheid"]
CASE_TYPES = ["jeugdgroep", "woonoverlast", "ex_gedetineerde", "radicalisering", "ijam"]

ORGANISATIONS = {
    "zvh-mh": "zvh",
    "gemeente": "gemeente",
    "politie": "politie",
    "woonpunt": "woningcorporatie",
    "ggz": "ggz",
    "om": "om",
    "school": "onderwijs",
}

# Who sees what under the default convenant.
DEFAULT_PARTIES = {
    "zvh-mh": ALL_CATEGORIES,
    "gemeente": ["identificatie", "wonen", "sociaal_domein", "veiligheid"],
    "politie": ["identificatie", "wonen", "politie", "veiligheid"],
    "woonpunt": ["identificatie", "wonen"],
    "ggz": ["identificatie", "zorg"],
}

SUBJECTS = {
    "jeugdgroep": {"type": "groep", "name": "De Hangplek", "area": "Noordoost",
                   "members": [{"name": "Lid Een", "birth_date": "2008-01-01"}]},
    "woonoverlast": {"type": "adres", "postcode": "6211 ab", "house_number": "12",
                     "persons": [{"name": "Bewoner Een"}]},
    "ex_gedetineerde": {"type": "persoon", "name": "Persoon Een", "birth_date": "1990-05-05"},
    "radicalisering": {"type": "persoon", "name": "Persoon Twee", "birth_date": "1999-09-09"},
    "ijam": {"type": "persoon", "name": "Jongere Een", "birth_date": "2009-03-03"},
}


@dataclass
class World:
    client: httpx.AsyncClient
    auth: Any
    convenants: dict[str, str] = field(default_factory=dict)

    def h(self, org: str, *roles: str, sub: str | None = None) -> dict[str, str]:
        return self.auth(org, *roles, sub=sub)

    @property
    def beheerder(self) -> dict[str, str]:
        return self.auth("zvh-mh", "beheerder", sub="beheerder-1")

    @property
    def regisseur(self) -> dict[str, str]:
        return self.auth("zvh-mh", "procesregisseur", sub="regisseur-1")

    async def organisations(self, orgs: dict[str, str] | None = None) -> None:
        for code, kind in (orgs or ORGANISATIONS).items():
            r = await self.client.post("/v1/organisations", json={"code": code, "name": code.title(), "kind": kind},
                                       headers=self.beheerder)
            assert r.status_code == 201, r.text

    async def convenant(
        self, code: str = "pga", *, case_types: list[str] | None = None,
        parties: dict[str, list[str]] | None = None, valid_from: str = "2020-01-01",
        valid_until: str = "2099-12-31", activate: bool = True,
    ) -> str:
        body = {
            "code": code, "title": f"Convenant {code}", "case_types": case_types or CASE_TYPES,
            "purposes": ["voorkomen van escalatie en recidive"], "legal_basis": "Wgs - PGA complexe casuistiek",
            "valid_from": valid_from, "valid_until": valid_until, "retention_months": 24,
            "parties": [{"organisation": o, "role": "kernpartner" if o == "zvh-mh" else "casuspartner",
                         "data_categories": cats} for o, cats in (parties or DEFAULT_PARTIES).items()],
        }
        r = await self.client.post("/v1/convenants", json=body, headers=self.beheerder)
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        if activate:
            r = await self.client.post(f"/v1/convenants/{cid}/activate", headers=self.beheerder)
            assert r.status_code == 200, r.text
        self.convenants[code] = cid
        return cid

    async def setup(self) -> World:
        await self.organisations()
        await self.convenant()
        return self

    async def case(self, case_type: str = "ijam", *, headers: dict[str, str] | None = None,
                   participants: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
        body = {"case_type": case_type, "title": f"Casus {case_type}", "subjects": [SUBJECTS[case_type]], **extra}
        r = await self.client.post("/v1/cases", json=body, headers=headers or self.regisseur)
        assert r.status_code == 201, r.text
        case = r.json()
        # The level owner may take part already: opening brings it in (app/cases/level_owners.py).
        taking_part = {p["organisation"] for p in case["participants"]}
        for org in (o for o in participants if o not in taking_part):
            p = await self.client.post(f"/v1/cases/{case['id']}/participants", json={"organisation": org},
                                       headers=headers or self.regisseur)
            assert p.status_code == 201, p.text
        return case

    async def fire(self, case_id: str, trigger: str, data: dict[str, Any] | None = None, *,
                   headers: dict[str, str] | None = None, if_match: str | None = None) -> httpx.Response:
        h = dict(headers or self.regisseur)
        if if_match is not None:
            h["If-Match"] = if_match
        return await self.client.post(f"/v1/cases/{case_id}/transitions",
                                      json={"trigger": trigger, "reason": f"reden voor {trigger}", "data": data or {}},
                                      headers=h)
