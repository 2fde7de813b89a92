"""The event types partner systems can subscribe to: `nl.zvh.casusregie.<resource>.<event>` (DESIGN.md "Events").

A case's participants, plan and notes are parts of the case: their events are about the case (`subject` is the
case id) and reach whoever may see the case; a note's event also needs its data category (app/access/events.py).
"""

from __future__ import annotations

from enum import StrEnum

PREFIX = "nl.zvh.casusregie."


class EventType(StrEnum):
    case_created = "case.created"
    case_transitioned = "case.transitioned"
    case_overdue = "case.overdue"
    case_participant_added = "case.participant_added"
    case_participant_removed = "case.participant_removed"
    case_plan_adopted = "case.plan_adopted"
    case_note_added = "case.note_added"
    signal_received = "signal.received"
    signal_triaged = "signal.triaged"
    # Feedback (terugkoppeling) to the organisation that reported the signal: delivered to that organisation only.
    signal_feedback_sent = "signal.feedback_sent"
    convenant_activated = "convenant.activated"
    convenant_terminated = "convenant.terminated"
    # Sent only by POST /v1/subscriptions/{id}/test, to that subscription: nothing about any resource.
    subscription_ping = "subscription.ping"

    @property
    def uri(self) -> str:
        """The CloudEvents `type` attribute."""
        return PREFIX + self.value

    @property
    def resource(self) -> str:
        return self.value.split(".", 1)[0]


class DeliveryStatus(StrEnum):
    """An event's delivery to one subscription: `pending` until delivered, `withheld` (the organisation may not
    see the resource at delivery time), `dead` (retried for CASUSREGIE_WEBHOOK_RETRY_FOR), `cancelled`
    (unsubscribed)."""

    pending = "pending"
    delivered = "delivered"
    withheld = "withheld"
    dead = "dead"
    cancelled = "cancelled"


SUBSCRIBABLE = tuple(t for t in EventType if t != EventType.subscription_ping)
