"""What active convenants grant: the one "active and currently valid" predicate, and what derives from it.

A convenant version counts on a day when it is `actief` and the day lies within `valid_from ..
valid_until`, both ends inclusive (`active_on`, written only here). `coverage` joins such versions to
their parties and case types; grants, the parties of a case type, the case list filter
(`app/access/cases.py`) and the signal filter (`app/access/signals.py`) are all built on it, so a
change to the rule changes every one of them. Validity is evaluated at query time against the day the
caller passes (`clock.today()`), so ending or expiry removes access at once, with no restart.
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Date, Select, String, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.record import LegalBasis
from app.convenants.models import (
    ConvenantCaseType,
    ConvenantEpoch,
    ConvenantParty,
    ConvenantPartyCategory,
    ConvenantVersion,
)
from app.organisations.models import Organisation
from app.vocabulary import CaseType, ConvenantStatus, DataCategory, PartyRole

_Ts = TypeVarTuple("_Ts")  # the columns of a statement that a filter passes through


def active_on(day: date | ColumnElement[Any]) -> ColumnElement[bool]:
    """The version is `actief` and `day` lies within its validity period (both ends inclusive)."""
    return and_(ConvenantVersion.status == ConvenantStatus.actief,
                ConvenantVersion.valid_from <= day, ConvenantVersion.valid_until >= day)


def coverage(*columns: Any, day: date | ColumnElement[Any], organisation: Any = None) -> Select[Any]:
    """`columns` over (active version, party, covered case type) rows on `day`, for one party if given.

    `organisation` may be a value, a bind parameter or a correlated column."""
    stmt = (
        select(*columns).select_from(ConvenantVersion)
        .join(ConvenantParty, ConvenantParty.version_id == ConvenantVersion.id)
        .join(ConvenantCaseType, ConvenantCaseType.version_id == ConvenantVersion.id)
        .where(active_on(day))
    )
    if organisation is not None:
        stmt = stmt.where(ConvenantParty.organisation == organisation)
    return stmt


def active_versions(day: date) -> Select[ConvenantVersion]:
    """The versions that count on `day` (for the processing register)."""
    return select(ConvenantVersion).where(active_on(day))


def covered_case_types(organisation: Any, day: date | ColumnElement[Any]) -> Select[Any]:
    """The case types some version that counts on `day` covers for `organisation`."""
    return coverage(ConvenantCaseType.case_type, day=day, organisation=organisation)


@dataclass(frozen=True)
class Grant:
    """What one active, currently valid convenant version grants one organisation for one case type."""

    convenant_id: uuid.UUID
    version: int
    version_id: uuid.UUID
    legal_basis: str
    role: PartyRole
    categories: frozenset[DataCategory]

    @property
    def basis(self) -> LegalBasis:
        return LegalBasis(self.convenant_id, self.version, self.legal_basis)


def best_grant(grants: list[Grant] | tuple[Grant, ...]) -> Grant | None:
    """The legal basis recorded for an access: the grant covering the most categories, then the lowest
    convenant id (stable)."""
    if not grants:
        return None
    return min(grants, key=lambda g: (-len(g.categories), str(g.convenant_id)))


def categories_of(grants: list[Grant] | tuple[Grant, ...]) -> frozenset[DataCategory]:
    """The data categories the grants give together."""
    return frozenset().union(*(g.categories for g in grants))


# The columns of a grant row; a row per (version, category), or one with category NULL.
GRANT_COLUMNS = (ConvenantVersion.convenant_id, ConvenantVersion.version, ConvenantVersion.id,
                 ConvenantVersion.legal_basis, ConvenantParty.role, ConvenantPartyCategory.category)


def with_categories(stmt: Select[*_Ts]) -> Select[*_Ts]:
    """Add the party's categories to a `coverage(*GRANT_COLUMNS, ...)` statement."""
    return stmt.outerjoin(ConvenantPartyCategory, and_(
        ConvenantPartyCategory.version_id == ConvenantParty.version_id,
        ConvenantPartyCategory.organisation == ConvenantParty.organisation))


def grants_of(rows: Any) -> list[Grant]:
    """Grants from rows of GRANT_COLUMNS, one per version."""
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for convenant_id, version, version_id, legal_basis, role, category in rows:
        entry = found.setdefault(version_id, {"convenant_id": convenant_id, "version": version,
                                              "legal_basis": legal_basis, "role": role, "categories": set()})
        if category is not None:
            entry["categories"].add(DataCategory(category))
    return [
        Grant(convenant_id=e["convenant_id"], version=e["version"], version_id=vid, legal_basis=e["legal_basis"],
              role=PartyRole(e["role"]), categories=frozenset(e["categories"]))
        for vid, e in found.items()
    ]


