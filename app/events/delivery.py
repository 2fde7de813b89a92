"""The worker's side of events: fan each outbox event out to its subscriptions, then deliver, retry, record.

- `dispatch`: the oldest undispatched events (`FOR UPDATE SKIP LOCKED`: several workers take disjoint
  batches) get one `event_delivery` row per live subscription that asked for their type, and are marked
  dispatched, in one transaction. The unique (subscription, event) pair makes a second fan-out impossible.
- `deliver_due`: due deliveries are claimed in the same way and leased (`lease_until`) in a short transaction;
  then, outside any transaction, each is checked against the access rules as they stand now
  (`access.may_receive`; a refusal is `withheld`, never sent) and POSTed signed (app/events/sending.py); the
  attempt and the outcome are written afterwards. A worker killed between the claim and the write loses
  nothing: the lease runs out and another worker sends it again, with the same `webhook-id` (the event id), so
  receivers can drop the repeat. Delivery is therefore at least once, and exactly once while no worker dies.
- A failure is retried with exponential backoff and full jitter (`first * 2^(n-1)`, drawn between half and
  all of it, at most 6 h apart) until the delivery is CASUSREGIE_WEBHOOK_RETRY_FOR old (24 h); then `dead`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.config import ConfigError, Settings
from app.events import sending, ssrf
from app.events.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription
from app.events.types import DeliveryStatus, EventType
from app.kit import clock
from app.kit.database import Database, table_of

log = logging.getLogger("casusregie.events")

MAX_DELAY = timedelta(hours=6)


@dataclass(frozen=True)
class DeliveryConfig:
    allow: ssrf.Allowlist
    timeout: float = 10.0
    retry_first: float = 30.0
    retry_for: float = 24 * 3600.0
    concurrency: int = 8

    @property
    def lease(self) -> timedelta:
        # Long enough for one attempt (resolving and sending stay within `timeout`) and writing it down.
        return timedelta(seconds=self.timeout + 30)

    @classmethod
    def of(cls, settings: Settings) -> DeliveryConfig:
        return cls(allow=allowlist(settings), timeout=settings.webhook_timeout,
                   retry_first=settings.webhook_retry_first, retry_for=settings.webhook_retry_for)


def allowlist(settings: Settings) -> ssrf.Allowlist:
    """CASUSREGIE_WEBHOOK_ALLOW, parsed; a malformed entry refuses to start (never a silently wider list)."""
    try:
        return ssrf.Allowlist.parse(",".join(settings.webhook_allow))
    except ValueError as exc:
        raise ConfigError(f"CASUSREGIE_WEBHOOK_ALLOW: {exc}") from exc


def backoff(attempts: int, first: float, rng: random.Random | None = None) -> timedelta:
    """The wait after the `attempts`-th failure: exponential, with jitter so retries of many deliveries spread."""
    full = min(timedelta(seconds=first * 2 ** min(attempts - 1, 30)), MAX_DELAY)
    return full * (rng or random).uniform(0.5, 1.0)


async def dispatch(db: Database, *, now: datetime | None = None, batch: int = 500) -> int:
    """Fan out one batch of events; the number of events dispatched."""
    now = now or clock.now()
    async with db.sessionmaker() as session, session.begin():
        events = (await session.execute(
            select(OutboxEvent.seq, OutboxEvent.type, OutboxEvent.created_at).where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.seq).limit(batch).with_for_update(skip_locked=True))).all()
        if not events:
            return 0
        subscriptions = (await session.execute(
            select(Subscription.id, Subscription.event_types, Subscription.created_at)
            .where(Subscription.deleted_at.is_(None)))).all()
        # A subscription hears of what happens from its creation on, not of what was waiting in the outbox.
        rows = [{"id": uuid.uuid4(), "subscription_id": sub_id, "event_seq": seq, "status": DeliveryStatus.pending,
                 "attempts": 0, "next_attempt_at": now, "created_at": now}
                for seq, event_type, at in events for sub_id, types, since in subscriptions
                if event_type in types and since <= at]
        if rows:
            await session.execute(insert(table_of(Delivery)), rows)
        await session.execute(update(OutboxEvent).where(OutboxEvent.seq.in_([event.seq for event in events]))
                              .values(dispatched_at=now))
    return len(events)


@dataclass(frozen=True)
class Claimed:
    delivery_id: uuid.UUID
    attempts: int
    created_at: datetime
    lease_until: datetime
    url: str
    secret: str
    organisation: str
    event_id: uuid.UUID
    event_type: str
    envelope: str
    about: access.Concerning


async def claim(db: Database, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    lease_until = now + lease
    async with db.sessionmaker() as session, session.begin():
        ids = list((await session.scalars(
            select(Delivery.id).where(Delivery.status == DeliveryStatus.pending, Delivery.next_attempt_at <= now,
                                      or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
            .order_by(Delivery.next_attempt_at).limit(limit).with_for_update(skip_locked=True))).all())
        if not ids:
            return []
        await session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(lease_until=lease_until))
        rows = (await session.execute(
            select(Delivery.id, Delivery.attempts, Delivery.created_at, Subscription.url, Subscription.secret,
                   Subscription.organisation, OutboxEvent.id, OutboxEvent.type, OutboxEvent.envelope,
                   OutboxEvent.case_id, OutboxEvent.signal_id, OutboxEvent.convenant_id, OutboxEvent.data_category)
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .join(OutboxEvent, OutboxEvent.seq == Delivery.event_seq)
            .where(Delivery.id.in_(ids)).order_by(Delivery.next_attempt_at))).all()
    return [Claimed(r[0], r[1], r[2], lease_until, r[3], r[4], r[5], r[6], r[7], r[8],
                    access.Concerning(case_id=r[9], signal_id=r[10], convenant_id=r[11], data_category=r[12],
                                      event_type=r[7]))
            for r in rows]


async def _allowed(db: Database, item: Claimed, now: datetime) -> bool:
    if item.event_type == EventType.subscription_ping:
        return True  # about no resource; made for this subscription alone (app/events/subscriptions.py)
    async with db.sessionmaker() as session:
        return await access.may_receive(session, item.organisation, item.about, now.date())


async def _record(session: AsyncSession, item: Claimed, now: datetime, outcome: str, result: sending.SendResult | None,
                  config: DeliveryConfig) -> DeliveryStatus:
    number = item.attempts + 1
    session.add(DeliveryAttempt(delivery_id=item.delivery_id, number=number, at=now, outcome=outcome,
                                status_code=result.status_code if result else None,
                                error=result.error if result else "not visible to the organisation now",
                                duration_ms=result.duration_ms if result else 0))
    status: DeliveryStatus
    values: dict[str, object] = {"attempts": number, "lease_until": None,
                                 "last_status_code": result.status_code if result else None,
                                 "last_error": result.error if result else None}
    if outcome == "failed":
        retry_at = now + backoff(number, config.retry_first)
        if retry_at - item.created_at > timedelta(seconds=config.retry_for):
            status = DeliveryStatus.dead
            values |= {"status": status, "finished_at": now}
        else:
            status = DeliveryStatus.pending
            values |= {"next_attempt_at": retry_at}
    else:
        status = DeliveryStatus(outcome)  # delivered | withheld
        values |= {"status": status, "finished_at": now}
    # Only while the lease is ours: a delivery re-leased by another worker after ours ran out is theirs to write.
    await session.execute(update(Delivery).where(and_(Delivery.id == item.delivery_id,
                                                      Delivery.lease_until == item.lease_until))
                          .values(**values))
    return status


async def deliver_one(db: Database, item: Claimed, config: DeliveryConfig) -> DeliveryStatus:
    now = clock.now()
    result: sending.SendResult | None = None
    if not await _allowed(db, item, now):
        outcome = "withheld"
    else:
        # The signature's timestamp is the wall clock's: receivers check it against theirs.
        result = await sending.send(item.url, item.envelope.encode(), event_id=str(item.event_id), secret=item.secret,
                                    allow=config.allow, at=datetime.now(UTC), timeout=config.timeout)
        outcome = "delivered" if result.ok else "failed"
    async with db.sessionmaker() as session, session.begin():
        status = await _record(session, item, clock.now(), outcome, result, config)
    log.info("webhook delivery", extra={"delivery_id": str(item.delivery_id), "event_id": str(item.event_id),
                                        "status": status})
    return status


async def deliver_due(db: Database, config: DeliveryConfig, *, limit: int | None = None) -> dict[str, int]:
    """Claim and deliver what is due, `concurrency` at a time, until nothing is (or `limit` were tried)."""
    done: dict[str, int] = {}
    tried = 0
    while limit is None or tried < limit:
        batch = await claim(db, clock.now(), config.concurrency, config.lease)
        if not batch:
            break
        for status in await asyncio.gather(*(deliver_one(db, item, config) for item in batch)):
            done[status] = done.get(status, 0) + 1
        tried += len(batch)
    return done


async def events_pass(db: Database, config: DeliveryConfig) -> dict[str, int]:
    """Fan out everything written so far, then deliver what is due."""
    while await dispatch(db):
        pass
    return await deliver_due(db, config)
