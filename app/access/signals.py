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

"Covers" is `convenants.grants.coverage`, the rule cases use too.

Feedback to the melder (`signal:feedback`, procesregisseur) comes from the triaging side: a caller who knows of
the signal (the rule above) and is not of the organisation that reported it (that one would be writing to
itself; at a municipality, which sees only its own organisation's signals, this leaves nothing).
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVarTuple

from sqlalchemy import Select, and_, exists, false, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.access.decisions import Decision, deny, granting_role, require_role
from app.auth.principal import Principal
from app.convenants.grants import coverage
from app.convenants.models import ConvenantCaseType, ConvenantParty, ConvenantVersion
from app.kit import clock
from app.kit.errors import NotAllowed
from app.organisations import lookup as organisations
from app.organisations.models import Organisation
from app.signals.models import Signal
from app.vocabulary import Action, OrganisationKind

_Ts = TypeVarTuple("_Ts")  # the columns of a statement that a filter passes through

OBJECT_TYPE = "signal"


def may_see_all_signals(principal: Principal) -> bool:
    """`signal:read` (procesregisseur): content and matches of the signals it may know of."""
    return granting_role(principal, Action.signal_read) is not None


def _covers_hint(organisation: Any, day: date) -> Any:
    """Some version counting on `day` names `organisation` and covers the signal's case type hint."""
    return coverage(ConvenantVersion.id, day=day, organisation=organisation).where(
        ConvenantCaseType.case_type == Signal.case_type_hint).exists()


def readable_signals(principal: Principal, stmt: Select[*_Ts], today: date | None = None) -> Select[*_Ts]:
    """Limit `stmt` (selecting from Signal) to the signals the caller may know of, in SQL."""
    if may_see_all_signals(principal):
        day = today or clock.today()
        sender = aliased(ConvenantParty)
        shared = coverage(ConvenantVersion.id, day=day, organisation=principal.org).where(
            ConvenantCaseType.case_type == Signal.case_type_hint,
            # Correlated two levels out (the signal) as well as one (the version): only `sender` is its own.
            exists().where(sender.version_id == ConvenantVersion.id,
                           sender.organisation == Signal.source_organisation).correlate_except(sender),
        ).exists()
        unbound_sender = and_(_covers_hint(principal.org, day), ~_covers_hint(Signal.source_organisation, day))
        triages_for_others = exists().where(Organisation.code == principal.org,
                                            Organisation.kind == OrganisationKind.zvh)
        return stmt.where(or_(Signal.source_organisation == principal.org,
                              and_(triages_for_others, or_(shared, unbound_sender))))
    if granting_role(principal, Action.signal_read_own) is not None:
        return stmt.where(Signal.source_organisation == principal.org)
    return stmt.where(false())


def signal_reader(session: AsyncSession, principal: Principal, object_id: Any = None) -> Decision:
    """`signal:read` (every signal it may know of, in full) or `signal:read_own` (its organisation's, status
    only); neither: a denied, audited 403."""
    for action in (Action.signal_read, Action.signal_read_own):
        role = granting_role(principal, action)
        if role is not None:
            return Decision(action=action, role=role)
    deny(session, principal, Action.signal_read, object_type=OBJECT_TYPE, object_id=object_id, reason="role")
    raise NotAllowed("None of your roles may read signals")


def require_feedback(session: AsyncSession, principal: Principal, decision: Decision, signal: Signal) -> Decision:
    """`decision` (the role's `signal:feedback`) on a signal the caller knows of (a 404 otherwise, decided by the
    loader through `readable_signals`), if the caller is on its triaging side; its own organisation's: 403."""
    if signal.source_organisation == principal.org:
        deny(session, principal, Action.signal_feedback, object_type=OBJECT_TYPE, object_id=signal.id,
             reason="own organisation's signal")
        raise NotAllowed("Feedback goes from the triaging side to the organisation that reported the signal; "
                         "this is your own organisation's signal")
    return decision


async def require_sender(session: AsyncSession, principal: Principal) -> Decision:
    """Posting signals needs the role and an organisation registered as ketenpartner."""
    decision = require_role(session, principal, Action.signal_create, object_type=OBJECT_TYPE)
    if await organisations.kind_of(session, principal.org) is None:
        deny(session, principal, Action.signal_create, object_type=OBJECT_TYPE, reason="unknown organisation")
        raise NotAllowed(f"Your organisation {principal.org!r} is not a registered ketenpartner")
    return decision
