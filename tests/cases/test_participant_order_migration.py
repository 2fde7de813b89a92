"""Migration 0019_participant_case_created_at copies each case's `created_at` onto its participations (the case
list's order key, app/access/cases.py `readable_listing`), requires it from then on, and drops it again on
downgrade; every participation made through the API carries its case's moment."""

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

from app.cases.models import CaseParticipant
from app.kit import clock
from app.kit.migrations_state import alembic_config
from tests.cases.test_closing_migration import CASE, ORGANISATION
from tests.conftest import make_settings
from tests.world import World

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PARTICIPANT = sa.table("casus_participant", sa.column("case_id", sa.Uuid()), sa.column("organisation"),
                       sa.column("basis"), sa.column("added_by"), sa.column("added_at", sa.DateTime(timezone=True)))


async def _indexes_and_columns(engine: Any) -> tuple[set[str], set[str]]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: (
            {ix["name"] for ix in sa.inspect(c).get_indexes("casus_participant")},
            {col["name"] for col in sa.inspect(c).get_columns("casus_participant")}))


async def test_the_upgrade_fills_every_participation_from_its_case(empty_db_url: str) -> None:
    cfg = alembic_config(make_settings(empty_db_url))
    await asyncio.to_thread(command.upgrade, cfg, "0018_transition_stay")  # env.py runs its own event loop
    engine = create_async_engine(empty_db_url)
    created = {uuid.uuid4(): T0 + timedelta(days=i, seconds=i) for i in range(3)}
    try:
        async with engine.begin() as conn:
            for code in ("zvh-mh", "politie"):
                await conn.execute(sa.insert(ORGANISATION).values(id=uuid.uuid4(), code=code, name=code, kind="zvh",
                                                                  created_at=T0))
            for i, (case_id, at) in enumerate(created.items()):
                await conn.execute(sa.insert(CASE).values(
                    id=case_id, reference=f"WO-{i}", case_type="woonoverlast", state="melding", title="t",
                    details={}, opened_by_organisation="zvh-mh", version=1, created_by="r", state_entered_at=at,
                    created_at=at, updated_at=at))
                # Joined later than the case was opened: the copy is the case's moment, not the participation's.
                for org in ("zvh-mh", "politie")[: i + 1]:
                    await conn.execute(sa.insert(PARTICIPANT).values(
                        case_id=case_id, organisation=org, basis="deelnemer", added_by="r",
                        added_at=at + timedelta(days=30)))
        await asyncio.to_thread(command.upgrade, cfg, "0019_participant_case_created_at")
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(CaseParticipant.case_id, CaseParticipant.organisation,
                                                 CaseParticipant.case_created_at))).all()
        assert sorted((c, o, t) for c, o, t in rows) == sorted(
            (c, o, at) for i, (c, at) in enumerate(created.items()) for o in ("zvh-mh", "politie")[: i + 1])
        indexes, columns = await _indexes_and_columns(engine)
        assert "ix_casus_participant_organisation_case_created_at" in indexes
        assert "ix_casus_participant_organisation" not in indexes
        # Required from now on: a participation without its case's moment would fall out of the case list.
        with pytest.raises(sa.exc.IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(sa.insert(PARTICIPANT).values(
                    case_id=next(iter(created)), organisation="politie", basis="deelnemer", added_by="r",
                    added_at=T0))
        await asyncio.to_thread(command.downgrade, cfg, "0018_transition_stay")
        indexes, columns = await _indexes_and_columns(engine)
        assert "case_created_at" not in columns and "added_at" in columns
        assert "ix_casus_participant_organisation" in indexes
    finally:
        await engine.dispose()


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


async def test_every_participation_carries_its_cases_moment(world: World, db_url: str) -> None:
    with clock.frozen(T0):
        case = await world.case("woonoverlast")
    with clock.frozen(T0 + timedelta(days=3)):
        r = await world.client.post(f"/v1/cases/{case['id']}/participants", headers=world.regisseur,
                                    json={"organisation": "woonpunt"})
        assert r.status_code == 201, r.text
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(CaseParticipant.organisation, CaseParticipant.added_at,
                                                 CaseParticipant.case_created_at)
                                       .where(CaseParticipant.case_id == uuid.UUID(case["id"])))).all()
    finally:
        await engine.dispose()
    assert {o: (added, moment) for o, added, moment in rows}["woonpunt"] == (T0 + timedelta(days=3), T0)
    assert {moment for _, _, moment in rows} == {T0}
