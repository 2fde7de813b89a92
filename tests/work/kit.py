"""A world for plan-action and work-list tests: one case, a plan whose actions two partners own, and the four
organisation situations of the access matrix (the owner, another participating partner, a convenant party that
does not take part, the regie holder)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from app.kit import clock
from tests.world import ALL_CATEGORIES, World

SITUATIONS = ("owner", "other", "outsider", "regie")
# Partner organisations, and municipal ones standing in the same situations for the roles only municipal (and ZVH)
# staff may hold (policies/roles.yaml organisation_kinds: procesregisseur, bestuurder).
PARTNERS = {"owner": ("woonpunt", "woningcorporatie"), "other": ("politie", "politie"),
            "outsider": ("ggz", "ggz"), "regie": ("school", "onderwijs")}
MUNICIPAL = {"owner": ("gemeente-o", "gemeente"), "other": ("gemeente-p", "gemeente"),
             "outsider": ("gemeente-n", "gemeente"), "regie": ("gemeente-r", "gemeente")}
MUNICIPAL_ROLES = {"procesregisseur", "bestuurder"}


@dataclass
class PlanWorld:
    world: World
    orgs: dict[str, str]  # situation -> organisation code
    case: dict[str, Any]
    plan: dict[str, Any]

    @property
    def client(self) -> httpx.AsyncClient:
        return self.world.client

    def action_of(self, situation: str) -> dict[str, Any]:
        (action,) = [a for a in self.plan["actions"] if a["organisation"] == self.orgs[situation]]
        return action

    def action_path(self, situation: str = "owner") -> str:
        return f"/v1/cases/{self.case['id']}/plan/actions/{self.action_of(situation)['id']}"


def orgs_for(role: str) -> dict[str, str]:
    return {s: code for s, (code, _) in (MUNICIPAL if role in MUNICIPAL_ROLES else PARTNERS).items()}


async def plan_world(client: httpx.AsyncClient, auth: Any, role: str = "medewerker") -> PlanWorld:
    world = World(client, auth)
    table = MUNICIPAL if role in MUNICIPAL_ROLES else PARTNERS
    await world.organisations({"zvh-mh": "zvh", **dict(table.values())})
    await world.convenant(parties={"zvh-mh": ALL_CATEGORIES} | {code: ["identificatie", "onderwijs"]
                                                                for code, _ in table.values()})
    orgs = {s: code for s, (code, _) in table.items()}
    # Opened at the school's tier with the regie holder named (it keeps it: no state is entered).
    case = await world.case("ijam", initial_state="knooppunt_school", regie_organisation=orgs["regie"],
                            participants=(orgs["owner"], orgs["other"]))
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    plan = {"summary": "Plan", "actions": [
        {"description": "Huisbezoek", "organisation": orgs["owner"], "due_date": yesterday},
        {"description": "Gesprek op school", "organisation": orgs["other"]}]}
    r = await client.put(f"/v1/cases/{case['id']}/plan", json=plan, headers=world.regisseur)
    assert r.status_code == 200, r.text
    return PlanWorld(world, orgs, case, r.json())
