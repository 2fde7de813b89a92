"""Migration 0012_group_members moves the jeugdgroep `details.leden` into person subjects of the case pointing at
its group (without adding a member twice), drops the key and keeps the other details; the downgrade writes the
members back into `details.leden`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from app.kit.migrations_state import alembic_config
from tests.cases.test_closing_migration import CASE, ORGANISATION, T
from tests.conftest import make_settings

SUBJECT = sa.table("subject", sa.column("id", sa.Uuid()), sa.column("type"), sa.column("name"),
                   sa.column("birth_date", sa.Date()), sa.column("member_of", sa.Uuid()),
                   sa.column("created_at", sa.DateTime(timezone=True)))
LINK = sa.table("casus_subject", sa.column("case_id", sa.Uuid()), sa.column("subject_id", sa.Uuid()))
LEDEN = [{"name": " lid een "}, {"name": "Lid Twee", "birth_date": "2009-02-02"}, {"name": "Lid Twee",
                                                                                      "birth_date": "2009-02-02"}]


async def test_leden_become_members_and_back(empty_db_url: str) -> None:
    cfg = alembic_config(make_settings(empty_db_url))
    await asyncio.to_thread(command.upgrade, cfg, "0011_ave_regie_key")  # env.py runs its own event loop
    engine = create_async_engine(empty_db_url)
    case_id, other_id, group_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(ORGANISATION).values(id=uuid.uuid4(), code="zvh-mh", name="ZVH", kind="zvh",
                                                              created_at=T))
            for cid, case_type, details in (
                    (case_id, "jeugdgroep", {"leden": LEDEN, "classificatie_legacy": "crimineel"}),
                    (other_id, "ijam", {"leden": "not ours"})):
                await conn.execute(sa.insert(CASE).values(
                    id=cid, reference=str(cid)[:8], case_type=case_type, state="verkenning", title="t",
                    details=details, opened_by_organisation="zvh-mh", version=1, created_by="regisseur-1",
                    state_entered_at=T, created_at=T, updated_at=T))
            member_id = uuid.uuid4()
            await conn.execute(sa.insert(SUBJECT).values([
                {"id": group_id, "type": "groep", "name": "De Hangplek", "birth_date": None, "member_of": None,
                 "created_at": T},
                {"id": member_id, "type": "persoon", "name": "Lid Een", "birth_date": None, "member_of": group_id,
                 "created_at": T}]))
            await conn.execute(sa.insert(LINK).values([{"case_id": case_id, "subject_id": group_id},
                                                       {"case_id": case_id, "subject_id": member_id}]))

        async def state() -> tuple[dict[str, object], dict[str, object], list[tuple[str, date | None]]]:
            async with engine.connect() as conn:
                details = dict((await conn.execute(sa.select(CASE.c.id, CASE.c.details))).all())
                members = (await conn.execute(
                    sa.select(SUBJECT.c.name, SUBJECT.c.birth_date).join(LINK, LINK.c.subject_id == SUBJECT.c.id)
                    .where(LINK.c.case_id == case_id, SUBJECT.c.member_of == group_id)
                    .order_by(SUBJECT.c.name))).all()
            return details[case_id], details[other_id], [(n, b) for n, b in members]

        await asyncio.to_thread(command.upgrade, cfg, "0012_group_members")
        group, other, members = await state()
        assert group == {"classificatie_legacy": "crimineel"}
        assert other == {"leden": "not ours"}  # only jeugdgroep cases had a namenlijst
        assert members == [("Lid Een", None), ("Lid Twee", date(2009, 2, 2))]
        await asyncio.to_thread(command.downgrade, cfg, "0011_ave_regie_key")
        group, other, members = await state()
        assert group == {"classificatie_legacy": "crimineel",
                         "leden": [{"name": "Lid Een"}, {"name": "Lid Twee", "birth_date": "2009-02-02"}]}
        assert len(members) == 2  # the subject rows stay
    finally:
        await engine.dispose()
