"""Infrastructure that knows no domain: engine and sessions, bulk insert, database error translation,
clock, free-text types, request context and logs, migration state, domain error base classes.

Imports nothing from app/ but `app.config`."""
