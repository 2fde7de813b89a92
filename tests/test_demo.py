"""The quick start's demo: a fresh database with organisations, an active convenant and cases on every ladder."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from app.auth.tokens import issue_dev_token
from app.demo import WEEGTAFEL_CASE, prepare_demo
from app.main import create_app
from tests.conftest import make_settings


async def test_demo_seeds_a_living_system(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    tokens = await asyncio.to_thread(prepare_demo, settings)
    assert {label.split(" @ ")[0] for label, _ in tokens} == {
        "procesregisseur", "casusregisseur", "medewerker", "melder", "bestuurder", "beheerder", "auditor"}
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        token = issue_dev_token(settings, org="zvh-mh", roles=["procesregisseur"])
        cases = (await client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})).json()["items"]
        assert {c["case_type"] for c in cases} == {"jeugdgroep", "woonoverlast", "ex_gedetineerde",
                                                   "radicalisering", "ijam"}
        assert len({c["state"] for c in cases}) >= 5
        auditor = issue_dev_token(settings, org="zvh-mh", roles=["auditor"])
        verify = (await client.get("/v1/audit/verify", headers={"Authorization": f"Bearer {auditor}"})).json()
        assert verify["valid"] is True and verify["entries"] > 20
        stalled = [c for c in cases if c["overdue"]]
        assert [(c["case_type"], c["state"]) for c in stalled] == [("woonoverlast", "casusniveau")]
        # Regie moved with the level: the school's tier, then the municipality's.
        (ijam,) = [c for c in cases if c["case_type"] == "ijam"]
        assert (ijam["state"], ijam["regie_organisation"]) == ("netwerkoverleg", "gemeente-maastricht")
        history = (await client.get(f"/v1/cases/{ijam['id']}/history",
                                    headers={"Authorization": f"Bearer {token}"})).json()["items"]
        assert [h["regie_organisation"] for h in history] == ["school-noord", "gemeente-maastricht"]
        # One case closed early, with its outflow reason.
        (closed,) = [c for c in cases if c["state"] == "afgesloten"]
        shown = (await client.get(f"/v1/cases/{closed['id']}", headers={"Authorization": f"Bearer {token}"})).json()
        assert shown["uitstroomreden"] == "verhuisd"
        # Woonpunt's signal, linked to the Brusselsestraat case, with the ZVH's feedback (issue 15 item 4).
        melder = {"Authorization": f"Bearer {issue_dev_token(settings, org='woonpunt', roles=['melder'])}"}
        (signal,) = (await client.get("/v1/signals", headers=melder)).json()["items"]
        view = (await client.get(f"/v1/signals/{signal['id']}", headers=melder)).json()
        (first,) = [c for c in cases if c["title"].startswith("Aanhoudende geluidsoverlast")]
        assert (view["status"], view["case_reference"]) == ("gekoppeld", first["reference"])
        assert [(f["from_organisation"], bool(f["message"])) for f in view["feedback"]] == [("zvh-mh", True)]
        in_case = (await client.get(f"/v1/cases/{first['id']}/signals",
                                    headers={"Authorization": f"Bearer {token}"})).json()["items"]
        assert [s["id"] for s in in_case] == [signal["id"]]
        # Actions of two partners on one plan: the housing corporation marked its own done, the police's is overdue.
        def partner(org: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {issue_dev_token(settings, org=org, roles=['medewerker'])}"}

        woonpunt = (await client.get("/v1/work/actions", headers=partner("woonpunt"))).json()["items"]
        assert sorted(a["status"] for a in woonpunt) == ["gereed", "open"]
        assert len({a["case_id"] for a in woonpunt}) == 1
        politie = (await client.get("/v1/work/actions", headers=partner("politie-limburg"))).json()["items"]
        assert [(a["status"], a["overdue"]) for a in politie if a["case_id"] == woonpunt[0]["case_id"]] == [
            ("open", True)]
        assert [a["overdue"] for a in politie].count(True) == 1
        plan = (await client.get(f"/v1/cases/{woonpunt[0]['case_id']}/plan",
                                 headers={"Authorization": f"Bearer {token}"})).json()
        changes = [c for a in plan["actions"] for c in a["changes"]]
        assert [(c["actor_org"], c["from_status"], c["to_status"]) for c in changes] == [("woonpunt", "open", "gereed")]
        # A weegtafel adopted its besluitenlijst: its decision took the radicalisering case into a PGA.
        meetings = (await client.get("/v1/meetings", headers={"Authorization": f"Bearer {token}"})).json()["items"]
        assert [(m["meeting_type"], m["status"]) for m in meetings] == [("weegtafel", "vastgesteld")]
        lijst = (await client.get(f"/v1/meetings/{meetings[0]['id']}/besluitenlijst",
                                  headers={"Authorization": f"Bearer {token}"})).json()
        ((decision,),) = [item["decisions"] for item in lijst["items"]]
        assert decision["trigger"] == "besluit_pga" and decision["plan_version"] == 1
        (radical,) = [c for c in cases if c["title"] == WEEGTAFEL_CASE]
        assert radical["state"] == "casusoverleg"
        steps = (await client.get(f"/v1/cases/{radical['id']}/history",
                                  headers={"Authorization": f"Bearer {token}"})).json()["items"]
        assert steps[-1]["decision_id"] == decision["id"]
    await app.state.db.dispose()


async def test_the_demo_runs_the_worker_and_the_stalled_case_escalates(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", worker_in_process=True)
    await asyncio.to_thread(prepare_demo, settings)
    app = create_app(settings)
    token = {"Authorization": f"Bearer {issue_dev_token(settings, org='zvh-mh', roles=['procesregisseur'])}"}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for _ in range(100):
                cases = (await client.get("/v1/cases", params={"case_type": "woonoverlast"},
                                          headers=token)).json()["items"]
                if not any(c["overdue"] for c in cases):
                    break
                await asyncio.sleep(0.1)
            states = sorted(c["state"] for c in cases)
    await app.state.db.dispose()
    assert "procesniveau" in states and not any(c["overdue"] for c in cases)
