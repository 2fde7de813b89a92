"""The members of a case's group (the jeugdgroep namenlijst) or household: person subjects that point at the
case's group or address subject and are subjects of the case themselves.

So every member is matchable (with a BSN), countable ("unieke subjecten in beeld") and in its own access log
(every audit entry on the case names it). Adding or removing one changes the case: the regie holder's
`case:update`, with `identificatie` (names are identifying). A removed member stays a subject row (the audit log
and the history refer to it) but is no longer a subject of the case.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.auth.principal import Principal
from app.cases.loading import LoadedCase, check_version, load_case
from app.cases.models import CaseSubject
from app.kit import clock
from app.kit.errors import Conflict, NotFound, ValidationFailed
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.subjects.schemas import MemberIn
from app.vocabulary import Action, DataCategory, SubjectType

# The subject kinds that have members: a group its members, an address the persons of the household.
WITH_MEMBERS = (SubjectType.groep, SubjectType.adres)


def head_of(loaded: LoadedCase) -> Subject | None:
    """The case's group or address: its first subject of such a kind that is no member itself."""
    return next((s for s in loaded.subjects if s.type in WITH_MEMBERS and s.member_of is None), None)


def same_person(member: Subject, name: str | None, birth_date: date | None, hashed_bsn: str | None) -> bool:
    """By BSN where both have one; else by name (case and spacing aside) and birth date."""
    if hashed_bsn is not None and member.bsn_hash is not None:
        return member.bsn_hash == hashed_bsn
    return (member.name or "").casefold().strip() == (name or "").casefold().strip() and member.birth_date == birth_date


def _is_member(loaded: LoadedCase, head: Subject, name: str | None, birth_date: date | None,
               hashed_bsn: str | None) -> bool:
    return any(same_person(s, name, birth_date, hashed_bsn) for s in loaded.subjects if s.member_of == head.id)


async def _link(session: AsyncSession, loaded: LoadedCase, new: list[Subject]) -> None:
    session.add_all(new)
    await session.flush()  # the subjects first: the links' foreign keys point at them
    session.add_all(CaseSubject(case_id=loaded.case.id, subject_id=s.id) for s in new)
    loaded.subject_ids = tuple(sorted((*loaded.subject_ids, *(s.id for s in new)), key=str))
    loaded.subjects = (*loaded.subjects, *new)


async def merge_signal_subjects(session: AsyncSession, loaded: LoadedCase, rows: list[Subject]) -> list[Subject]:
    """Link a triaged signal's subjects (`rows`: the signal's subject first, then its members) to the case.

    A signal about the case's own group (any group signal linked to a group case: the procesregisseur judged it
    the same) or the case's own address adds no second group or address subject: its members the case does not
    have yet join the case's group as new person subjects (the signal keeps its own rows). A signal about a person
    living at the case's address makes that person a member of the household the same way. Any other signal's
    subjects are linked as they are. Returns the subjects the case gained."""
    head = head_of(loaded)
    first = rows[0]
    same = head is not None and first.type == head.type and (
        head.type == SubjectType.groep or (head.match_key is not None and head.match_key == first.match_key))
    resident = (head is not None and head.type == SubjectType.adres and first.type == SubjectType.persoon
                and (first.postcode, first.house_number) == (head.postcode, head.house_number))
    if head is not None and resident:  # a person living at the case's address joins its household
        rows = [head, first]
        same = True
    if head is None or not same:
        linked = set(loaded.subject_ids)
        gained = [s for s in rows if s.id not in linked]
        session.add_all(CaseSubject(case_id=loaded.case.id, subject_id=s.id) for s in gained)
        loaded.subject_ids = tuple(sorted((*loaded.subject_ids, *(s.id for s in gained)), key=str))
        loaded.subjects = (*loaded.subjects, *gained)
        return gained
    now = clock.now()
    new: list[Subject] = []
    for m in rows[1:]:
        if _is_member(loaded, head, m.name, m.birth_date, m.bsn_hash) or any(
                same_person(n, m.name, m.birth_date, m.bsn_hash) for n in new):
            continue
        new.append(Subject(id=uuid.uuid4(), type=SubjectType.persoon, name=m.name, birth_date=m.birth_date,
                           bsn_hash=m.bsn_hash, match_key=m.match_key, postcode=m.postcode,
                           house_number=m.house_number, member_of=head.id, created_at=now))
    await _link(session, loaded, new)
    return new


async def _writable(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: int | None
) -> tuple[LoadedCase, Subject]:
    loaded = await load_case(session, principal, case_id, Action.case_update, lock=True)
    check_version(loaded.case, if_match)
    access.require_category(session, principal, Action.case_update, loaded.access, DataCategory.identificatie,
                            case_id=loaded.case.id, object_type="case", subject_ids=loaded.subject_ids)
    head = head_of(loaded)
    if head is None:
        raise ValidationFailed("This case is about a person: it has no group or household to add members to",
                               errors=[{"loc": ["path", "case_id"], "msg": "the case has no group or address"}])
    return loaded, head


async def add(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: MemberIn, if_match: int | None,
    *, bsn_key: str,
) -> tuple[LoadedCase, Subject]:
    loaded, head = await _writable(session, principal, case_id, if_match)
    row = subjects.member_row(data, head.id, bsn_key)
    if _is_member(loaded, head, data.name, data.birth_date, row["bsn_hash"]):
        raise Conflict("This person is a member already")
    member = Subject(**row)
    await _link(session, loaded, [member])
    loaded.changed(clock.now())
    await session.flush()
    loaded.record(session, principal, Action.case_update, object_type="case", object_id=loaded.case.id,
                  detail={"fields": ["members"], "member_added": str(member.id)})
    return loaded, member


async def remove(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, subject_id: uuid.UUID, if_match: int | None,
) -> LoadedCase:
    loaded, head = await _writable(session, principal, case_id, if_match)
    if not any(s.id == subject_id and s.member_of == head.id for s in loaded.subjects):
        raise NotFound("No such member of this case")
    await session.execute(delete(CaseSubject).where(CaseSubject.case_id == loaded.case.id,
                                                    CaseSubject.subject_id == subject_id))
    loaded.changed(clock.now())
    await session.flush()
    # The entry names the removed member too (its access log must show who removed it).
    loaded.record(session, principal, Action.case_update, object_type="case", object_id=loaded.case.id,
                  detail={"fields": ["members"], "member_removed": str(subject_id)})
    loaded.subjects = tuple(s for s in loaded.subjects if s.id != subject_id)
    return loaded
