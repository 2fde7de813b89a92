"""Subscriptions through the API: who may manage which (the access matrix), what is refused and why, and that
webhooks are off until the operator opens them (CASUSREGIE_WEBHOOK_ALLOW)."""

from __future__ import annotations

from typing import Any

import pytest

from app.config import ConfigError
from app.main import create_app
from tests.audit_helpers import audit_rows
from tests.conftest import asgi_client, make_settings, token_factory
from tests.events.receiver import Receiver
from tests.world import World

EVENTS = ["case.created"]

# (caller organisation, role) -> the status of each operation, on its own organisation's subscription and on
# another organisation's. The politie beheerder: that organisation does not administer the ZVH, so the role is
# not honoured (app/access/binding.py).
OPERATIONS = ("create own", "create other", "list", "get own", "get other", "deliveries own", "test own",
              "delete other", "delete own")
PARTNER_MELDER = {"create own": 201, "create other": 403, "list": 200, "get own": 200, "get other": 404,
                  "deliveries own": 200, "test own": 202, "delete other": 404, "delete own": 204}
ZVH_BEHEERDER = {"create own": 201, "create other": 201, "list": 200, "get own": 200, "get other": 200,
                 "deliveries own": 200, "test own": 202, "delete other": 204, "delete own": 204}
REFUSED = dict.fromkeys(OPERATIONS, 403)
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("politie", "melder"): PARTNER_MELDER,
    ("school", "melder"): PARTNER_MELDER,
    ("zvh-mh", "beheerder"): ZVH_BEHEERDER,
    ("politie", "beheerder"): REFUSED,
    ("zvh-mh", "procesregisseur"): REFUSED,
    ("politie", "casusregisseur"): REFUSED,
    ("politie", "medewerker"): REFUSED,
    ("gemeente", "bestuurder"): REFUSED,
    ("zvh-mh", "auditor"): REFUSED,
}


async def _make(world: World, org: str, receiver: Receiver) -> dict[str, Any]:
    r = await world.client.post("/v1/subscriptions", json={"url": receiver.url, "event_types": EVENTS},
                                headers=world.h(org, "melder"))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize(("org", "role"), list(MATRIX), ids=[f"{o}-{r}" for o, r in MATRIX])
async def test_subscription_matrix(world: World, receiver: Receiver, db_url: str, org: str, role: str) -> None:
    expected = MATRIX[(org, role)]
    h = world.h(org, role)
    own = await _make(world, org, receiver)
    other = await _make(world, "gemeente", receiver)
    body = {"url": receiver.url, "event_types": EVENTS}
    got = {
        "create own": await world.client.post("/v1/subscriptions", json=body, headers=h),
        "create other": await world.client.post("/v1/subscriptions", json=body | {"organisation": "gemeente"},
                                                 headers=h),
        "list": await world.client.get("/v1/subscriptions", headers=h),
        "get own": await world.client.get(f"/v1/subscriptions/{own['id']}", headers=h),
        "get other": await world.client.get(f"/v1/subscriptions/{other['id']}", headers=h),
        "deliveries own": await world.client.get(f"/v1/subscriptions/{own['id']}/deliveries", headers=h),
        "test own": await world.client.post(f"/v1/subscriptions/{own['id']}/test", headers=h),
        "delete other": await world.client.delete(f"/v1/subscriptions/{other['id']}", headers=h),
        "delete own": await world.client.delete(f"/v1/subscriptions/{own['id']}", headers=h),
    }
    assert {name: r.status_code for name, r in got.items()} == expected
    for r in got.values():
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json")
    if expected["list"] == 200:
        listed = {s["organisation"] for s in got["list"].json()["items"]}
        assert listed == ({org} if role == "melder" else {org, "gemeente"})
        assert all("secret" not in s for s in got["list"].json()["items"])
    if expected["get own"] == 200:
        assert "secret" not in got["get own"].json()
    # Every refusal is in the audit log as a denied attempt by the caller.
    denied = await audit_rows(db_url, action="subscription:manage", outcome="denied", actor_org=org)
    assert len(denied) == sum(1 for r in got.values() if r.status_code in (403, 404))
    allowed = await audit_rows(db_url, action="subscription:manage", outcome="allowed", actor_sub=f"{role}@{org}")
    made_in_setup = 1 if role == "melder" else 0  # `own`, made above by the same melder
    assert len(allowed) == made_in_setup + sum(1 for r in got.values() if r.status_code < 300)


