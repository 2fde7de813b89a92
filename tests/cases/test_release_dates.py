"""ex_gedetineerde (issue 16): `in_detentie` is due when the voorbereiding terugkeer should start, a configurable
number of days before the expected release, and a screened release date must be plausible. The bounds are set as
an operator sets them: CASUSREGIE_* environment variables."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.workflows import release_dates
from tests.conftest import make_settings
from tests.world import World

LOC = ["body", "data", "verwachte_invrijheidstelling"]


def due(release: date, lead: int) -> datetime:
    return datetime.combine(release - timedelta(days=lead), time(0), tzinfo=UTC)


async def screened(world: World, release: date) -> dict[str, Any]:
    case = await world.case("ex_gedetineerde")
    r = await world.fire(case["id"], "screenen", {"verwachte_invrijheidstelling": release.isoformat()})
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.fixture(autouse=True)
def _rules_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    # create_app sets the process-wide rules; put the defaults back for the tests that follow in this process.
    monkeypatch.setattr(release_dates, "_rules", release_dates.current())


class TestDefaults:
    async def test_due_ninety_days_before_the_release(self, world: World) -> None:
        release = date.today() + timedelta(days=200)
        case = await screened(world, release)
        assert (case["state"], datetime.fromisoformat(case["due_at"])) == ("in_detentie", due(release, 90))

    async def test_a_near_release_is_due_at_once(self, world: World) -> None:
        case = await screened(world, date.today() + timedelta(days=30))
        assert datetime.fromisoformat(case["due_at"]) == datetime.fromisoformat(case["updated_at"])

    @pytest.mark.parametrize(("days", "ok"), [(5 * 365 + 1, True), (5 * 365 + 2, False), (-14, True), (-15, False)])
    async def test_release_dates_must_be_plausible(self, world: World, days: int, ok: bool) -> None:
        case = await world.case("ex_gedetineerde")
        release = (date.today() + timedelta(days=days)).isoformat()
        r = await world.fire(case["id"], "screenen", {"verwachte_invrijheidstelling": release})
        assert r.status_code == (200 if ok else 422), r.text
        if not ok:
            assert [e["loc"] for e in r.json()["errors"]] == [LOC]
            after = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
            assert (after["state"], after["version"]) == ("aangemeld", case["version"])  # nothing written

    async def test_a_corrected_release_date_moves_the_deadline(self, world: World) -> None:
        case = await screened(world, date.today() + timedelta(days=200))
        corrected = date.today() + timedelta(days=300)
        r = await world.client.patch(f"/v1/cases/{case['id']}", headers=world.regisseur,
                                     json={"details": {"verwachte_invrijheidstelling": corrected.isoformat()}})
        assert r.status_code == 200, r.text
        assert datetime.fromisoformat(r.json()["due_at"]) == due(corrected, 90)

    async def test_redetention_sets_the_deadline_from_the_new_date(self, world: World) -> None:
        case = await screened(world, date.today() + timedelta(days=100))
        for trigger, data in (("terugkeer_voorbereiden", {}),
                              ("invrijheidstelling", {"invrijheidstelling_datum": date.today().isoformat()})):
            assert (await world.fire(case["id"], trigger, data)).status_code == 200
        again = date.today() + timedelta(days=500)
        r = await world.fire(case["id"], "opnieuw_gedetineerd", {"verwachte_invrijheidstelling": again.isoformat()})
        assert r.status_code == 200, r.text
        assert (r.json()["state"], datetime.fromisoformat(r.json()["due_at"])) == ("in_detentie", due(again, 90))

    async def test_the_workflow_says_what_the_deadline_follows(self, world: World) -> None:
        r = await world.client.get("/v1/workflows/ex_gedetineerde", headers=world.regisseur)
        states = {s["code"]: s for s in r.json()["states"]}
        assert (states["in_detentie"]["due_before"], states["in_detentie"]["max_dagen"]) == (
            "verwachte_invrijheidstelling", None)


class TestFromTheEnvironment:
    @pytest.fixture
    def settings(self, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
        monkeypatch.setenv("CASUSREGIE_RETURN_PREPARATION_DAYS", "30")
        monkeypatch.setenv("CASUSREGIE_RELEASE_DATE_MAX_AHEAD_DAYS", "365")
        monkeypatch.setenv("CASUSREGIE_RELEASE_DATE_MAX_PAST_DAYS", "0")
        return make_settings(db_url)

    async def test_the_configured_lead_and_bounds_hold(self, world: World, client: httpx.AsyncClient) -> None:
        release = date.today() + timedelta(days=200)
        case = await screened(world, release)
        assert datetime.fromisoformat(case["due_at"]) == due(release, 30)
        for days in (366, -1):
            other = await world.case("ex_gedetineerde")
            r = await world.fire(other["id"], "screenen",
                                 {"verwachte_invrijheidstelling": (date.today() + timedelta(days=days)).isoformat()})
            assert r.status_code == 422, r.text


@pytest.mark.parametrize(("name", "value"), [("RETURN_PREPARATION_DAYS", "-1"), ("RELEASE_DATE_MAX_AHEAD_DAYS", "0"),
                                             ("RELEASE_DATE_MAX_PAST_DAYS", "many")])
def test_nonsense_settings_refuse(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"CASUSREGIE_{name}", value)
    with pytest.raises(ValueError, match=name.lower()):
        Settings()
