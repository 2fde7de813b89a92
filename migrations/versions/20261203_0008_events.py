"""events: the transactional outbox, subscriptions, deliveries and their attempts

Revision ID: 0008_events
Revises: 0007_case_deadlines
Create Date: 2026-12-03

Each change writes its CloudEvent into event_outbox in its own transaction; the worker fans events out to the
matching subscriptions (event_delivery, one row per event and subscription) and records every attempt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_events"
down_revision = "0007_case_deadlines"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "event_outbox",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("case_id", sa.Uuid()),
        sa.Column("signal_id", sa.Uuid()),
        sa.Column("convenant_id", sa.Uuid()),
        sa.Column("data_category", sa.String(40)),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_event_outbox_undispatched", "event_outbox", ["seq"],
                    postgresql_where=sa.text("dispatched_at IS NULL"), sqlite_where=sa.text("dispatched_at IS NULL"))
    op.create_table(
        "event_subscription",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("organisation", sa.String(64), sa.ForeignKey("organisation.code"), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "event_delivery",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("subscription_id", sa.Uuid(), sa.ForeignKey("event_subscription.id"), nullable=False),
        sa.Column("event_seq", SEQ, sa.ForeignKey("event_outbox.seq"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("last_error", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("subscription_id", "event_seq", name="uq_event_delivery_once"),
    )
    op.create_index("ix_event_delivery_due", "event_delivery", ["next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.create_table(
        "event_delivery_attempt",
        sa.Column("delivery_id", sa.Uuid(), sa.ForeignKey("event_delivery.id"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error", sa.String(200)),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("event_delivery_attempt")
    op.drop_index("ix_event_delivery_due", table_name="event_delivery")
    op.drop_table("event_delivery")
    op.drop_table("event_subscription")
    op.drop_index("ix_event_outbox_undispatched", table_name="event_outbox")
    op.drop_table("event_outbox")
