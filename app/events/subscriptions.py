"""Subscriptions: create, list, read, delete, their delivery log, and a ping (issue 14 item 4).

Access is `access.require_subscriptions` and `access.subscription_scope`: a subscription outside the caller's
scope does not exist for it (404, audited), like a case it may not see. The URL must pass the SSRF guard when
the subscription is made (a 422 naming the field) and again at every delivery (the worker).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.events import outbox, sending, ssrf
from app.events.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription
from app.events.types import DeliveryStatus, EventType
from app.kit import clock
from app.kit.errors import NotAllowed, NotFound, ValidationFailed
from app.kit.paging import Window, window
from app.organisations import lookup as organisations
from app.vocabulary import Action

OBJECT_TYPE = "subscription"


def _err(loc: list[Any], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg}


async def create(
    session: AsyncSession, principal: Principal, *, url: str, event_types: list[str], secret: str | None,
    organisation: str | None, allow: ssrf.Allowlist,
) -> tuple[Subscription, str]:
    """The new subscription and its secret (shown to the caller this once)."""
    decision = access.require_subscriptions(session, principal)
    owner = organisation or principal.org
    scope = access.subscription_scope(principal)
    if scope is not None and owner != scope:
        access.deny(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE, object_id=owner,
                    reason="another organisation's subscription needs the beheerder role")
        raise NotAllowed(f"You may manage only your own organisation's subscriptions, not {owner!r}'s")
    errors: list[dict[str, Any]] = []
    if await organisations.kind_of(session, owner) is None:
        errors.append(_err(["body", "organisation" if organisation else "org"], "no such organisation"))
    problem = ssrf.url_problem(url)
    if problem is None:
        try:
            await ssrf.resolve_allowed(url, allow)
        except ssrf.AddressNotAllowed as exc:
            problem = str(exc)
    if problem is not None:
        errors.append(_err(["body", "url"], problem))
    if secret is not None and (secret_error := sending.secret_problem(secret)) is not None:
        errors.append(_err(["body", "secret"], secret_error))
    if errors:
        raise ValidationFailed("The subscription cannot be made as requested", errors=errors)
    now = clock.now()
    subscription = Subscription(
        id=uuid.uuid4(), organisation=owner, url=url, event_types=list(dict.fromkeys(event_types)),
        secret=secret or sending.new_secret(), created_at=now, created_by=principal.sub)
    session.add(subscription)
    await session.flush()
    audit.record(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE, object_id=subscription.id,
                 role=decision.role, detail={"operation": "create", "organisation": owner,
                                             "event_types": subscription.event_types})
    return subscription, subscription.secret


def _visible(principal: Principal) -> Any:
    scope = access.subscription_scope(principal)
    condition = Subscription.deleted_at.is_(None)
    return condition if scope is None else condition & (Subscription.organisation == scope)


async def _load(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, operation: str,
                *, lock: bool = False) -> tuple[Subscription, access.Decision]:
    decision = access.require_subscriptions(session, principal, subscription_id)
    stmt = select(Subscription).where(Subscription.id == subscription_id, _visible(principal))
    if lock:
        stmt = stmt.with_for_update()
    subscription = await session.scalar(stmt)
    if subscription is None:
        access.deny(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE,
                    object_id=subscription_id, reason=f"{operation}: not found or not yours")
        raise NotFound("Subscription not found")
    return subscription, decision


async def list_page(
    session: AsyncSession, principal: Principal, *, limit: int, after: tuple[datetime, uuid.UUID] | None,
) -> Window[Subscription]:
    decision = access.require_subscriptions(session, principal)
    stmt = select(Subscription).where(_visible(principal))
    if after is not None:
        stmt = stmt.where(tuple_(Subscription.created_at, Subscription.id) > tuple_(*after))
    stmt = stmt.order_by(Subscription.created_at, Subscription.id).limit(limit + 1)
    page = window(list((await session.execute(stmt)).scalars()), limit)
    audit.record(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE, role=decision.role,
                 detail={"operation": "list", "subscription_ids": [str(s.id) for s in page.items]})
    return page


async def get(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> Subscription:
    subscription, decision = await _load(session, principal, subscription_id, "read")
    audit.record(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE, object_id=subscription.id,
                 role=decision.role, detail={"operation": "read"})
    return subscription


async def delete(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Unsubscribe: no new deliveries; those still pending are cancelled. The rows stay, for the log."""
    subscription, decision = await _load(session, principal, subscription_id, "delete", lock=True)
    now = clock.now()
    subscription.deleted_at = now
    await session.execute(update(Delivery).where(Delivery.subscription_id == subscription.id,
                                                 Delivery.status == DeliveryStatus.pending)
                          .values(status=DeliveryStatus.cancelled, finished_at=now, lease_until=None))
    audit.record(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE, object_id=subscription.id,
                 role=decision.role, detail={"operation": "delete"})


async def deliveries(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, *, limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[Window[tuple[Delivery, OutboxEvent]], dict[uuid.UUID, list[DeliveryAttempt]]]:
    """Newest first, each with its attempts."""
    subscription, decision = await _load(session, principal, subscription_id, "deliveries")
    stmt = (select(Delivery, OutboxEvent).join(OutboxEvent, OutboxEvent.seq == Delivery.event_seq)
            .where(Delivery.subscription_id == subscription.id))
    if after is not None:
        stmt = stmt.where(tuple_(Delivery.created_at, Delivery.id) < tuple_(*after))
    stmt = stmt.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit + 1)
    page = window([(d, e) for d, e in (await session.execute(stmt)).all()], limit)
    attempts: dict[uuid.UUID, list[DeliveryAttempt]] = {d.id: [] for d, _ in page.items}
    if attempts:
        rows = await session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(list(attempts)))
                                     .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number))
        for attempt in rows:
            attempts[attempt.delivery_id].append(attempt)
    audit.record(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE, object_id=subscription.id,
                 role=decision.role, detail={"operation": "deliveries",
                                             "delivery_ids": [str(d.id) for d, _ in page.items]})
    return page, attempts


async def ping(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """A `subscription.ping` event for this subscription only, delivered by the worker like any other (signed,
    logged, retried): it concerns no resource, so it passes no access rule but reaches no one else."""
    subscription, decision = await _load(session, principal, subscription_id, "test")
    now = clock.now()
    values = outbox.row(EventType.subscription_ping, subscription.id,
                        {"subscription_id": subscription.id, "organisation": subscription.organisation}, at=now)
    event = OutboxEvent(**values, dispatched_at=now)  # fanned out here, to this subscription alone
    session.add(event)
    await session.flush()
    delivery = Delivery(id=uuid.uuid4(), subscription_id=subscription.id, event_seq=event.seq,
                        status=DeliveryStatus.pending, attempts=0, next_attempt_at=now, created_at=now)
    session.add(delivery)
    await session.flush()
    audit.record(session, principal, Action.subscription_manage, object_type=OBJECT_TYPE, object_id=subscription.id,
                 role=decision.role, detail={"operation": "test", "delivery_id": str(delivery.id)})
    return delivery.id, event.id
