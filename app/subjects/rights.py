"""Data-subject requests (AVG art. 15, the Wgs contactpunt): find the person, and who accessed their data.

**The same person.** A request names one person subject row; it answers for every row of the same person
(`same_person`), since each partner's signal or case made a row of its own:
- every person row with the same BSN hash (HMAC-SHA256 with the server key) as the named row, and
- every person row with exactly the same name and birth date as the named row (both recorded), unless both rows
  hold a BSN and the BSNs differ (two people who share a name and birth date).
Addresses and groups are no data subjects here: their ids answer 404, as unknown ids do. The persons of a
household or group are person rows of their own, and are found like any person.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit.reading import AuditFilter, AuditPosition, Listed, list_entries
from app.audit.record import record
from app.auth.principal import Principal
from app.cases.models import CaseSubject
from app.kit.errors import ValidationFailed
from app.kit.paging import Window, window
from app.signals.models import Signal
from app.subjects.identity import bsn_hash
from app.subjects.models import Subject
from app.subjects.schemas import PersonFound, SubjectSearch
from app.vocabulary import Action, AuditAction, SubjectType

# Bounded: a search is for one person; more rows than this would be a data problem, not a person.
MAX_FOUND = 200


def same_person_condition(person: Subject) -> ColumnElement[bool]:
    """The SQL condition on `Subject` for the rows of the same person as `person` (the module's rule)."""
    conditions: list[ColumnElement[bool]] = [Subject.id == person.id]
    if person.bsn_hash is not None:
        conditions.append(Subject.bsn_hash == person.bsn_hash)
    if person.name is not None and person.birth_date is not None:
        same = [Subject.name == person.name, Subject.birth_date == person.birth_date]
        if person.bsn_hash is not None:  # a row with another BSN is another person
            same.append(or_(Subject.bsn_hash.is_(None), Subject.bsn_hash == person.bsn_hash))
        conditions.append(and_(*same))
    return and_(Subject.type == SubjectType.persoon, or_(*conditions))


async def same_person(session: AsyncSession, principal: Principal, action: Action,
                      subject_id: uuid.UUID) -> list[Subject]:
    """Every person row of the same person as `subject_id` (oldest first), or a denied, audited 404."""
    person = await session.get(Subject, subject_id)
    if person is None or person.type != SubjectType.persoon:
        raise access.deny_unknown_subject(session, principal, action, subject_id)
    stmt = select(Subject).where(same_person_condition(person)).order_by(Subject.created_at, Subject.id)
    return list((await session.scalars(stmt)).all())


async def search(session: AsyncSession, principal: Principal, query: SubjectSearch, *,
                 bsn_key: str) -> list[PersonFound]:
    """POST /v1/subjects/search: the person rows found, with the ids of their cases and signals. Audited with
    the ids found and how the search was made, never the BSN or the name."""
    decision = access.require_subject_request(session, principal, Action.subject_access_log)
    errors = query.form_errors()
    if errors:
        raise ValidationFailed("Search by bsn, or by name with birth_date", errors=errors)
    stmt = select(Subject).where(Subject.type == SubjectType.persoon)
    if query.bsn is not None:
        stmt = stmt.where(Subject.bsn_hash == bsn_hash(query.bsn, bsn_key))
    else:
        stmt = stmt.where(Subject.name == query.name, Subject.birth_date == query.birth_date)
    rows = list((await session.scalars(stmt.order_by(Subject.created_at, Subject.id).limit(MAX_FOUND))).all())
    ids = [r.id for r in rows]
    heads = {r.member_of for r in rows if r.member_of is not None}
    cases: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    signals: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if ids:
        links = await session.execute(select(CaseSubject.subject_id, CaseSubject.case_id)
                                      .where(CaseSubject.subject_id.in_(ids)).order_by(CaseSubject.case_id))
        for subject_id, case_id in links:
            cases[subject_id].append(case_id)
        found = await session.execute(select(Signal.subject_id, Signal.id)
                                      .where(Signal.subject_id.in_([*ids, *heads])).order_by(Signal.created_at))
        for subject_id, signal_id in found:
            signals[subject_id].append(signal_id)
    result = [PersonFound(id=r.id, type=r.type, member_of=r.member_of, case_ids=cases[r.id],
                          signal_ids=[*signals[r.id], *(signals[r.member_of] if r.member_of else [])])
              for r in rows]
    record(session, principal, AuditAction.subject_search, object_type="subject", role=decision.role,
           subject_ids=ids, detail={"by": "bsn" if query.bsn is not None else "name_birth_date",
                                    "found": len(ids)})
    return result


async def access_log(session: AsyncSession, principal: Principal, subject_id: uuid.UUID, *, limit: int,
                     after: AuditPosition | None) -> Window[Listed]:
    """GET /v1/subjects/{id}/access-log: every audit entry naming any row of the same person, newest first,
    the entries not yet chained first (as GET /v1/audit). Paged in SQL; the auditor's reading is audited."""
    decision = access.require_subject_request(session, principal, Action.subject_access_log, object_id=subject_id)
    rows = await same_person(session, principal, Action.subject_access_log, subject_id)
    ids = frozenset(str(r.id) for r in rows)
    page = window(await list_entries(session, AuditFilter(subject_in=ids), limit=limit + 1, after=after), limit)
    record(session, principal, Action.subject_access_log, object_type="subject", object_id=subject_id,
           role=decision.role, subject_ids=ids, detail={"entries": len(page.items), "persons": len(ids)})
    return page
