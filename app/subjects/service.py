"""Creating subjects from input and showing them within the caller's data categories."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import bulk_insert, clock
from app.kit.database import table_of
from app.subjects.identity import address_key, bsn_hash, group_key, match_keys, person_key
from app.subjects.models import Subject
from app.subjects.schemas import AddressIn, GroupIn, MemberIn, PersonIn, SubjectOut


def rows(data: PersonIn | AddressIn | GroupIn, bsn_key: str) -> list[dict[str, Any]]:
    """The subject rows for one input as column values: the subject first, then its members (group) or
    persons (household). Every column is present, so that rows of several inputs insert as one statement."""
    now = clock.now()
    if isinstance(data, PersonIn):
        hashed = bsn_hash(data.bsn, bsn_key) if data.bsn else None
        return [_row(type="persoon", name=data.name, birth_date=data.birth_date, bsn_hash=hashed,
                     match_key=person_key(hashed) if hashed else None, created_at=now,
                     postcode=data.address.postcode if data.address else None,
                     house_number=data.address.house_number if data.address else None)]
    if isinstance(data, AddressIn):
        head = _row(type="adres", postcode=data.postcode, house_number=data.house_number,
                    match_key=address_key(data.postcode, data.house_number), created_at=now)
        members = data.persons
    else:
        head = _row(type="groep", name=data.name, area=data.area, match_key=group_key(data.name), created_at=now)
        members = data.members
    return [head, *(member_row(m, head["id"], bsn_key) for m in members)]


def member_row(data: MemberIn, head_id: uuid.UUID, bsn_key: str) -> dict[str, Any]:
    """A person row pointing at its group or household; with a BSN it is matchable like any person."""
    hashed = bsn_hash(data.bsn, bsn_key) if data.bsn else None
    return _row(type="persoon", name=data.name, birth_date=data.birth_date, bsn_hash=hashed,
                match_key=person_key(hashed) if hashed else None, member_of=head_id, created_at=clock.now())


def _row(**values: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "name": None, "birth_date": None, "bsn_hash": None, "postcode": None,
            "house_number": None, "area": None, "match_key": None, "member_of": None, **values}


def build(data: PersonIn | AddressIn | GroupIn, bsn_key: str) -> list[Subject]:
    """The subject rows for one input: the subject first, then its members (group) or persons (household)."""
    return [Subject(**row) for row in rows(data, bsn_key)]


def show(subject: Subject, *, identifying: bool) -> SubjectOut:
    if not identifying:
        return SubjectOut(id=subject.id, type=subject.type, member_of=subject.member_of,
                          withheld=True)
    return SubjectOut(id=subject.id, type=subject.type, name=subject.name,
                      birth_date=subject.birth_date, postcode=subject.postcode, house_number=subject.house_number,
                      area=subject.area, member_of=subject.member_of)


async def add_all(session: AsyncSession, subjects: list[Subject]) -> None:
    session.add_all(subjects)
    await session.flush()


async def insert_rows(session: AsyncSession, values: list[dict[str, Any]]) -> None:
    """Insert rows made by `rows` (of any number of inputs) at once, without loading them into the session."""
    await bulk_insert.insert_rows(session, table_of(Subject), values)


def keys_of(subject: Subject | dict[str, Any]) -> tuple[str, ...]:
    """The match keys of a subject row (a model or the column values `rows` makes)."""
    get = subject.get if isinstance(subject, dict) else lambda name: getattr(subject, name)
    return match_keys(get("match_key"), str(get("type")), get("postcode"), get("house_number"))
