"""convenants: agreements, their versions, case types, parties and data categories per party

Revision ID: 0002_convenants
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_convenants"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'actief'")


def upgrade() -> None:
    op.create_table(
        "convenant",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("code", name="uq_convenant_code"),
    )
    op.create_table(
        "convenant_version",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("convenant_id", sa.Uuid(),
                  sa.ForeignKey("convenant.id", name="fk_convenant_version_convenant_id_convenant"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("termination_reason", sa.Text()),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("convenant_id", "version", name="uq_convenant_version_convenant_id_version"),
        sa.CheckConstraint("status IN ('concept', 'actief', 'beeindigd', 'vervangen')",
                           name="ck_convenant_version_status"),
        sa.CheckConstraint("retention_months BETWEEN 1 AND 600", name="ck_convenant_version_retention_months"),
        sa.CheckConstraint("valid_until > valid_from", name="ck_convenant_version_period"),
    )
    op.create_index("ix_convenant_version_status_validity", "convenant_version",
                    ["status", "valid_from", "valid_until"])
    op.create_index("uq_convenant_version_one_active", "convenant_version", ["convenant_id"], unique=True,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)
    op.create_table(
        "convenant_case_type",
        sa.Column("version_id", sa.Uuid(),
                  sa.ForeignKey("convenant_version.id", name="fk_convenant_case_type_version_id_convenant_version"),
                  primary_key=True),
        sa.Column("case_type", sa.String(40), primary_key=True),
    )
    op.create_index("ix_convenant_case_type_case_type", "convenant_case_type", ["case_type"])
    op.create_table(
        "convenant_party",
        sa.Column("version_id", sa.Uuid(),
                  sa.ForeignKey("convenant_version.id", name="fk_convenant_party_version_id_convenant_version"),
                  primary_key=True),
        sa.Column("organisation", sa.String(64),
                  sa.ForeignKey("organisation.code", name="fk_convenant_party_organisation_organisation"),
                  primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.CheckConstraint("role IN ('kernpartner', 'casuspartner')", name="ck_convenant_party_role"),
    )
    op.create_index("ix_convenant_party_organisation", "convenant_party", ["organisation"])
    op.create_table(
        "convenant_party_category",
        sa.Column("version_id", sa.Uuid(), primary_key=True),
        sa.Column("organisation", sa.String(64), primary_key=True),
        sa.Column("category", sa.String(40), primary_key=True),
        sa.ForeignKeyConstraint(
            ["version_id", "organisation"], ["convenant_party.version_id", "convenant_party.organisation"],
            name="fk_convenant_party_category_party",
        ),
    )


def downgrade() -> None:
    op.drop_table("convenant_party_category")
    op.drop_index("ix_convenant_party_organisation", "convenant_party")
    op.drop_table("convenant_party")
    op.drop_index("ix_convenant_case_type_case_type", "convenant_case_type")
    op.drop_table("convenant_case_type")
    op.drop_index("uq_convenant_version_one_active", "convenant_version")
    op.drop_index("ix_convenant_version_status_validity", "convenant_version")
    op.drop_table("convenant_version")
    op.drop_table("convenant")
