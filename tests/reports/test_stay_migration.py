"""Each step records when the case entered the state it leaves (`from_state_entered_at`, migration
0018_transition_stay): filled for the history that exists at the upgrade, written by every new step (a
transition through the API, the deadline worker's escalation), dropped again on downgrade. The monitor report's
doorlooptijd is the span from it to the step's own moment."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from app.cases.models import CaseTransition
from app.kit import clock
from app.kit.migrations_state import alembic_config
from app.worker import deadline_pass
from tests.cases.test_closing_migration import CASE, ORGANISATION
from tests.cases.test_closing_migration import TRANSITION as STEP
from tests.conftest import make_settings
from tests.world import World

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# (version, trigger, from, to, day): a self transition in between, a closure and a reopening.
HISTORY = [(1, "aanmaken", None, "melding", 0), (2, "triage_starten", "melding", "triage", 3),
           (4, "oppakken", "triage", "casusniveau", 10), (5, "ave_fase_wijzigen", "casusniveau", "casusniveau", 12),
           (6, "afschalen", "casusniveau", "monitoring", 20), (7, "afsluiten", "monitoring", "afgesloten", 30),
           (9, "heropenen", "afgesloten", "monitoring", 41)]
# The day each step's stay began (the previous step that changed the state).
ENTERED = {1: None, 2: 0, 4: 3, 5: 10, 6: 10, 7: 20, 9: 30}


def _at(day: int) -> datetime:
    return T0 + timedelta(days=day)


async def test_the_upgrade_fills_the_history_and_the_downgrade_drops_it(empty_db_url: str) -> None:
    cfg = alembic_config(make_settings(empty_db_url))
    await asyncio.to_thread(command.upgrade, cfg, "0017_retention")  # env.py runs its own event loop
    engine = create_async_engine(empty_db_url)
    case_id = uuid.uuid4()
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(ORGANISATION).values(id=uuid.uuid4(), code="zvh-mh", name="ZVH", kind="zvh",
                                                              created_at=T0))
            await conn.execute(sa.insert(CASE).values(
                id=case_id, reference="WO-1", case_type="woonoverlast", state="monitoring", title="t", details={},
                opened_by_organisation="zvh-mh", version=9, created_by="r", state_entered_at=_at(41),
                created_at=T0, updated_at=_at(41)))
            for version, trigger, source, dest, day in HISTORY:
                await conn.execute(sa.insert(STEP).values(
                    id=uuid.uuid4(), case_id=case_id, version=version, trigger=trigger, from_state=source,
                    to_state=dest, reason="r", data={}, actor_sub="r", actor_org="zvh-mh", created_at=_at(day)))
        await asyncio.to_thread(command.upgrade, cfg, "0018_transition_stay")
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(CaseTransition.version, CaseTransition.from_state_entered_at)
                                       .where(CaseTransition.case_id == case_id))).all()
        assert {v: e for v, e in rows} == {v: None if d is None else _at(d) for v, d in ENTERED.items()}
        await asyncio.to_thread(command.downgrade, cfg, "0017_retention")
        async with engine.connect() as conn:
            columns = await conn.run_sync(lambda c: [col["name"] for col in sa.inspect(c).get_columns(
                "casus_transition")])
        assert "from_state_entered_at" not in columns and "to_state" in columns
    finally:
        await engine.dispose()


async def _stays(db_url: str, case_id: str) -> list[tuple[str, datetime | None]]:
    """(trigger, from_state_entered_at) of the case's steps, oldest first, as stored."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(CaseTransition.trigger, CaseTransition.from_state_entered_at)
                                       .where(CaseTransition.case_id == uuid.UUID(case_id))
                                       .order_by(CaseTransition.version))).all()
    finally:
        await engine.dispose()
    return [(trigger, entered) for trigger, entered in rows]


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


async def test_every_new_step_records_when_its_stay_began(world: World, db_url: str) -> None:
    with clock.frozen(_at(0)):
        case = await world.case("woonoverlast")
    for day, trigger in ((2, "triage_starten"), (5, "triage_starten")):
        with clock.frozen(_at(day)):
            r = await world.client.post(f"/v1/cases/{case['id']}/transitions", headers=world.regisseur,
                                        json={"trigger": trigger, "reason": "stap", "data": {}})
        if day == 2:
            assert r.status_code == 200, r.text
        else:
            assert r.status_code == 409  # triage_starten once: the refused step records nothing
    assert await _stays(db_url, case["id"]) == [("aanmaken", None), ("triage_starten", _at(0))]


async def test_the_deadline_workers_escalation_records_it_too(world: World, app: Any, db_url: str) -> None:
    with clock.frozen(_at(0)):
        case = await world.case("woonoverlast", participants=("woonpunt",))
    with clock.frozen(_at(1)):
        assert (await world.fire(case["id"], "triage_starten", {})).status_code == 200
    with clock.frozen(_at(2)):
        assert (await world.fire(case["id"], "oppakken", {
            "ave_fase": 3, "regie_organisation": "woonpunt",
            "criteria": {"a": True, "b": True, "c": True, "d": False}})).status_code == 200
    acts = await deadline_pass(app.state.db, now=_at(200))  # casusniveau's 42 days long past
    assert [a.to_state for a in acts] == ["procesniveau"]
    assert await _stays(db_url, case["id"]) == [("aanmaken", None), ("triage_starten", _at(0)), ("oppakken", _at(1)),
                                        ("escaleren", _at(2))]