async def test_without_a_token_it_is_401(world: World) -> None:
    for method, path in (("GET", "/v1/subscriptions"), ("POST", "/v1/subscriptions")):
        r = await world.client.request(method, path, json={"url": "http://127.0.0.1/", "event_types": EVENTS})
        assert r.status_code == 401


async def test_creation_shows_the_secret_once_and_audits(world: World, receiver: Receiver, db_url: str) -> None:
    given = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes
    r = await world.client.post("/v1/subscriptions", headers=world.h("politie", "melder"),
                                json={"url": receiver.url, "event_types": ["case.created", "signal.triaged"],
                                      "secret": given})
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["secret"] == given and sub["organisation"] == "politie"
    assert r.headers["location"] == f"/v1/subscriptions/{sub['id']}"
    again = await world.client.get(r.headers["location"], headers=world.h("politie", "melder"))
    assert again.status_code == 200 and "secret" not in again.json() and given not in again.text
    entries = await audit_rows(db_url, action="subscription:manage")
    made = [e for e in entries if e.detail.get("operation") == "create"]
    assert [(e.actor_org, e.object_id, e.detail["event_types"]) for e in made] == [
        ("politie", sub["id"], ["case.created", "signal.triaged"])]
    assert given not in str([e.detail for e in entries])


@pytest.mark.parametrize(("change", "loc"), [
    ({"url": "http://10.1.2.3/hook"}, ["body", "url"]),  # outside the allowlist
    ({"url": "http://no-such-host.invalid/hook"}, ["body", "url"]),  # does not resolve
    ({"url": "ftp://127.0.0.1/hook"}, ["body", "url"]),
    ({"url": "http://user:pw@127.0.0.1/hook"}, ["body", "url"]),
    ({"secret": "geheim"}, ["body", "secret"]),
    ({"event_types": []}, ["body", "event_types"]),
    ({"event_types": ["case.deleted"]}, ["body", "event_types", 0]),
    ({"event_types": ["subscription.ping"]}, ["body", "event_types", 0]),
    ({"colour": "blue"}, ["body", "colour"]),
])
async def test_bad_subscriptions_are_422_with_the_field(
    world: World, receiver: Receiver, change: dict[str, Any], loc: list[Any]
) -> None:
    body = {"url": receiver.url, "event_types": EVENTS} | change
    r = await world.client.post("/v1/subscriptions", json=body, headers=world.h("politie", "melder"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert loc in [e["loc"] for e in r.json()["errors"]]
    listed = await world.client.get("/v1/subscriptions", headers=world.h("politie", "melder"))
    assert listed.json()["items"] == []


async def test_a_beheerder_cannot_subscribe_an_unknown_organisation(world: World, receiver: Receiver) -> None:
    r = await world.client.post("/v1/subscriptions", headers=world.beheerder,
                                json={"url": receiver.url, "event_types": EVENTS, "organisation": "nergens"})
    assert r.status_code == 422 and ["body", "organisation"] in [e["loc"] for e in r.json()["errors"]]


async def test_webhooks_are_off_until_the_operator_allows_hosts(
    db_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASUSREGIE_WEBHOOK_ALLOW", raising=False)
    settings = make_settings(db_url)
    assert settings.webhook_allow == []
    app = create_app(settings)
    try:
        async with asgi_client(app) as client:
            auth = token_factory(settings)
            await World(client, auth).organisations()
            r = await client.post("/v1/subscriptions", json={"url": receiver.url, "event_types": EVENTS},
                                  headers=auth("politie", "melder"))
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["loc"] == ["body", "url"]
    finally:
        await app.state.db.dispose()


@pytest.mark.parametrize("value", ["127.0.0.1,10.0.0.0/33", "300.1.1.1", "10.0.0.1/8"])
def test_a_malformed_allowlist_refuses_to_start(db_url: str, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CASUSREGIE_WEBHOOK_ALLOW", value)
    with pytest.raises(ConfigError, match="CASUSREGIE_WEBHOOK_ALLOW"):
        create_app(make_settings(db_url))


def test_the_allowlist_is_read_as_an_operator_writes_it(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASUSREGIE_WEBHOOK_ALLOW", " 127.0.0.1 , hooks.partner.nl,10.20.0.0/16 ")
    monkeypatch.setenv("CASUSREGIE_WEBHOOK_TIMEOUT", "4.5")
    settings = make_settings(db_url)
    assert settings.webhook_allow == ["127.0.0.1", "hooks.partner.nl", "10.20.0.0/16"]
    assert settings.webhook_timeout == 4.5
    app = create_app(settings)
    allow = app.state.webhook_allow
    assert allow.allows_host("hooks.partner.nl") and not allow.allows_host("evil.nl")


