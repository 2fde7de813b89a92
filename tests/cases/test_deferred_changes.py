"""`deferred_writes.defer_changes`: a changed case goes out as one deferred UPDATE, and the ORM's flush is left
only what is still pending. A case whose only changes were its columns is clean afterwards (the flush at the end of
the unit of work visits nothing); a case whose participants changed too keeps that change for the flush, so the
new participation is written with the column update."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from app.cases.models import Case, CaseParticipant
from app.kit import clock, deferred_writes
from app.unit_of_work import unit_of_work
from app.vocabulary import ParticipantBasis
from tests.world import World


async def _case(app: Any, world: World) -> uuid.UUID:
    return uuid.UUID((await world.case("ijam", initial_state="knooppunt_school"))["id"])


async def test_column_changes_are_deferred_and_leave_the_case_clean(app: Any, world: World) -> None:
    case_id = await _case(app, world)
    async with unit_of_work(app.state.db) as session:
        case = await session.get_one(Case, case_id)
        case.title = "Nieuwe titel"
        case.uitstroomreden = case.uitstroomreden  # set to the value it had: nothing to write for it
        case.version += 1
        deferred_writes.defer_changes(session, case)
        assert case not in session.dirty  # nothing left for the ORM's flush
        [row] = session.info[deferred_writes.KEY]
        assert isinstance(row, deferred_writes.Row)
        assert row.shape[1] == ("title", "version")  # only what changed, keyed by the case's id
        await deferred_writes.send(session)
    async with app.state.db.sessionmaker() as session:
        stored = await session.get_one(Case, case_id)
        assert (stored.title, stored.version) == ("Nieuwe titel", 2)


async def test_a_collection_change_stays_for_the_flush(app: Any, world: World) -> None:
    case_id = await _case(app, world)
    async with unit_of_work(app.state.db) as session:
        case = await session.get_one(Case, case_id)
        before = len(case.participants)
        case.participants.append(CaseParticipant.joining(case, "om", ParticipantBasis.deelnemer,
                                                         at=clock.now(), by="test"))
        case.title = "Met het OM"
        deferred_writes.defer_changes(session, case)
        assert case in session.dirty  # the new participation is still the flush's to write
        await deferred_writes.send(session)
    async with app.state.db.sessionmaker() as session:
        stored = await session.get_one(Case, case_id)
        assert stored.title == "Met het OM"
        count = await session.scalar(select(func.count()).select_from(CaseParticipant)
                                     .where(CaseParticipant.case_id == case_id))
        assert count == before + 1
        assert "om" in {p.organisation for p in stored.participants}
