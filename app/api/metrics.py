"""Prometheus text metrics: requests and latency by route template and status.

Counters live per process, as Prometheus expects (it sums across scraped workers); they hold no
case state, so statelessness of the API is unaffected.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from app.audit.ledger import LAG_BUCKETS, LedgerStats

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.latency_buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.latency_sum: dict[tuple[str, str], float] = defaultdict(float)
        self.latency_count: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            key = (method, route)
            buckets = self.latency_buckets[key]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self.latency_sum[key] += seconds
            self.latency_count[key] += 1

    def render(self) -> str:
        lines = [
            "# HELP casusregie_http_requests_total HTTP requests by method, route template and status.",
            "# TYPE casusregie_http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(
                    f'casusregie_http_requests_total{{method="{method}",route="{route}",status="{status}"}} {n}'
                )
            lines += [
                "# HELP casusregie_http_request_duration_seconds HTTP request latency by method and route template.",
                "# TYPE casusregie_http_request_duration_seconds histogram",
            ]
            for (method, route), buckets in sorted(self.latency_buckets.items()):
                labels = f'method="{method}",route="{route}"'
                for bound, n in zip(BUCKETS, buckets, strict=True):
                    lines.append(f'casusregie_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
                count = self.latency_count[(method, route)]
                lines.append(f'casusregie_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {count}')
                lines.append(f"casusregie_http_request_duration_seconds_sum{{{labels}}} "
                             f"{self.latency_sum[(method, route)]:.6f}")
                lines.append(f"casusregie_http_request_duration_seconds_count{{{labels}}} {count}")
        return "\n".join(lines) + "\n"


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
