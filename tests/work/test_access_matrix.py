"""The access matrix of the plan-action update and the work lists: each role x each organisation situation ->
the expected outcome, with every refusal in the audit log as a denied attempt and every success as allowed.

Situations (tests/work/kit.py): the organisation that owns the action (a participant), another participating
partner (it owns another action), a convenant party that does not take part, the regie holder (it owns no
action). procesregisseur and bestuurder are held by municipal staff only (policies/roles.yaml), so those rows
are taken by gemeente organisations standing in the same situations.

Outcomes: "patch" is the status of PATCH …/plan/actions/{the owner's action}; "actions" is 403 or the situation
whose action the caller's work list shows (or "none"); "cases" is 403, "listed" or "absent" (the case, on the
caller's work list of cases).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows
from tests.work.kit import SITUATIONS, plan_world

ROLES = ("melder", "beheerder", "auditor", "medewerker", "casusregisseur", "procesregisseur", "bestuurder")
NO_CASE_ROLE = {s: {"patch": 404, "actions": 403, "cases": 403} for s in SITUATIONS}
# A participant with no plan:write sees its own action only; outside the case it sees nothing (404).
PARTNER = {
    "owner": {"patch": 200, "actions": "owner", "cases": "absent"},
    "other": {"patch": 403, "actions": "other", "cases": "absent"},
    "outsider": {"patch": 404, "actions": "none", "cases": "absent"},
    "regie": {"patch": 403, "actions": "none", "cases": "listed"},
}
MATRIX: dict[str, dict[str, dict[str, Any]]] = {
    "melder": NO_CASE_ROLE,
    "beheerder": NO_CASE_ROLE,
    "auditor": NO_CASE_ROLE,
    "medewerker": PARTNER,
    # The regie holder's casusregisseur writes the plan, so it may set any action's status.
    "casusregisseur": PARTNER | {"regie": {"patch": 200, "actions": "none", "cases": "listed"}},
    # The procesregisseur writes the plan wherever it takes part.
    "procesregisseur": PARTNER | {"other": {"patch": 200, "actions": "other", "cases": "absent"},
                                  "regie": {"patch": 200, "actions": "none", "cases": "listed"}},
    # Reads plans and lists, updates no action.
    "bestuurder": PARTNER | {"owner": {"patch": 403, "actions": "owner", "cases": "absent"}},
}
CASES = [(role, situation) for role in ROLES for situation in SITUATIONS]


@pytest.mark.parametrize(("role", "situation"), CASES, ids=[f"{r}-{s}" for r, s in CASES])
async def test_plan_action_matrix(client: httpx.AsyncClient, auth: Any, db_url: str, role: str,
                                  situation: str) -> None:
    pw = await plan_world(client, auth, role)
    expected = MATRIX[role][situation]
    org = pw.orgs[situation]
    h = auth(org, role)
    patch = await client.patch(pw.action_path("owner"), json={"status": "gereed", "toelichting": "klaar"},
                               headers=h | {"If-Match": "*"})
    actions = await client.get("/v1/work/actions", headers=h)
    cases = await client.get("/v1/work/cases", headers=h)
    got: dict[str, Any] = {"patch": patch.status_code}
    if actions.status_code == 200:
        ids = {a["id"] for a in actions.json()["items"]}
        owners = [s for s in SITUATIONS if s in ("owner", "other") and pw.action_of(s)["id"] in ids]
        assert len(owners) == len(ids)
        got["actions"] = owners[0] if len(owners) == 1 else "none" if not owners else owners
    else:
        got["actions"] = actions.status_code
    if cases.status_code == 200:
        got["cases"] = "listed" if pw.case["id"] in {c["id"] for c in cases.json()["items"]} else "absent"
    else:
        got["cases"] = cases.status_code
    assert got == expected
    for r in (patch, actions, cases):
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json")
    # The plan shows the change exactly when it was allowed.
    plan = (await client.get(f"/v1/cases/{pw.case['id']}/plan", headers=pw.world.regisseur)).json()
    (owned,) = [a for a in plan["actions"] if a["id"] == pw.action_of("owner")["id"]]
    assert owned["status"] == ("gereed" if patch.status_code == 200 else "open")
    assert [(c["from_status"], c["to_status"], c["actor_org"]) for c in owned["changes"]] == (
        [("open", "gereed", org)] if patch.status_code == 200 else [])
    # Every refusal is a denied entry of the caller's organisation, every success an allowed one.
    denied = await audit_rows(db_url, outcome="denied", actor_org=org)
    refused = {"plan_action:update": patch, "plan:read": actions, "case:list": cases}
    assert sorted(e.action for e in denied) == sorted(a for a, r in refused.items() if r.status_code in (403, 404))
    allowed = await audit_rows(db_url, outcome="allowed", actor_sub=f"{role}@{org}")
    done = {"plan_action:update": patch, "work:actions": actions, "work:cases": cases}
    assert sorted(e.action for e in allowed) == sorted(a for a, r in done.items() if r.status_code == 200)
    for entry in denied + allowed:
        if entry.action == "plan_action:update":
            assert entry.case_id is not None and str(entry.case_id) == pw.case["id"]