# Built once: a per-call select() costs more Python time than PostgreSQL spends answering it (bench/).
_GRANTS = (
    with_categories(coverage(*GRANT_COLUMNS, day=bindparam("today", type_=Date()),
                             organisation=bindparam("organisation", type_=String())))
    .where(ConvenantCaseType.case_type == bindparam("case_type", type_=String()))
    .order_by(ConvenantVersion.convenant_id, ConvenantVersion.version)
)


async def grants_for(session: AsyncSession, organisation: str, case_type: CaseType | str, day: date) -> list[Grant]:
    """One grant per version that counts on `day`, names `organisation` and covers `case_type`."""
    params = {"today": day, "organisation": organisation, "case_type": str(case_type)}
    return grants_of((await session.execute(_GRANTS, params)).all())


async def parties_for(session: AsyncSession, case_type: CaseType | str, day: date) -> set[str]:
    """Organisations party to a version that counts on `day` and covers `case_type`."""
    stmt = (coverage(ConvenantParty.organisation, day=day)
            .where(ConvenantCaseType.case_type == str(case_type)).distinct())
    return set((await session.execute(stmt)).scalars())


# The current epoch token, as a column a statement can carry (the case statements do: app/cases/loading.py).
EPOCH = select(ConvenantEpoch.token).where(ConvenantEpoch.id == 1).scalar_subquery()

_CACHE_ENTRIES = 4096


# The parties covering a case type on a day, with their organisation kinds (the level owners' candidates).
_PARTY_KINDS = (coverage(ConvenantParty.organisation, Organisation.kind, day=bindparam("today", type_=Date()))
                .join(Organisation, Organisation.code == ConvenantParty.organisation)
                .where(ConvenantCaseType.case_type == bindparam("case_type", type_=String())).distinct())


async def party_kinds(session: AsyncSession, case_type: CaseType | str, day: date) -> dict[str, str]:
    """Organisation -> kind, for the parties to a version that counts on `day` and covers `case_type`."""
    rows = await session.execute(_PARTY_KINDS, {"today": day, "case_type": str(case_type)})
    return {code: str(kind) for code, kind in rows}


class GrantCache:
    """Grants of (organisation, case type, day) per process, valid while the convenant epoch token is the one
    they were read under. The caller reads the token in a statement it sends anyway, so a convenant change
    shows on the very next request, with no restart and no extra round trip. One cache per engine: the
    tokens of two databases say nothing about each other. The parties per (case type, day) likewise."""

    def __init__(self) -> None:
        self._token: str | None = None
        self._grants: dict[tuple[str, str, date], tuple[Grant, ...]] = {}
        self._parties: dict[tuple[str, date], dict[str, str]] = {}

    def _at(self, token: str) -> None:
        if token != self._token:
            self._grants.clear()
            self._parties.clear()
            self._token = token

    async def party_kinds(self, session: AsyncSession, token: str, case_type: CaseType | str,
                          day: date) -> dict[str, str]:
        self._at(token)
        key = (str(case_type), day)
        found = self._parties.get(key)
        if found is None:
            found = await party_kinds(session, case_type, day)
            if token == self._token:
                if len(self._parties) >= _CACHE_ENTRIES:
                    self._parties.clear()
                self._parties[key] = found
        return found

    async def grants(self, session: AsyncSession, token: str, organisation: str, case_type: CaseType | str,
                     day: date) -> tuple[Grant, ...]:
        self._at(token)
        key = (organisation, str(case_type), day)
        found = self._grants.get(key)
        if found is None:
            found = tuple(await grants_for(session, organisation, case_type, day))
            if token == self._token:  # not replaced while this one waited on the database
                if len(self._grants) >= _CACHE_ENTRIES:
                    self._grants.clear()
                self._grants[key] = found
        return found


_caches: weakref.WeakKeyDictionary[Any, GrantCache] = weakref.WeakKeyDictionary()


def cache_for(session: AsyncSession) -> GrantCache:
    bind = session.get_bind()
    pool = bind.engine.pool  # one per database; an engine with other execution options shares it
    cache = _caches.get(pool)
    if cache is None:
        cache = _caches[pool] = GrantCache()
    return cache
