"""group members: the jeugdgroep namenlijst as subjects of the case

Revision ID: 0012_group_members
Revises: 0011_ave_regie_key
Create Date: 2026-12-03

Issue 16 (jeugdgroep): one namenlijst. A group case's members are person subjects pointing at its group subject
(`member_of`) and linked to the case, so that each is matchable, countable and in its own access log; the names
kept in `details.leden` move there (a name already a member of the group, case and spacing aside with the same
birth date, is not added twice) and the key goes. The downgrade writes the group's members back into
`details.leden` (the subject rows stay: audit entries may name them).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012_group_members"
down_revision = "0011_ave_regie_key"
branch_labels = None
depends_on = None

_case = sa.table("casus", sa.column("id", sa.Uuid()), sa.column("case_type", sa.String()),
                 sa.column("details", sa.JSON()))
_subject = sa.table("subject", sa.column("id", sa.Uuid()), sa.column("type", sa.String()),
                    sa.column("name", sa.String()), sa.column("birth_date", sa.Date()),
                    sa.column("member_of", sa.Uuid()), sa.column("created_at", sa.DateTime(timezone=True)))
_link = sa.table("casus_subject", sa.column("case_id", sa.Uuid()), sa.column("subject_id", sa.Uuid()))


def _group_of(bind: sa.Connection, case_id: uuid.UUID) -> uuid.UUID | None:
    return bind.scalar(
        sa.select(_subject.c.id).join(_link, _link.c.subject_id == _subject.c.id)
        .where(_link.c.case_id == case_id, _subject.c.type == "groep", _subject.c.member_of.is_(None))
        .order_by(_subject.c.created_at, _subject.c.id).limit(1))


def _members(bind: sa.Connection, case_id: uuid.UUID, group_id: uuid.UUID) -> list[tuple[str | None, date | None]]:
    rows = bind.execute(
        sa.select(_subject.c.name, _subject.c.birth_date).join(_link, _link.c.subject_id == _subject.c.id)
        .where(_link.c.case_id == case_id, _subject.c.member_of == group_id)
        .order_by(_subject.c.created_at, _subject.c.id)).all()
    return [(name, born) for name, born in rows]


def _key(name: str | None, born: date | None) -> tuple[str, date | None]:
    return (name or "").casefold().strip(), born


def upgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    for case_id, details in bind.execute(sa.select(_case.c.id, _case.c.details)
                                         .where(_case.c.case_type == "jeugdgroep")).all():
        if not isinstance(details, dict) or "leden" not in details:
            continue
        group_id = _group_of(bind, case_id)
        if group_id is not None:
            known = {_key(name, born) for name, born in _members(bind, case_id, group_id)}
            for lid in details["leden"] or []:
                name = lid.get("name")
                born = date.fromisoformat(lid["birth_date"]) if lid.get("birth_date") else None
                if not name or _key(name, born) in known:
                    continue
                known.add(_key(name, born))
                member_id = uuid.uuid4()
                bind.execute(sa.insert(_subject).values(id=member_id, type="persoon", name=name, birth_date=born,
                                                        member_of=group_id, created_at=now))
                bind.execute(sa.insert(_link).values(case_id=case_id, subject_id=member_id))
        rest: dict[str, Any] = {k: v for k, v in details.items() if k != "leden"}
        bind.execute(sa.update(_case).where(_case.c.id == case_id).values(details=rest))


def downgrade() -> None:
    bind = op.get_bind()
    for case_id, details in bind.execute(sa.select(_case.c.id, _case.c.details)
                                         .where(_case.c.case_type == "jeugdgroep")).all():
        group_id = _group_of(bind, case_id)
        members = _members(bind, case_id, group_id) if group_id is not None else []
        leden = [{"name": name, **({"birth_date": born.isoformat()} if born else {})} for name, born in members]
        bind.execute(sa.update(_case).where(_case.c.id == case_id)
                     .values(details={**(details or {}), "leden": leden}))
