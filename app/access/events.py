"""Who receives which event, and who manages which subscription.

An event reaches a subscription only when the subscription's organisation may see the resource now, at
delivery, by the rules every request obeys (not when the event was written: a participant removed since, or a
convenant ended since, gets nothing more):
- a case's events: READABLE_CASES for the organisation (a covering active convenant AND participation); a
  note's event also needs the note's data category among the organisation's grants for the case type;
- a signal's events: the signals a procesregisseur of the organisation would know of (`readable_signals`: its
  own organisation's, and at a care and safety house those it triages), so a melder's organisation hears of
  its own signals' triage and nobody of another organisation's signals; feedback to the melder
  (`signal.feedback_sent`) only the organisation that reported the signal, not the triaging side that sent it;
- a convenant's events: the parties to one of its versions.
Subscriptions themselves: `subscription:manage` (melder, beheerder); a melder manages its own organisation's,
a beheerder (bound to the organisations that administer the ZVH, app/access/binding.py) every organisation's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import READABLE_CASES, readable_params
from app.access.decisions import Decision, require_role
from app.access.signals import readable_signals
from app.auth.principal import Principal
from app.cases.models import Case
from app.convenants.grants import categories_of, grants_for
from app.convenants.models import ConvenantParty, ConvenantVersion
from app.events.types import EventType
from app.signals.models import Signal
from app.vocabulary import Action, DataCategory, Role

OBJECT_TYPE = "subscription"


@dataclass(frozen=True)
class Concerning:
    """What an event is about (its outbox columns)."""

    case_id: object = None
    signal_id: object = None
    convenant_id: object = None
    data_category: str | None = None
    # The event's type, for the events whose audience is narrower than their resource's (feedback to the melder).
    event_type: str | None = None


# Signal events meant for the organisation that reported the signal alone.
_TO_REPORTER_ONLY = frozenset({EventType.signal_feedback_sent})


def _as_organisation(organisation: str) -> Principal:
    # The signal rules are written for a caller; an organisation's subscription reads as its procesregisseur
    # would (its own signals; a ZVH also those it triages). Never used for a decision on a request.
    return Principal(sub=f"subscription:{organisation}", org=organisation, roles=(Role.procesregisseur,))


async def may_receive(session: AsyncSession, organisation: str, about: Concerning, today: date) -> bool:
    if about.case_id is not None:
        case_type = await session.scalar(select(Case.case_type).where(Case.id == about.case_id, READABLE_CASES),
                                         readable_params(_as_organisation(organisation), today))
        if case_type is None:
            return False
        if about.data_category is None:
            return True
        grants = await grants_for(session, organisation, case_type, today)
        # Comma-separated: a note's category and that of a state revealing a decision (app/events/publish.py).
        needed = {DataCategory(c) for c in about.data_category.split(",")}
        return needed <= categories_of(grants)
    if about.signal_id is not None and about.event_type in _TO_REPORTER_ONLY:
        return await session.scalar(select(Signal.id).where(
            Signal.id == about.signal_id, Signal.source_organisation == organisation)) is not None
    if about.signal_id is not None:
        stmt = readable_signals(_as_organisation(organisation), select(Signal.id), today).where(
            Signal.id == about.signal_id)
        return await session.scalar(stmt) is not None
    if about.convenant_id is not None:
        party = exists().where(ConvenantParty.version_id == ConvenantVersion.id,
                               ConvenantParty.organisation == organisation)
        return bool(await session.scalar(select(exists().where(
            ConvenantVersion.convenant_id == about.convenant_id, party))))
    return False


def require_subscriptions(session: AsyncSession, principal: Principal, object_id: object = None) -> Decision:
    return require_role(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE,
                        object_id=object_id)


def subscription_scope(principal: Principal) -> str | None:
    """The organisation whose subscriptions the caller manages; None: every organisation's (a beheerder)."""
    return None if principal.has_role(Role.beheerder) else principal.org
