"""A closed case's retention term: how long after closure its personal data is kept, and on what basis.

The term is the longest `retention_months` of the convenant versions that covered the case (DOMAIN.md
"Retention and rights": the longest applicable term), where a version covered the case when
- it was ever in force (`actief`, `beeindigd` or `vervangen`; a `concept` never applied),
- it covers the case's type,
- one of the organisations taking part in the case at closure is a party to it, and
- its validity period overlaps the case's life (opening day to closing day, both inclusive).
Should no version meet all four (a convenant data error: a case cannot be opened without one), the longest
term of every version ever in force for the case type applies; should there be none at all, the case has no
term and is never destroyed by a guess (the dry run lists it). Extensions add their months to the term.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import CaseParticipant, CaseRetentionExtension
from app.convenants.models import ConvenantCaseType, ConvenantParty, ConvenantVersion
from app.vocabulary import CaseType, ConvenantStatus

IN_FORCE = (ConvenantStatus.actief, ConvenantStatus.beeindigd, ConvenantStatus.vervangen)


@dataclass(frozen=True)
class Basis:
    """One convenant version the term derives from."""

    convenant_id: uuid.UUID
    version: int
    retention_months: int

    def as_json(self) -> dict[str, object]:
        return {"convenant_id": str(self.convenant_id), "version": self.version,
                "retention_months": self.retention_months}


@dataclass(frozen=True)
class Term:
    months: int  # the longest applicable retention_months
    extension_months: int
    basis: tuple[Basis, ...]  # the versions with that longest term
    fallback: bool  # no version met the participation and life conditions: every version for the case type

    @property
    def total_months(self) -> int:
        return self.months + self.extension_months


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months; the day is clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


async def extension_months(session: AsyncSession, case_id: uuid.UUID) -> int:
    total = await session.scalar(select(func.coalesce(func.sum(CaseRetentionExtension.months), 0))
                                 .where(CaseRetentionExtension.case_id == case_id))
    return int(total or 0)


async def term_of(session: AsyncSession, case_id: uuid.UUID, case_type: CaseType, created_at: datetime,
                  closed_at: datetime) -> Term | None:
    """The case's term, or None when no convenant version ever covered its type."""
    base = (select(ConvenantVersion.convenant_id, ConvenantVersion.version, ConvenantVersion.retention_months)
            .join(ConvenantCaseType, ConvenantCaseType.version_id == ConvenantVersion.id)
            .where(ConvenantCaseType.case_type == case_type, ConvenantVersion.status.in_(IN_FORCE)))
    covering = base.where(
        ConvenantVersion.valid_from <= closed_at.date(), ConvenantVersion.valid_until >= created_at.date(),
        exists().where(ConvenantParty.version_id == ConvenantVersion.id,
                       ConvenantParty.organisation.in_(select(CaseParticipant.organisation)
                                                       .where(CaseParticipant.case_id == case_id))))
    rows = [Basis(*r) for r in (await session.execute(covering)).all()]
    fallback = not rows
    if fallback:
        rows = [Basis(*r) for r in (await session.execute(base)).all()]
    if not rows:
        return None
    longest = max(r.retention_months for r in rows)
    basis = tuple(sorted((r for r in rows if r.retention_months == longest),
                         key=lambda r: (str(r.convenant_id), r.version)))
    return Term(longest, await extension_months(session, case_id), basis, fallback)
