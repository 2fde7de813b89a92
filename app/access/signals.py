"""Signal access.

A melder knows only its own organisation's signals (status only). A procesregisseur knows its own
organisation's signals. Signals of other organisations are triaged at the care and safety house: a
procesregisseur of an organisation of kind `zvh` also knows the signals of organisations it shares an
active, currently valid convenant with that covers the signal's case type hint, and those of an
organisation bound by no convenant for that type (a school reporting once) when a convenant for the
type names the ZVH. A municipality's procesregisseur (OOV) triages what its own organisation reports
and sees other partners' information only through the cases it participates in: two municipalities in
one regional convenant, or two care and safety houses, never see each other's signal queues (data
minimisation; found by Schemathesis' object-level authorization check).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, false, or_
from sqlalchemy.orm import aliased

from app import clock
from app.access.decisions import granting_role
from app.convenants.models import ConvenantCaseType, ConvenantParty
from app.convenants.service import active_versions_stmt
from app.organisations.models import Organisation
from app.principal import Principal
from app.signals.models import Signal


def may_see_all_signals(principal: Principal) -> bool:
    """`signal:read` (procesregisseur): content and matches of the signals it may know of."""
    return granting_role(principal, "signal:read") is not None


def readable_signals(principal: Principal, stmt: Select[Any], today: date | None = None) -> Select[Any]:
    """Limit `stmt` (selecting from Signal) to the signals the caller may know of, in SQL."""
    if may_see_all_signals(principal):
        active = active_versions_stmt(today or clock.today()).subquery()

        def party(org: Any) -> Any:
            p, ct = aliased(ConvenantParty), aliased(ConvenantCaseType)
            return (exists().where(p.version_id == active.c.id, p.organisation == org)
                    .where(ct.version_id == active.c.id, ct.case_type == Signal.case_type_hint))

        mine, theirs = aliased(ConvenantParty), aliased(ConvenantParty)
        shared = (
            exists()
            .where(mine.version_id == active.c.id, mine.organisation == principal.org)
            .where(theirs.version_id == active.c.id, theirs.organisation == Signal.source_organisation)
            .where(ConvenantCaseType.version_id == active.c.id, ConvenantCaseType.case_type == Signal.case_type_hint)
        )
        unbound_sender = and_(party(principal.org), ~party(Signal.source_organisation))
        triages_for_others = exists().where(Organisation.code == principal.org, Organisation.kind == "zvh")
        return stmt.where(or_(Signal.source_organisation == principal.org,
                              and_(triages_for_others, or_(shared, unbound_sender))))
    if granting_role(principal, "signal:read_own") is not None:
        return stmt.where(Signal.source_organisation == principal.org)
    return stmt.where(false())
