"""Convenants administration (beheerder): create, read, change by versions, activate, terminate.

A convenant's *current* version is its active one, else its newest. An active version is never
edited: PATCH writes version n+1 as `concept` (or edits the pending concept), and activating it
turns the active one `vervangen` in the same transaction. Every change locks the `convenant` row
first (`FOR UPDATE`; SQLite's BEGIN IMMEDIATE already serialises writers), so at most one version is
`actief`; a partial unique index guards the same rule in the database.

What an active version grants, and the one validity rule, are in `grants.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.access import Decision
from app.audit import record as audit
from app.auth.principal import Principal
from app.convenants.models import (
    Convenant,
    ConvenantCaseType,
    ConvenantParty,
    ConvenantPartyCategory,
    ConvenantVersion,
)
from app.convenants.schemas import ConvenantCreate, ConvenantUpdate, PartyIn
from app.convenants.views import ConvenantView
from app.convenants.warnings import warned
from app.events import publish
from app.events.types import EventType
from app.kit import clock
from app.kit.errors import Conflict, NotFound, ValidationFailed
from app.kit.paging import Window, window
from app.organisations import lookup as organisations
from app.vocabulary import Action, AuditAction, CaseType, ConvenantStatus

CONCEPT = ConvenantStatus.concept
ACTIEF = ConvenantStatus.actief
BEEINDIGD = ConvenantStatus.beeindigd
VERVANGEN = ConvenantStatus.vervangen

OBJECT_TYPE = "convenant"


def _require_role(session: AsyncSession, principal: Principal, action: Action,
                  convenant_id: uuid.UUID | None = None) -> Decision:
    return access.require_role(session, principal, action, object_type=OBJECT_TYPE, object_id=convenant_id)


# --- validation -------------------------------------------------------------------------------


def _err(loc: Iterable[str | int], msg: str) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg}


async def _party_errors(session: AsyncSession, parties: list[PartyIn]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, party in enumerate(parties):
        if party.organisation in seen:
            errors.append(_err(("parties", i, "organisation"), f"organisation {party.organisation!r} is listed twice"))
        elif await organisations.by_code(session, party.organisation) is None:
            errors.append(_err(("parties", i, "organisation"), f"unknown organisation {party.organisation!r}"))
        seen.add(party.organisation)
        errors.extend(_duplicates(("parties", i, "data_categories"), party.data_categories, "data category"))
    return errors


def _duplicates(loc: tuple[str | int, ...], values: list[Any], what: str) -> list[dict[str, Any]]:
    seen: set[Any] = set()
    errors = []
    for j, value in enumerate(values):
        if value in seen:
            errors.append(_err((*loc, j), f"{what} {str(value)!r} is listed twice"))
        seen.add(value)
    return errors


def _period_errors(valid_from: date, valid_until: date) -> list[dict[str, Any]]:
    if valid_until <= valid_from:
        return [_err(("valid_until",), f"must be after valid_from ({valid_from.isoformat()})")]
    return []


def _raise_if(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise ValidationFailed("The convenant is not valid: " + "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors), errors=errors)


# --- building versions ------------------------------------------------------------------------


def _codes(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values))


def _parties(parties: list[PartyIn]) -> list[ConvenantParty]:
    return [
        ConvenantParty(organisation=p.organisation, role=p.role.value,
                       categories=[ConvenantPartyCategory(category=c) for c in _codes(p.data_categories)])
        for p in parties
    ]


def _copy_parties(parties: list[ConvenantParty]) -> list[ConvenantParty]:
    return [
        ConvenantParty(organisation=p.organisation, role=p.role,
                       categories=[ConvenantPartyCategory(category=c.category) for c in p.categories])
        for p in parties
    ]


def _case_types(values: Iterable[Any]) -> list[ConvenantCaseType]:
    return [ConvenantCaseType(case_type=c) for c in _codes(values)]


def _basis(convenant: Convenant, version: ConvenantVersion) -> audit.LegalBasis:
    return audit.LegalBasis(convenant.id, version.version, version.legal_basis)


def _current(versions: list[ConvenantVersion]) -> ConvenantVersion:
    """The active version, else the newest. `versions` is ordered oldest first and not empty."""
    return next((v for v in versions if v.status == ACTIEF), versions[-1])


def _pending(versions: list[ConvenantVersion], shown: ConvenantVersion) -> int | None:
    newest = versions[-1]
    return newest.version if newest.status == CONCEPT and newest.version > shown.version else None


async def _versions(session: AsyncSession, convenant_id: uuid.UUID) -> list[ConvenantVersion]:
    stmt = (select(ConvenantVersion).where(ConvenantVersion.convenant_id == convenant_id)
            .order_by(ConvenantVersion.version))
    return list((await session.execute(stmt)).scalars())


async def _load(
    session: AsyncSession, convenant_id: uuid.UUID, *, lock: bool
) -> tuple[Convenant, list[ConvenantVersion]]:
    stmt = select(Convenant).where(Convenant.id == convenant_id)
    if lock:
        # Every change to a convenant's versions holds this lock first: one writer per convenant.
        stmt = stmt.with_for_update()
    convenant = await session.scalar(stmt)
    if convenant is None:
        raise NotFound(f"Convenant {convenant_id} not found")
    versions = await _versions(session, convenant_id)
    if not versions:  # pragma: no cover - create always writes version 1
        raise NotFound(f"Convenant {convenant_id} has no versions")
    return convenant, versions


# --- operations (beheerder) -------------------------------------------------------------------


async def create(session: AsyncSession, principal: Principal, data: ConvenantCreate) -> ConvenantView:
    decision = _require_role(session, principal, Action.convenant_create)
    errors = _duplicates(("case_types",), data.case_types, "case type")
    errors += await _party_errors(session, data.parties)
    errors += _period_errors(data.valid_from, data.valid_until)
    _raise_if(errors)
    if await session.scalar(select(Convenant.id).where(Convenant.code == data.code)) is not None:
        raise Conflict(f"Convenant {data.code!r} already exists")
    now = clock.now()
    convenant = Convenant(id=uuid.uuid4(), code=data.code, created_at=now)
    version = ConvenantVersion(
        id=uuid.uuid4(), convenant_id=convenant.id, version=1, status=CONCEPT, title=data.title,
        purposes=list(data.purposes), legal_basis=data.legal_basis, valid_from=data.valid_from,
        valid_until=data.valid_until, retention_months=data.retention_months, created_at=now,
        created_by=principal.sub, case_types=_case_types(data.case_types), parties=_parties(data.parties),
    )
    session.add(convenant)
    try:
        await session.flush()  # the convenant row first: the version's foreign key points at it
        session.add(version)
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same code won the race
        raise Conflict(f"Convenant {data.code!r} already exists") from exc
    audit.record(session, principal, Action.convenant_create, object_type=OBJECT_TYPE, object_id=convenant.id,
                 role=decision.role, legal_basis=_basis(convenant, version))
    return await warned(session, ConvenantView(convenant, version))


async def list_page(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    after_code: str | None = None,
    status: ConvenantStatus | None = None,
    organisation: str | None = None,
    case_type: CaseType | None = None,
) -> Window[ConvenantView]:
    """Convenants by code, each shown in its current version; the filters apply to that version."""
    decision = _require_role(session, principal, Action.convenant_read)
    active_id = (select(ConvenantVersion.id)
                 .where(ConvenantVersion.convenant_id == Convenant.id, ConvenantVersion.status == ACTIEF)
                 .limit(1).correlate(Convenant).scalar_subquery())
    newest_id = (select(ConvenantVersion.id).where(ConvenantVersion.convenant_id == Convenant.id)
                 .order_by(ConvenantVersion.version.desc()).limit(1).correlate(Convenant).scalar_subquery())
    pending = (select(func.max(ConvenantVersion.version))
               .where(ConvenantVersion.convenant_id == Convenant.id, ConvenantVersion.status == CONCEPT)
               .correlate(Convenant).scalar_subquery())
    stmt = (
        select(Convenant, ConvenantVersion, pending)
        .join(ConvenantVersion, ConvenantVersion.id == func.coalesce(active_id, newest_id))
        .order_by(Convenant.code)
        .limit(limit + 1)
    )
    if after_code is not None:
        stmt = stmt.where(Convenant.code > after_code)
    if status is not None:
        stmt = stmt.where(ConvenantVersion.status == status.value)
    if organisation is not None:
        stmt = stmt.where(exists().where(ConvenantParty.version_id == ConvenantVersion.id,
                                         ConvenantParty.organisation == organisation))
    if case_type is not None:
        stmt = stmt.where(exists().where(ConvenantCaseType.version_id == ConvenantVersion.id,
                                         ConvenantCaseType.case_type == case_type.value))
    page = window([
        await warned(session, ConvenantView(c, v, p if p is not None and p > v.version else None))
        for c, v, p in (await session.execute(stmt)).all()
    ], limit)
    audit.record(session, principal, AuditAction.convenant_list, object_type=OBJECT_TYPE, role=decision.role,
                 detail={"convenants": [{"id": str(view.convenant.id), "version": view.version.version}
                                        for view in page.items]})
    return page


async def get(session: AsyncSession, principal: Principal, convenant_id: uuid.UUID) -> ConvenantView:
    decision = _require_role(session, principal, Action.convenant_read, convenant_id)
    convenant, versions = await _load(session, convenant_id, lock=False)
    current = _current(versions)
    audit.record(session, principal, Action.convenant_read, object_type=OBJECT_TYPE, object_id=convenant.id,
                 role=decision.role, legal_basis=_basis(convenant, current))
    return await warned(session, ConvenantView(convenant, current, _pending(versions, current)))


async def versions(session: AsyncSession, principal: Principal, convenant_id: uuid.UUID) -> list[ConvenantView]:
    """Every version, oldest first (replaced and terminated ones stay readable for the audit trail)."""
    decision = _require_role(session, principal, Action.convenant_read, convenant_id)
    convenant, all_versions = await _load(session, convenant_id, lock=False)
    current = _current(all_versions)
    audit.record(session, principal, AuditAction.convenant_versions, object_type=OBJECT_TYPE, object_id=convenant.id,
                 role=decision.role, legal_basis=_basis(convenant, current),
                 detail={"versions": [v.version for v in all_versions]})
    return [await warned(session, ConvenantView(convenant, v, _pending(all_versions, v))) for v in all_versions]


async def update(
    session: AsyncSession, principal: Principal, convenant_id: uuid.UUID, data: ConvenantUpdate
) -> ConvenantView:
    """Edit the pending concept in place, or start version n+1 as a concept from the active one."""
    decision = _require_role(session, principal, Action.convenant_update, convenant_id)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationFailed("Nothing to change", errors=[{"loc": ["body"], "msg": "name at least one field"}])
    convenant, all_versions = await _load(session, convenant_id, lock=True)
    newest = all_versions[-1]
    if newest.status not in (CONCEPT, ACTIEF):
        raise Conflict(f"Convenant {convenant.code!r} is {newest.status}; it can no longer be changed")
    errors: list[dict[str, Any]] = []
    if data.case_types is not None:
        errors += _duplicates(("case_types",), data.case_types, "case type")
    if data.parties is not None:
        errors += await _party_errors(session, data.parties)
    errors += _period_errors(data.valid_from or newest.valid_from, data.valid_until or newest.valid_until)
    _raise_if(errors)

    if newest.status == CONCEPT:
        target, created = newest, False
        if data.case_types is not None:
            target.case_types.clear()
            await session.flush()  # delete the old rows before inserting ones with the same key
            target.case_types = _case_types(data.case_types)
        if data.parties is not None:
            target.parties.clear()
            await session.flush()
            target.parties = _parties(data.parties)
    else:
        target, created = ConvenantVersion(
            id=uuid.uuid4(), convenant_id=convenant.id, version=newest.version + 1, status=CONCEPT,
            title=newest.title, purposes=list(newest.purposes), legal_basis=newest.legal_basis,
            valid_from=newest.valid_from, valid_until=newest.valid_until,
            retention_months=newest.retention_months, created_at=clock.now(), created_by=principal.sub,
            case_types=_case_types(data.case_types if data.case_types is not None
                                   else [c.case_type for c in newest.case_types]),
            parties=_parties(data.parties) if data.parties is not None else _copy_parties(newest.parties),
        ), True
        session.add(target)
    for field in ("title", "legal_basis", "valid_from", "valid_until", "retention_months"):
        if field in changes:
            setattr(target, field, getattr(data, field))
    if data.purposes is not None:
        target.purposes = list(data.purposes)
    await session.flush()
    audit.record(session, principal, Action.convenant_update, object_type=OBJECT_TYPE, object_id=convenant.id,
                 role=decision.role, legal_basis=_basis(convenant, target),
                 detail={"fields": sorted(changes), "new_version": created})
    return await warned(session, ConvenantView(convenant, target))


async def activate(session: AsyncSession, principal: Principal, convenant_id: uuid.UUID) -> ConvenantView:
    """Activate the newest concept; the version active until now becomes `vervangen` in the same transaction."""
    decision = _require_role(session, principal, Action.convenant_activate, convenant_id)
    convenant, all_versions = await _load(session, convenant_id, lock=True)
    concept = all_versions[-1]
    if concept.status != CONCEPT:
        raise Conflict(f"Convenant {convenant.code!r} has no concept version to activate")
    today = clock.today()
    problems: list[dict[str, Any]] = []
    if len(concept.parties) < 2:
        problems.append({"loc": ["parties"], "msg": "activation needs at least two parties"})
    if concept.valid_until <= concept.valid_from:  # pragma: no cover - validated on every write
        problems.append({"loc": ["valid_until"], "msg": "must be after valid_from"})
    elif concept.valid_until < today:
        problems.append({"loc": ["valid_until"], "msg": f"the period ended on {concept.valid_until.isoformat()}"})
    if problems:
        raise Conflict(f"Version {concept.version} of convenant {convenant.code!r} cannot be activated: "
                       + "; ".join(p["msg"] for p in problems), errors=problems)
    now = clock.now()
    previous = next((v for v in all_versions if v.status == ACTIEF), None)
    if previous is not None:
        previous.status = VERVANGEN
        previous.ended_at = now
        await session.flush()  # first: the database allows one active version per convenant
    concept.status = ACTIEF
    concept.activated_at = now
    await session.flush()
    publish.convenant_changed(session, EventType.convenant_activated, convenant.id, version=concept.version,
                              status=str(concept.status), case_types=[str(c.case_type) for c in concept.case_types])
    audit.record(session, principal, Action.convenant_activate, object_type=OBJECT_TYPE, object_id=convenant.id,
                 role=decision.role, legal_basis=_basis(convenant, concept),
                 detail={"replaced_version": previous.version if previous is not None else None})
    return await warned(session, ConvenantView(convenant, concept))


async def terminate(
    session: AsyncSession, principal: Principal, convenant_id: uuid.UUID, reason: str
) -> ConvenantView:
    """End the active version at once. A pending concept ends with it: a terminated convenant stays ended."""
    decision = _require_role(session, principal, Action.convenant_terminate, convenant_id)
    convenant, all_versions = await _load(session, convenant_id, lock=True)
    active = next((v for v in all_versions if v.status == ACTIEF), None)
    if active is None:
        raise Conflict(f"Convenant {convenant.code!r} has no active version to terminate")
    now = clock.now()
    ended = [v for v in all_versions if v.status == ACTIEF or (v.status == CONCEPT and v.version > active.version)]
    for v in ended:
        v.status = BEEINDIGD
        v.ended_at = now
        v.termination_reason = reason
    await session.flush()
    publish.convenant_changed(session, EventType.convenant_terminated, convenant.id, version=active.version,
                              status=str(active.status), case_types=[str(c.case_type) for c in active.case_types])
    audit.record(session, principal, Action.convenant_terminate, object_type=OBJECT_TYPE, object_id=convenant.id,
                 role=decision.role, legal_basis=_basis(convenant, active),
                 detail={"ended_versions": [v.version for v in ended]})
    return await warned(session, ConvenantView(convenant, active))
