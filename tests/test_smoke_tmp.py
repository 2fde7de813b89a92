async def test_smoke(client, auth):
    r = await client.post("/v1/organisations", json={"code": "zvh-mh", "name": "ZVH", "kind": "zvh"},
                          headers=auth("zvh-mh", "beheerder"))
    assert r.status_code == 201, r.text
    r = await client.get("/v1/organisations", headers=auth("zvh-mh", "melder"))
    assert r.status_code == 403, r.text
    r = await client.get("/v1/audit", headers=auth("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    print(r.json())
    r = await client.get("/v1/audit/verify", headers=auth("zvh-mh", "auditor"))
    print(r.json())
    assert r.json()["valid"]
