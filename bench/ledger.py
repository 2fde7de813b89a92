"""The audit ledger under load (issue 11): chainer lag, staging depth, drain after the load, nothing lost.

Around one load (`around`):

- **staging**: a connection of its own samples `audit_staging` every `SAMPLE_EVERY` s during the load: how many
  entries wait (depth) and the age of the oldest (`clock_timestamp() - min(created_at)`). An entry's
  `created_at` is taken when the request records it, before its transaction commits, so the oldest age bounds
  the chain lag from above (it includes the rest of that request: under a saturated worker, its remaining
  statements and COMMIT). This is the robust measure with several worker processes: it does not depend on
  which process chains. Samples of the measured phase only.
- **residence** (the chainer's own lag, from commit to chaining, per entry): each sample also reads the
  `staged_seq` of every waiting entry, so each entry's time in staging is known to within one sample gap:
  at least from the first sample that showed it to the last, at most from the sample before to the sample
  after; the middle is reported (+- one gap). Entries of the measured phase that no sample showed were
  chained within one gap and count as half a (median) gap. Unlike the oldest age, this leaves out the
  request's own remaining work.
- **drain**: after the load's last answer, staging is polled every 10 ms until it is empty (or `DRAIN_TIMEOUT`).
- **chainer histogram**: `/metrics` of the process that chains (`casusregie_audit_chainer 1`; with several
  workers /metrics is fetched on fresh connections until that process answers), before and after: the
  difference of `casusregie_audit_chain_lag_seconds` is the lag of every entry chained during the load (warm-up
  included), from `created_at` to its chaining, in buckets. Also its ledger errors during the load.
- **nothing lost**: entries in `audit_log` + `audit_staging` (one statement: one snapshot, the chainer moves
  entries between them in one transaction) by action, before and after; the difference must equal the audited
  requests the load made (answered 2xx, warm-up included) times the entries each writes (1, checked before
  the loads by `entries_per_request`), in the load's action, and nothing in any other action.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

from bench.common import LoadResult, percentile

SAMPLE_EVERY = 0.05
DRAIN_POLL = 0.01
DRAIN_TIMEOUT = 10.0
STAGING_STATE = ("SELECT count(*)::int AS depth, "
                 "coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS oldest_s, "
                 "coalesce(array_agg(staged_seq), '{}') AS seqs FROM audit_staging")
ENTRIES_BY_ACTION = ("SELECT action, count(*)::int AS n FROM (SELECT action FROM audit_log "
                     "UNION ALL SELECT action FROM audit_staging) entries GROUP BY action")
# Statuses of operations that completed and so wrote their entry: HTTP 2xx, a raw transaction committed ("ok"),
# a list page answered 200 with fewer items than asked ("short-page").
AUDITED = re.compile(r"^(2\d\d|ok|short-page)$")


async def entries_by_action(conn: asyncpg.Connection) -> dict[str, int]:
    return {r["action"]: r["n"] for r in await conn.fetch(ENTRIES_BY_ACTION)}


class StagingSampler:
    """Depth, oldest age and the waiting entries of `audit_staging`, sampled on a connection of its own."""

    def __init__(self, dsn: str, every: float = SAMPLE_EVERY) -> None:
        self.dsn = dsn
        self.every = every
        self.samples: list[tuple[float, int, float]] = []  # (perf_counter, depth, oldest age s)
        self.seen: dict[int, list[int]] = {}  # staged_seq -> [first, last] sample index showing it
        self._task: asyncio.Task[None] | None = None
        self._conn: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._conn = await asyncpg.connect(self.dsn)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._conn is not None
        while True:
            t = time.perf_counter()
            row = await self._conn.fetchrow(STAGING_STATE)
            assert row is not None
            index = len(self.samples)
            self.samples.append((t, row["depth"], row["oldest_s"]))
            for seq in row["seqs"]:
                span = self.seen.get(seq)
                if span is None:
                    self.seen[seq] = [index, index]
                else:
                    span[1] = index
            await asyncio.sleep(max(0.0, self.every - (time.perf_counter() - t)))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            await self._conn.close()

    def summary(self, t0: float, t1: float, entries: int | None = None) -> dict[str, Any]:
        """The samples between t0 and t1; `entries`: how many entries were staged in that time (to count the
        ones no sample showed)."""
        window = [i for i, s in enumerate(self.samples) if t0 <= s[0] <= t1]
        ages = sorted(self.samples[i][2] * 1000 for i in window)
        depths = [self.samples[i][1] for i in window]
        times = [s[0] for s in self.samples]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        gap = statistics.median(gaps) if gaps else self.every
        residence: list[float] = []
        for first, last in self.seen.values():
            if not t0 <= times[first] <= t1:
                continue
            # between (last - first) and (the sample after the last - the sample before the first): the middle
            before = times[first - 1] if first > 0 else times[first] - gap
            after = times[last + 1] if last + 1 < len(times) else times[last] + gap
            residence.append(((times[last] - times[first]) + (after - before)) / 2 * 1000)
        unseen = max(0, entries - len(residence)) if entries is not None else 0
        residence += [gap / 2 * 1000] * unseen  # shown by no sample: chained within one gap
        residence.sort()
        return {
            "samples": len(window),
            "sample_every_ms": round(self.every * 1000),
            "sample_gap_median_ms": round(gap * 1000, 1),
            "oldest_staged_p50_ms": round(percentile(ages, 50), 1) if ages else None,
            "oldest_staged_p99_ms": round(percentile(ages, 99), 1) if ages else None,
            "oldest_staged_max_ms": round(ages[-1], 1) if ages else None,
            "residence_entries_seen": len(residence) - unseen,
            "residence_entries_unseen": unseen,
            "residence_p50_ms": round(percentile(residence, 50), 1) if residence else None,
            "residence_p99_ms": round(percentile(residence, 99), 1) if residence else None,
            "residence_max_ms": round(residence[-1], 1) if residence else None,
            "depth_max": max(depths, default=None),
            "depth_mean": round(sum(depths) / len(depths), 1) if depths else None,
        }


async def wait_drained(conn: asyncpg.Connection, since: float, within: float = DRAIN_TIMEOUT) -> float | None:
    """Seconds from `since` (perf_counter) until `audit_staging` is empty; None if not within `within` s."""
    deadline = time.perf_counter() + within
    while True:
        depth = await conn.fetchval("SELECT count(*) FROM audit_staging")
        now = time.perf_counter()
        if depth == 0:
            return max(0.0, now - since)
        if now > deadline:
            return None
        await asyncio.sleep(DRAIN_POLL)


# --- the chainer's own histogram (/metrics) ---------------------------------------------------------------

_SAMPLE = re.compile(r'^(?P<name>[a-z_]+)(?:\{le="(?P<le>[^"]+)"\})?\s+(?P<value>\S+)$')


def parse_ledger_metrics(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"lag_buckets": {}}
    for line in text.splitlines():
        m = _SAMPLE.match(line.strip())
        if not m or not m["name"].startswith("casusregie_audit_"):
            continue
        name, value = m["name"], float(m["value"])
        if name == "casusregie_audit_chain_lag_seconds_bucket":
            out["lag_buckets"][m["le"]] = value
        else:
            out[name.removeprefix("casusregie_audit_")] = value
    return out


async def chainer_metrics(base_url: str, tries: int = 300) -> dict[str, Any] | None:
    """/metrics of the worker process that chains, or None. A fresh connection each try: the kernel hands it to
    one of the workers, unevenly (with 4 idle workers the chainer answered 5 to 40 % of back-to-back tries)."""
    for _ in range(tries):
        with contextlib.suppress(httpx.HTTPError):
            async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
                resp = await client.get("/metrics")
            if resp.status_code == 200:
                parsed = parse_ledger_metrics(resp.text)
                if parsed.get("chainer") == 1:
                    return parsed
    return None


def histogram_delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any] | None:
    """The lag of the entries the chainer chained between two scrapes: count, mean, and the bucket holding the
    median and the 99th percentile (an upper bound: `le`)."""
    if before is None or after is None:
        return None
    count = int(after.get("chain_lag_seconds_count", 0) - before.get("chain_lag_seconds_count", 0))
    if count < 0:  # another process chains now: the scrapes are not comparable
        return {"comparable": False}
    bounds = sorted(after["lag_buckets"], key=lambda le: float("inf") if le == "+Inf" else float(le))
    cumulative = [(le, int(after["lag_buckets"][le] - before["lag_buckets"].get(le, 0))) for le in bounds]

    def bucket_of(q: float) -> str | None:
        if not count:
            return None
        rank = max(1, -(-count * q // 100))
        return next((le for le, n in cumulative if n >= rank), "+Inf")

    lag_sum = after.get("chain_lag_seconds_sum", 0.0) - before.get("chain_lag_seconds_sum", 0.0)
    return {
        "comparable": True,
        "entries_chained": count,
        "mean_ms": round(lag_sum / count * 1000, 1) if count else None,
        "p50_le_s": bucket_of(50),
        "p99_le_s": bucket_of(99),
        "cumulative": dict(cumulative),
        "ledger_errors": int(after.get("ledger_errors_total", 0) - before.get("ledger_errors_total", 0)),
        "checkpoints": int(after.get("checkpoints_total", 0) - before.get("checkpoints_total", 0)),
    }


# --- one load, measured ---------------------------------------------------------------------------------


def nothing_lost(result: LoadResult, before: dict[str, int], after: dict[str, int], action: str,
                 per_request: int = 1, companions: dict[str, int] | None = None) -> dict[str, Any]:
    """`companions`: entries of other actions the load may write besides one `action` each, at most so many
    (an escalation that first reaches a level brings its level owner in: `participant:create` and the regie's
    `case:update`, by `systeem`, once per case): counted, shown, and not a mismatch within that bound."""
    every = result.statuses + result.warmup_statuses
    audited = sum(n for status, n in every.items() if AUDITED.match(status))
    failed = sum(every.values()) - audited
    delta = {a: after.get(a, 0) - before.get(a, 0) for a in set(before) | set(after)}
    found = delta.get(action, 0)
    expected = audited * per_request
    bounds = companions or {}
    other = {a: n for a, n in delta.items() if a != action and n}
    unexpected = {a: n for a, n in other.items() if not 0 <= n <= bounds.get(a, 0)}
    if failed:
        # A failed request may or may not have written its entry (a denial is kept, a 500 may have none).
        ok = expected <= found <= (audited + failed) * per_request and not unexpected
    else:
        ok = found == expected and not unexpected
    return {"requests": sum(every.values()), "audited_requests": audited, "failed_requests": failed,
            "expected_entries": expected, "found_entries": found, "found_all_actions": sum(delta.values()),
            "companion_bounds": bounds,
            "other_actions": other, "lost": max(0, expected - found), "ok": ok,
            "exact": not failed}


async def around(dsn: str, base_url: str | None, action: str, load: Callable[[], Awaitable[LoadResult]], *,
                 per_request: int = 1, verify: Callable[[], Awaitable[dict[str, Any]]] | None = None,
                 staged: bool = True, companions: dict[str, int] | None = None) -> LoadResult:
    """Run `load` with the ledger measured around it; the figures go into result.extra["ledger"]. `staged`:
    the load's entries go through audit_staging (False: R2, which chains them itself)."""
    conn = await asyncpg.connect(dsn)
    try:
        # Start from an empty staging table, so that the samples are this load's own (not fatal: the counts
        # below include staging either way).
        drained_before = await wait_drained(conn, time.perf_counter()) is not None
        before = await entries_by_action(conn)
        metrics_before = await chainer_metrics(base_url) if base_url else None
        sampler = StagingSampler(dsn)
        await sampler.start()
        try:
            result = await load()
            drained = await wait_drained(conn, result.measured_until)
            await asyncio.sleep(2 * sampler.every)  # the samples that see the last entries leave
        finally:
            await sampler.stop()
        after = await entries_by_action(conn)
        metrics_after = await chainer_metrics(base_url) if base_url else None
    finally:
        await conn.close()
    measured = sum(n for status, n in result.statuses.items() if AUDITED.match(status)) * per_request * staged
    figures: dict[str, Any] = {
        **sampler.summary(result.measured_from, result.measured_until, measured),
        "staging_empty_before_load": drained_before,
        "drained_after_load_ms": None if drained is None else round(drained * 1000, 1),
        "empty_within_1s": drained is not None and drained <= 1.0,
        "chainer_histogram": histogram_delta(metrics_before, metrics_after),
        "nothing_lost": nothing_lost(result, before, after, action, per_request, companions),
    }
    if verify is not None:
        figures["verify_audit"] = await verify()
    result.extra["ledger"] = figures
    return result


async def entries_per_request(dsn: str, calls: dict[str, tuple[str, Callable[[], Awaitable[int]]]],
                              n: int = 5) -> dict[str, Any]:
    """The assumption under the nothing-lost check, checked: each kind of request, made `n` times one after
    the other, adds `n` entries of its action (staged or chained). `calls`: name -> (action, call -> status)."""
    out: dict[str, Any] = {}
    conn = await asyncpg.connect(dsn)
    try:
        for name, (action, call) in calls.items():
            before = await entries_by_action(conn)
            statuses = [await call() for _ in range(n)]
            after = await entries_by_action(conn)
            delta = {a: after.get(a, 0) - before.get(a, 0) for a in set(before) | set(after)}
            per = delta.get(action, 0) / n
            out[name] = {"action": action, "requests": n, "statuses": sorted(set(statuses)),
                         "entries": delta.get(action, 0), "entries_per_request": per,
                         "other_actions": {a: d for a, d in delta.items() if a != action and d},
                         "one_each": per == 1 and all(200 <= s < 300 for s in statuses)
                         and not any(d for a, d in delta.items() if a != action)}
    finally:
        await conn.close()
    return out
