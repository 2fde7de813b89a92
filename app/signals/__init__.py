"""Signals: partner reports (intake, idempotency), subject matching and triage into cases."""
