"""What the worker has still to do, read from the database for /metrics (the same from any process): events not
yet fanned out, deliveries pending and the age of the oldest undelivered event, dead letters, overdue cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.cases.models import Case, CaseDeadline
from app.events.models import Delivery, OutboxEvent
from app.events.types import DeliveryStatus
from app.kit import clock
from app.workflows.model import FINAL_STATE


@dataclass(frozen=True)
class Backlog:
    undispatched: int
    pending: int
    dead: int
    oldest_undelivered_seconds: float
    overdue_cases: int
    overdue_unacted: int


def _age(moment: datetime | None, now: datetime) -> float:
    if moment is None:
        return 0.0
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return max(0.0, (now - moment).total_seconds())


async def backlog(conn: AsyncConnection) -> Backlog:
    now = clock.now()
    undispatched, oldest_new = (await conn.execute(
        select(func.count(), func.min(OutboxEvent.created_at)).where(OutboxEvent.dispatched_at.is_(None)))).one()
    by_status = dict((await conn.execute(
        select(Delivery.status, func.count()).where(Delivery.status.in_([DeliveryStatus.pending, DeliveryStatus.dead]))
        .group_by(Delivery.status))).all())
    oldest_pending = await conn.scalar(
        select(func.min(OutboxEvent.created_at)).join(Delivery, Delivery.event_seq == OutboxEvent.seq)
        .where(Delivery.status == DeliveryStatus.pending))
    late = (Case.due_at < now) & (Case.state != FINAL_STATE)
    overdue = await conn.scalar(select(func.count()).where(late)) or 0
    unacted = await conn.scalar(select(func.count()).where(late, ~select(CaseDeadline.case_id).where(
        CaseDeadline.case_id == Case.id, CaseDeadline.due_at == Case.due_at).exists())) or 0
    oldest = max(_age(oldest_new, now), _age(oldest_pending, now))
    return Backlog(undispatched=int(undispatched), pending=int(by_status.get(DeliveryStatus.pending, 0)),
                   dead=int(by_status.get(DeliveryStatus.dead, 0)), oldest_undelivered_seconds=oldest,
                   overdue_cases=int(overdue), overdue_unacted=int(unacted))
