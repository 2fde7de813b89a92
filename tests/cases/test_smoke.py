from tests.world import World


async def test_ijam_roundtrip(world: World) -> None:
    case = await world.case("ijam", initial_state="netwerkoverleg", participants=("politie",))
    assert case["reference"].startswith("IJ-") and case["state"] == "netwerkoverleg"
    r = await world.fire(case["id"], "opschalen")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "jonge_aanwas" and r.headers["etag"] == '"3"'
    r = await world.fire(case["id"], "opschalen")
    assert r.status_code == 422, r.text
    r = await world.fire(case["id"], "opschalen", {"criteria": {"a": False, "b": False, "c": False, "d": True}})
    assert r.status_code == 200, r.text
    view = await world.client.get(f"/v1/cases/{case['id']}", headers=world.h("politie", "medewerker"))
    assert view.status_code == 200, view.text
    hist = await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)
    assert [h["trigger"] for h in hist.json()["items"]] == ["aanmaken", "opschalen", "opschalen"]
    lst = await world.client.get("/v1/cases", headers=world.h("woonpunt", "medewerker"))
    assert lst.json()["items"] == []
