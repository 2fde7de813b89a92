"""Feedback (terugkoppeling) to the melder: a short message from the triaging side to the organisation that
reported a signal. Stored, audited (ids only), published as `signal.feedback_sent` for that organisation's
subscriptions, and shown on its view of the signal. The message is never logged, audited or put in an event."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.convenants.grants import best_grant, grants_for
from app.events import publish
from app.kit import clock
from app.signals.models import SignalFeedback
from app.signals.schemas import FeedbackIn, FeedbackOut
from app.signals.service import OBJECT_TYPE, load_visible
from app.vocabulary import Action


async def send(session: AsyncSession, principal: Principal, signal_id: uuid.UUID, body: FeedbackIn) -> FeedbackOut:
    """POST /v1/signals/{id}/feedback: 403 without the role, 404 for a signal the caller does not know of, 403 for
    its own organisation's signal; at any status (\"we are looking into it\" comes before triage)."""
    decision = access.require_role(session, principal, Action.signal_feedback, object_type=OBJECT_TYPE,
                                   object_id=signal_id)
    signal = await load_visible(session, principal, signal_id, Action.signal_feedback)
    decision = access.require_feedback(session, principal, decision, signal)
    feedback = SignalFeedback(id=uuid.uuid4(), signal_id=signal.id, from_organisation=principal.org,
                              author_sub=principal.sub, message=body.message, created_at=clock.now())
    session.add(feedback)
    await session.flush()
    grant = best_grant(await grants_for(session, principal.org, signal.case_type_hint, clock.today()))
    audit.record(session, principal, Action.signal_feedback, object_type=OBJECT_TYPE, object_id=signal.id,
                 role=decision.role, case_id=signal.case_id, subject_ids=[signal.subject_id],
                 legal_basis=grant.basis if grant else None,
                 detail={"feedback_id": str(feedback.id), "to_organisation": signal.source_organisation,
                         "message_length": len(body.message)})
    publish.signal_feedback_sent(session, signal.id, feedback_id=feedback.id, from_organisation=principal.org)
    return FeedbackOut(id=feedback.id, message=feedback.message, from_organisation=feedback.from_organisation,
                       at=feedback.created_at)
