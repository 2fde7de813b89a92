"""Creating subjects from input and showing them within the caller's data categories."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.subjects.identity import address_key, bsn_hash, group_key, person_key
from app.subjects.models import Subject
from app.subjects.schemas import AddressIn, GroupIn, PersonIn, SubjectOut


def build(data: PersonIn | AddressIn | GroupIn, bsn_key: str) -> list[Subject]:
    """The subject rows for one input: the subject first, then its members (group) or persons (household)."""
    now = clock.now()
    if isinstance(data, PersonIn):
        hashed = bsn_hash(data.bsn, bsn_key) if data.bsn else None
        return [Subject(id=uuid.uuid4(), type="persoon", name=data.name, birth_date=data.birth_date,
                        bsn_hash=hashed, match_key=person_key(hashed) if hashed else None, created_at=now)]
    if isinstance(data, AddressIn):
        head = Subject(id=uuid.uuid4(), type="adres", postcode=data.postcode, house_number=data.house_number,
                       match_key=address_key(data.postcode, data.house_number), created_at=now)
        members = data.persons
    else:
        head = Subject(id=uuid.uuid4(), type="groep", name=data.name, area=data.area,
                       match_key=group_key(data.name), created_at=now)
        members = data.members
    rows = [head]
    rows += [Subject(id=uuid.uuid4(), type="persoon", name=m.name, birth_date=m.birth_date, member_of=head.id,
                     created_at=now) for m in members]
    return rows


def show(subject: Subject, *, identifying: bool) -> SubjectOut:
    if not identifying:
        return SubjectOut(id=subject.id, type=subject.type, member_of=subject.member_of,  # type: ignore[arg-type]
                          withheld=True)
    return SubjectOut(id=subject.id, type=subject.type, name=subject.name,  # type: ignore[arg-type]
                      birth_date=subject.birth_date, postcode=subject.postcode, house_number=subject.house_number,
                      area=subject.area, member_of=subject.member_of)


async def add_all(session: AsyncSession, rows: list[Subject]) -> None:
    session.add_all(rows)
    await session.flush()
