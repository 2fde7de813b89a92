"""audit ledger: the staging table requests append to, and a log the database refuses to rewrite

Revision ID: 0005_audit_ledger
Revises: 0004_signals
Create Date: 2026-12-03

`audit_staging` holds entries written by requests and not yet chained (app/audit/chainer.py moves them
into `audit_log` in batches). Triggers make `audit_log` and `audit_log_subject` insert-only for every
database role, the owner included, and keep the chain head from moving backwards or vanishing: rewriting
history then takes the tables' owner or a superuser switching the triggers off (the service runs as a role
that is neither: scripts/runtime-role.sql), which the signed checkpoints outside the database expose
(app/audit/checkpoints.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_audit_ledger"
down_revision = "0004_signals"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
STAGED_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

APPEND_ONLY = ("audit_log", "audit_log_subject")

PG_FUNCTIONS = ("""
CREATE FUNCTION audit_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$
""", """
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) THEN
    RAISE EXCEPTION 'the audit chain head only moves forward: % refused', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$
""")


def _pg_upgrade() -> None:
    for function in PG_FUNCTIONS:  # one statement each: asyncpg prepares what it runs
        op.execute(function)
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_refuse_rewrite()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_rewrite()")
    op.execute("CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE OR DELETE ON audit_chain_head "
               "FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()")
    op.execute("CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only()")


def _sqlite_upgrade() -> None:
    for table in APPEND_ONLY:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} BEGIN "
                       f"SELECT RAISE(ABORT, 'the audit log is append-only: {op_name} on {table} refused'); END")
    op.execute("CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head "
               "WHEN NEW.id <> OLD.id OR NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) BEGIN "
               "SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END")
    op.execute("CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head BEGIN "
               "SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END")


def upgrade() -> None:
    op.create_table(
        "audit_staging",
        # Staging order: the chainer takes entries in this order (a later commit may carry a lower number;
        # it is then chained in a later batch, which only orders it after entries committed before it).
        sa.Column("staged_seq", STAGED_SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("actor_sub", sa.String(200), nullable=False),
        sa.Column("actor_org", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(40)),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(100)),
        sa.Column("case_id", sa.Uuid),
        sa.Column("subject_ids", sa.JSON, nullable=False),
        sa.Column("convenant_id", sa.Uuid),
        sa.Column("convenant_version", sa.Integer),
        sa.Column("legal_basis", sa.Text),
        sa.Column("toelichting", sa.Text),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("detail", sa.JSON),
        sa.Column("request_id", sa.String(100)),
        sa.Column("client_address", sa.String(100)),
        sa.UniqueConstraint("id", name="uq_audit_staging_id"),
        # SQLite: never reuse a number once staging empties (a listing's cursor counts on the order)
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER audit_chain_head_forward_only ON audit_chain_head")
        op.execute("DROP TRIGGER audit_chain_head_no_truncate ON audit_chain_head")
        op.execute("DROP FUNCTION audit_refuse_rewrite()")
        op.execute("DROP FUNCTION audit_head_forward_only()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute("DROP TRIGGER audit_chain_head_forward_only")
        op.execute("DROP TRIGGER audit_chain_head_no_delete")
    op.drop_table("audit_staging")
