"""convenant epoch: a token that changes with every change to what convenants grant

Revision ID: 0006_convenant_epoch
Revises: 0005_audit_ledger
Create Date: 2026-12-03

A process caches the grants of (organisation, case type, day) under the current token
(app/convenants/grants.py: GrantCache); the case statement reads the token, so the very next request after
a convenant change misses the cache. Triggers on every table the grants are read from draw a new random
token (random, not a counter: a database restored from a backup must not repeat a token with other content).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_convenant_epoch"
down_revision = "0005_audit_ledger"
branch_labels = None
depends_on = None

SOURCES = ("convenant_version", "convenant_party", "convenant_party_category", "convenant_case_type")
PG_TOKEN = "md5(random()::text || clock_timestamp()::text)"
SQLITE_TOKEN = "lower(hex(randomblob(16)))"


def upgrade() -> None:
    op.create_table(
        "convenant_epoch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"INSERT INTO convenant_epoch (id, token) VALUES (1, {PG_TOKEN})")
        op.execute(f"""CREATE FUNCTION convenant_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE convenant_epoch SET token = {PG_TOKEN} WHERE id = 1;
  RETURN NULL;
END $$""")
        for table in SOURCES:
            op.execute(f"CREATE TRIGGER {table}_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION convenant_epoch_bump()")
    else:
        op.execute(f"INSERT INTO convenant_epoch (id, token) VALUES (1, {SQLITE_TOKEN})")
        for table in SOURCES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_epoch_{event.lower()} AFTER {event} ON {table} BEGIN "
                           f"UPDATE convenant_epoch SET token = {SQLITE_TOKEN} WHERE id = 1; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SOURCES:
            op.execute(f"DROP TRIGGER {table}_epoch ON {table}")
        op.execute("DROP FUNCTION convenant_epoch_bump()")
    else:
        for table in SOURCES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_epoch_{event}")
    op.drop_table("convenant_epoch")
