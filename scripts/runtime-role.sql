-- The database role the Casusregie service runs as (CASUSREGIE_DATABASE_URL), separate from the role that
-- owns the schema and runs the migrations (CASUSREGIE_MIGRATION_DATABASE_URL, used by `casusregie migrate`).
--
-- Why: the owner of a table may switch its triggers off (ALTER TABLE ... DISABLE TRIGGER), drop them, or
-- truncate the table, so a service connected as the owner could rewrite the audit log despite the
-- append-only triggers of migrations/versions/20261203_0005_audit_ledger.py. This role owns nothing, and it
-- may not UPDATE, DELETE or TRUNCATE the chained log (`audit_log`, `audit_log_subject`), only append to it;
-- it may move the chain head (`audit_chain_head`, whose trigger lets it only move forward) but not delete,
-- insert or renumber it; it may not change a staged entry (`audit_staging`) before it is chained, nor the
-- migration state (`alembic_version`). TRUNCATE is granted on no table, and the role can create no role
-- and no database. Everything else it needs is plain SELECT/INSERT/UPDATE/DELETE on the application tables
-- and the use of their sequences.
--
-- Run it as the schema owner after every `casusregie migrate` (new tables get no privileges until then);
-- running it again is harmless: it creates the role only when it is missing, and it first revokes
-- everything it grants, so the privileges end up exactly as listed here:
--
--   psql -v ON_ERROR_STOP=1 -d "postgresql://OWNER@HOST:5432/casusregie" -f scripts/runtime-role.sql
--
-- Then give the role its password (once; choose your own, never the placeholder), e.g. with psql's
-- \password casusregie_app, or:
--
--   ALTER ROLE casusregie_app PASSWORD 'REPLACE-WITH-A-SECRET';
--
-- and point the service at it:
--
--   CASUSREGIE_DATABASE_URL=postgresql+asyncpg://casusregie_app:<password>@HOST:5432/casusregie
--   CASUSREGIE_MIGRATION_DATABASE_URL=postgresql+asyncpg://OWNER:<password>@HOST:5432/casusregie
--
-- On PostgreSQL 14 and older every role may create tables in schema public; revoke that as well
-- (REVOKE CREATE ON SCHEMA public FROM PUBLIC) if the migrations' role does not depend on it.
-- Tested by tests/audit/test_ledger_postgres.py.

BEGIN;

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'casusregie_app') THEN
    -- No password here: the operator sets it (see above). Without one the role cannot log in by password.
    CREATE ROLE casusregie_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  ELSE
    ALTER ROLE casusregie_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO casusregie_app', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO casusregie_app;

-- Start from nothing, so that a second run (or a table whose privileges changed) converges.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM casusregie_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM casusregie_app;

-- The application tables: read and write rows, nothing more (no TRUNCATE, REFERENCES or TRIGGER).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO casusregie_app;

-- The chained audit log and its subject index: append only.
REVOKE ALL ON audit_log, audit_log_subject FROM casusregie_app;
GRANT SELECT, INSERT ON audit_log, audit_log_subject TO casusregie_app;

-- The chain head: read and lock it (SELECT ... FOR UPDATE needs UPDATE), move it (its seq and hash only).
REVOKE ALL ON audit_chain_head FROM casusregie_app;
GRANT SELECT ON audit_chain_head TO casusregie_app;
GRANT UPDATE (seq, hash) ON audit_chain_head TO casusregie_app;

-- Staged entries: requests append them, the chainer deletes what it chained; nobody changes one.
REVOKE ALL ON audit_staging FROM casusregie_app;
GRANT SELECT, INSERT, DELETE ON audit_staging TO casusregie_app;

-- Events: written once in the change's transaction and sent byte for byte; the worker only marks them fanned
-- out. Delivery attempts are a log: appended, never changed.
REVOKE ALL ON event_outbox, event_delivery_attempt FROM casusregie_app;
GRANT SELECT, INSERT ON event_outbox, event_delivery_attempt TO casusregie_app;
GRANT UPDATE (dispatched_at) ON event_outbox TO casusregie_app;

-- The migration state: readiness checks read it; only `casusregie migrate` (the owner) writes it.
REVOKE ALL ON alembic_version FROM casusregie_app;
GRANT SELECT ON alembic_version TO casusregie_app;

-- Serial and identity columns draw from these (nextval needs USAGE).
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO casusregie_app;

COMMIT;
