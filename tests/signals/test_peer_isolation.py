"""Two care and safety houses never see each other's partners' signals."""

from __future__ import annotations

from tests.signals.conftest import post_signal, signal_body
from tests.world import ALL_CATEGORIES, World


async def test_peer_zvh_does_not_see_the_other_queue(world: World) -> None:
    await world.organisations({"zvh-zl": "zvh", "politie-zl": "politie"})
    await world.convenant("c-zl", parties={"zvh-zl": ALL_CATEGORIES, "politie-zl": ["identificatie", "politie"]})
    mine = await post_signal(world.client, world.h("politie", "melder"), signal_body())
    theirs = await post_signal(world.client, world.h("politie-zl", "melder"), signal_body())
    for headers, own, other in ((world.regisseur, mine, theirs),
                                (world.h("zvh-zl", "procesregisseur"), theirs, mine)):
        assert (await world.client.get(f"/v1/signals/{own.json()['id']}", headers=headers)).status_code == 200
        assert (await world.client.get(f"/v1/signals/{other.json()['id']}", headers=headers)).status_code == 404
        queue = (await world.client.get("/v1/signals", headers=headers)).json()["items"]
        assert [s["id"] for s in queue] == [own.json()["id"]]


async def test_two_municipalities_in_one_convenant_do_not_see_each_others_signals(world: World) -> None:
    """Both are parties (with the ZVH) to a regional convenant; only the ZVH triages partners' signals."""
    await world.organisations({"gemeente-a": "gemeente", "gemeente-b": "gemeente"})
    await world.convenant("c-regio", parties={"zvh-mh": ALL_CATEGORIES, "gemeente-a": ["identificatie", "wonen"],
                                              "gemeente-b": ["identificatie", "wonen"]})
    a = await post_signal(world.client, world.h("gemeente-a", "procesregisseur"), signal_body())
    b = await post_signal(world.client, world.h("gemeente-b", "procesregisseur"), signal_body())
    for org, own, other in (("gemeente-a", a, b), ("gemeente-b", b, a)):
        headers = world.h(org, "procesregisseur")
        assert (await world.client.get(f"/v1/signals/{own.json()['id']}", headers=headers)).status_code == 200
        assert (await world.client.get(f"/v1/signals/{other.json()['id']}", headers=headers)).status_code == 404
        queue = (await world.client.get("/v1/signals", headers=headers)).json()["items"]
        assert [s["id"] for s in queue] == [own.json()["id"]]
        # Its receipt shows no match with the other municipality's signal on the same address.
        assert other.json()["id"] not in [m["id"] for m in own.json()["matches"]]
    zvh_queue = (await world.client.get("/v1/signals", headers=world.regisseur)).json()["items"]
    assert {a.json()["id"], b.json()["id"]} <= {s["id"] for s in zvh_queue}
