"""Migration 0009_uitstroom gives the cases closed before it the reason their closing trigger records from now on
(`afsluiten` then existed only at a ladder's regular end: doel_bereikt), and leaves open cases without one."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from app.kit.migrations_state import alembic_config
from tests.conftest import make_settings

T = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
ORGANISATION = sa.table("organisation", sa.column("id", sa.Uuid()), sa.column("code"), sa.column("name"),
                        sa.column("kind"), sa.column("created_at", sa.DateTime(timezone=True)))
CASE = sa.table("casus", *(sa.column(c) for c in ("reference", "case_type", "state", "title", "opened_by_organisation",
                                                   "version", "created_by", "uitstroomreden")),
                sa.column("id", sa.Uuid()), sa.column("details", sa.JSON()),
                *(sa.column(c, sa.DateTime(timezone=True)) for c in ("state_entered_at", "created_at", "updated_at")))
TRANSITION = sa.table("casus_transition", *(sa.column(c) for c in ("version", "trigger", "from_state", "to_state",
                                                                   "reason", "actor_sub", "actor_org")),
                      sa.column("id", sa.Uuid()), sa.column("case_id", sa.Uuid()), sa.column("data", sa.JSON()),
                      sa.column("created_at", sa.DateTime(timezone=True)))

# reference -> (case type, state, [(trigger, to_state)] oldest first, the reason the migration gives it)
CASES = {
    "JG-1": ("jeugdgroep", "afgesloten", [("start_verkenning", "verkenning"), ("geen_groepsaanpak", "afgesloten")],
             "geen_grondslag"),
    "AVE-1": ("woonoverlast", "afgesloten", [("triage_starten", "triage"), ("niet_in_behandeling", "afgesloten")],
              "geen_grondslag"),
    "AVE-2": ("woonoverlast", "afgesloten", [("afsluiten", "afgesloten"), ("heropenen", "melding"),
                                             ("triage_starten", "triage"), ("niet_in_behandeling", "afgesloten")],
              "geen_grondslag"),
    "RAD-1": ("radicalisering", "afgesloten", [("besluit_strafrechtelijk", "afgesloten")], "strafrechtelijk_afgedaan"),
    "RAD-2": ("radicalisering", "afgesloten", [("besluit_geen_actie", "afgesloten")], "geen_grondslag"),
    "IJAM-1": ("ijam", "afgesloten", [("opschalen", "netwerkoverleg"), ("afsluiten", "afgesloten")], "doel_bereikt"),
    "IJAM-2": ("ijam", "knooppunt_school", [("afsluiten", "afgesloten"), ("heropenen", "knooppunt_school")], None),
}


async def test_closed_cases_get_the_reason_of_their_closing_trigger(empty_db_url: str) -> None:
    cfg = alembic_config(make_settings(empty_db_url))
    await asyncio.to_thread(command.upgrade, cfg, "0008_events")  # env.py runs its own event loop
    engine = create_async_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(ORGANISATION).values(id=uuid.uuid4(), code="zvh-mh", name="ZVH", kind="zvh",
                                                              created_at=T))
            for reference, (case_type, state, steps, _) in CASES.items():
                case_id = uuid.uuid4()
                await conn.execute(sa.insert(CASE).values(
                    id=case_id, reference=reference, case_type=case_type, state=state, title=reference, details={},
                    opened_by_organisation="zvh-mh", version=len(steps) + 1, created_by="regisseur-1",
                    state_entered_at=T, created_at=T, updated_at=T))
                for version, (trigger, to_state) in enumerate(steps, start=2):
                    await conn.execute(sa.insert(TRANSITION).values(
                        id=uuid.uuid4(), case_id=case_id, version=version, trigger=trigger, from_state=None,
                        to_state=to_state, reason="reden", data={}, actor_sub="regisseur-1", actor_org="zvh-mh",
                        created_at=T))
        await asyncio.to_thread(command.upgrade, cfg, "0009_uitstroom")
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(CASE.c.reference, CASE.c.uitstroomreden))).all()
        assert dict(rows) == {reference: reason for reference, (*_, reason) in CASES.items()}
    finally:
        await engine.dispose()
