"""foundation: organisations and the hash-chained audit log

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("code", name="uq_organisation_code"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", SeqType, primary_key=True, autoincrement=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_sub", sa.String(200), nullable=False),
        sa.Column("actor_org", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(40)),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(100)),
        sa.Column("case_id", sa.Uuid()),
        sa.Column("subject_ids", sa.JSON(), nullable=False),
        sa.Column("convenant_id", sa.Uuid()),
        sa.Column("convenant_version", sa.Integer()),
        sa.Column("legal_basis", sa.Text()),
        sa.Column("toelichting", sa.Text()),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("detail", sa.JSON()),
        sa.Column("request_id", sa.String(100)),
        sa.Column("client_address", sa.String(100)),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("id", name="uq_audit_log_id"),
    )
    for col in ("case_id", "actor_sub", "actor_org", "created_at", "action"):
        op.create_index(f"ix_audit_log_{col}", "audit_log", [col])
    op.create_table(
        "audit_log_subject",
        sa.Column("seq", SeqType, sa.ForeignKey("audit_log.seq", name="fk_audit_log_subject_seq_audit_log"),
                  primary_key=True),
        sa.Column("subject_id", sa.String(100), primary_key=True),
    )
    op.create_index("ix_audit_log_subject_subject_id", "audit_log_subject", ["subject_id"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", SeqType, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_index("ix_audit_log_subject_subject_id", "audit_log_subject")
    op.drop_table("audit_log_subject")
    for col in ("case_id", "actor_sub", "actor_org", "created_at", "action"):
        op.drop_index(f"ix_audit_log_{col}", "audit_log")
    op.drop_table("audit_log")
    op.drop_table("organisation")
