"""Prometheus metrics with `prometheus-client`: requests and latency by route template and status.

`serve --workers N` runs N processes; a scrape reaches one of them. So that one scrape counts every
worker's requests, the request metrics use prometheus-client's multiprocess mode when
PROMETHEUS_MULTIPROC_DIR is set (`casusregie serve` sets it to a fresh directory for N > 1, before the
workers start): each process writes its values to files there, and the scraped process sums them. With one
process (tests, the demo, `--workers 1`) the values live in memory. Each app has its own registry, so that
several apps in one process (the tests) do not collide.

The audit ledger's figures (app/audit/ledger.py: chainer, lag, checkpoints) are the scraped process's own
(`ledger_lines`); the staging depth is read from the database and so is the same from any process.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.audit.ledger import LAG_BUCKETS, LedgerStats
from app.events.backlog import Backlog

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("casusregie_http_requests", "HTTP requests by method, route template and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("casusregie_http_request_duration_seconds",
                                 "HTTP request latency by method and route template.", ["method", "route"],
                                 buckets=BUCKETS, registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> str:
        if multiprocess_mode():
            registry = CollectorRegistry()
            # every worker's files in PROMETHEUS_MULTIPROC_DIR (prometheus-client leaves these two untyped)
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry).decode()
        return generate_latest(self.registry).decode()

    @staticmethod
    def process_exited(pid: int) -> None:
        """A worker stops: its live-gauge files go (its counters stay counted, as Prometheus expects)."""
        if multiprocess_mode():
            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def ledger_lines(stats: LedgerStats, staged: tuple[int, float | None] | None) -> str:
    """The audit ledger: this process's chaining (lag from staging to chain), checkpoints, and the staging
    depth in the database (None: the database did not answer)."""
    lines = [
        "# HELP casusregie_audit_chainer 1 when this process is the audit chainer.",
        "# TYPE casusregie_audit_chainer gauge",
        f"casusregie_audit_chainer {int(stats.is_chainer)}",
        "# HELP casusregie_audit_chain_lag_seconds Time from an entry's writing to its chaining.",
        "# TYPE casusregie_audit_chain_lag_seconds histogram",
    ]
    for bound, n in zip(LAG_BUCKETS, stats.lag_buckets, strict=True):
        lines.append(f'casusregie_audit_chain_lag_seconds_bucket{{le="{bound}"}} {n}')
    lines += [
        f'casusregie_audit_chain_lag_seconds_bucket{{le="+Inf"}} {stats.chained}',
        f"casusregie_audit_chain_lag_seconds_sum {stats.lag_sum:.6f}",
        f"casusregie_audit_chain_lag_seconds_count {stats.chained}",
        "# HELP casusregie_audit_checkpoints_total Signed checkpoints this process wrote.",
        "# TYPE casusregie_audit_checkpoints_total counter",
        f"casusregie_audit_checkpoints_total {stats.checkpoints}",
        "# HELP casusregie_audit_ledger_errors_total Failed chaining or checkpoint attempts (retried).",
        "# TYPE casusregie_audit_ledger_errors_total counter",
        f"casusregie_audit_ledger_errors_total {stats.errors}",
    ]
    if stats.last_checkpoint_seq is not None:
        lines += ["# HELP casusregie_audit_last_checkpoint_seq The seq of the last checkpoint this process signed.",
                  "# TYPE casusregie_audit_last_checkpoint_seq gauge",
                  f"casusregie_audit_last_checkpoint_seq {stats.last_checkpoint_seq}"]
    if staged is not None:
        count, oldest = staged
        lines += ["# HELP casusregie_audit_staged_entries Audit entries written and not yet chained.",
                  "# TYPE casusregie_audit_staged_entries gauge",
                  f"casusregie_audit_staged_entries {count}",
                  "# HELP casusregie_audit_oldest_staged_seconds Age of the oldest entry not yet chained.",
                  "# TYPE casusregie_audit_oldest_staged_seconds gauge",
                  f"casusregie_audit_oldest_staged_seconds {oldest or 0:.3f}"]
    return "\n".join(lines) + "\n"


class _BacklogCollector(Collector):
    def __init__(self, backlog: Backlog) -> None:
        self.backlog = backlog

    def collect(self) -> list[Metric]:
        b = self.backlog
        figures = [
            ("casusregie_events_undispatched", "Events in the outbox not yet fanned out to subscriptions.",
             b.undispatched),
            ("casusregie_webhook_deliveries_pending", "Webhook deliveries waiting for a (re)try.", b.pending),
            ("casusregie_webhook_deliveries_dead", "Webhook deliveries given up after the retry window.", b.dead),
            ("casusregie_events_oldest_undelivered_seconds", "Age of the oldest event not yet delivered everywhere.",
             b.oldest_undelivered_seconds),
            ("casusregie_cases_overdue", "Open cases past their deadline.", b.overdue_cases),
            ("casusregie_cases_overdue_unacted", "Overdue cases the worker has not acted on yet (its lag).",
             b.overdue_unacted),
        ]
        return [GaugeMetricFamily(name, text, value=value) for name, text, value in figures]


def backlog_lines(backlog: Backlog) -> str:
    """The worker's backlog (app/events/backlog.py), exposed by prometheus-client's own writer."""
    registry = CollectorRegistry()
    registry.register(_BacklogCollector(backlog))
    return generate_latest(registry).decode()
