"""Webhook subscriptions (issue 14 item 4): app/events/subscriptions.py decides, the worker delivers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from app.api.deps import PrincipalDep, SessionDep
from app.api.pagination import CursorQuery, LimitQuery, after_time_id, next_cursor, time_id_key
from app.api.responses import PROBLEMS
from app.events import subscriptions
from app.events.schemas import (
    AttemptOut,
    DeliveryOut,
    DeliveryPage,
    PingAccepted,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
    SubscriptionPage,
)
from app.events.types import DeliveryStatus

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubscriptionCreated,
             responses=PROBLEMS(401, 403, 422))
async def create_subscription(body: SubscriptionCreate, request: Request, session: SessionDep,
                              principal: PrincipalDep, response: Response) -> SubscriptionCreated:
    """Subscribe an organisation's endpoint to event types. The answer shows the signing secret, once."""
    subscription, secret = await subscriptions.create(
        session, principal, url=body.url, event_types=body.event_types, secret=body.secret,
        organisation=body.organisation, allow=request.app.state.webhook_allow)
    response.headers["Location"] = f"/v1/subscriptions/{subscription.id}"
    return SubscriptionCreated(**SubscriptionOut.model_validate(subscription).model_dump(), secret=secret)


@router.get("", response_model=SubscriptionPage, responses=PROBLEMS(401, 403, 422))
async def list_subscriptions(session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50,
                             cursor: CursorQuery = None) -> SubscriptionPage:
    page = await subscriptions.list_page(session, principal, limit=limit, after=after_time_id(cursor))
    return SubscriptionPage(items=[SubscriptionOut.model_validate(s) for s in page.items],
                            next_cursor=next_cursor(page, time_id_key))


@router.get("/{subscription_id}", response_model=SubscriptionOut, responses=PROBLEMS(401, 403, 404, 422))
async def get_subscription(subscription_id: uuid.UUID, session: SessionDep,
                           principal: PrincipalDep) -> SubscriptionOut:
    return SubscriptionOut.model_validate(await subscriptions.get(session, principal, subscription_id))


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=PROBLEMS(401, 403, 404, 422))
async def delete_subscription(subscription_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    """Unsubscribe: nothing more is delivered; pending deliveries are cancelled; the log stays readable by the
    auditor (audit log), not here."""
    await subscriptions.delete(session, principal, subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=DeliveryPage, responses=PROBLEMS(401, 403, 404, 422))
async def list_deliveries(subscription_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                          limit: LimitQuery = 50, cursor: CursorQuery = None) -> DeliveryPage:
    """Newest first: each event sent (or withheld) to this subscription, with every attempt."""
    page, attempts = await subscriptions.deliveries(session, principal, subscription_id, limit=limit,
                                                    after=after_time_id(cursor))
    items = [DeliveryOut(id=d.id, event_id=e.id, event_type=e.type, subject=e.subject, status=d.status,
                         attempts=d.attempts,
                         next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.pending else None,
                         last_status_code=d.last_status_code, last_error=d.last_error, created_at=d.created_at,
                         finished_at=d.finished_at,
                         attempt_log=[AttemptOut.model_validate(a) for a in attempts[d.id]])
             for d, e in page.items]
    return DeliveryPage(items=items, next_cursor=next_cursor(page, lambda row: time_id_key(row[0])))


@router.post("/{subscription_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=PingAccepted,
             responses=PROBLEMS(401, 403, 404, 422))
async def test_subscription(subscription_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                            response: Response) -> PingAccepted:
    """Queue a signed `subscription.ping` for this endpoint; the worker sends it (see the deliveries)."""
    delivery_id, event_id = await subscriptions.ping(session, principal, subscription_id)
    response.headers["Location"] = f"/v1/subscriptions/{subscription_id}/deliveries"
    return PingAccepted(delivery_id=delivery_id, event_id=event_id, status=DeliveryStatus.pending)
