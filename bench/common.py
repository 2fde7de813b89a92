"""Shared pieces of the benchmarks: the load loop, percentiles, the API server, /proc sampling, machine facts.

Everything here talks to 127.0.0.1 only. Every loop is bounded by a request count and a deadline, and
every process started here is stopped by its own id (process group) when the benchmark ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CASUSREGIE = str(VENV_BIN / "casusregie")
LOOPBACK = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- statistics -------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class LoadResult:
    """What one measured load phase did: counts, wall time and every latency (milliseconds)."""

    name: str
    concurrency: int
    elapsed_s: float
    latencies_ms: list[float]
    statuses: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # The warm-up's outcomes (its requests write audit entries too: the nothing-lost check counts them), and
    # the measured phase's bounds on time.perf_counter() (the staging sampler keeps the samples inside them).
    warmup_statuses: Counter[str] = field(default_factory=Counter)
    measured_from: float = 0.0
    measured_until: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def non_2xx(self) -> int:
        """Failed operations: HTTP statuses other than 2xx, and anything a raw operation did not call "ok"."""
        return sum(n for status, n in self.statuses.items() if not (status.startswith("2") or status == "ok"))

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "elapsed_s": round(self.elapsed_s, 3),
            "rate_per_s": round(self.rate, 1),
            "p50_ms": round(percentile(lat, 50), 2),
            "p90_ms": round(percentile(lat, 90), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "max_ms": round(lat[-1], 2) if lat else None,
            "non_2xx": self.non_2xx,
            "statuses": dict(sorted(self.statuses.items())),
            "cpu_s_per_1000": {k: round(v / self.requests * 1000, 3) for k, v in self.cpu.items()}
            if self.requests else {},
            "cpu_utilisation": {k: round(v / self.elapsed_s, 2) for k, v in self.cpu.items()}
            if self.elapsed_s else {},
            "warmup_requests": sum(self.warmup_statuses.values()),
            "warmup_statuses": dict(sorted(self.warmup_statuses.items())),
            **self.extra,
        }


# One operation of a virtual client: (client index, iteration) -> status ("200", "409", "exc:TimeoutError").
Operation = Callable[[int, int], Awaitable[str]]


async def run_load(
    name: str,
    op: Operation,
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    warmup_seconds: float = 0.0,
    cpu_probe: CpuProbe | None = None,
) -> LoadResult:
    """`concurrency` clients call `op` back to back until `max_requests` in total or `max_seconds` have passed.

    A warm-up phase of `warmup_seconds` runs first with the same clients and is not counted.
    """
    iterations = [0] * concurrency

    async def phase(seconds: float, budget: int, record: bool, latencies: list[float], statuses: Counter[str]) -> None:
        deadline = time.perf_counter() + seconds
        remaining = [budget]

        async def client(index: int) -> None:
            while remaining[0] > 0 and time.perf_counter() < deadline:
                remaining[0] -= 1
                started = time.perf_counter()
                try:
                    status = await op(index, iterations[index])
                except Exception as exc:
                    status = f"exc:{type(exc).__name__}"
                took = (time.perf_counter() - started) * 1000
                iterations[index] += 1
                if record:
                    latencies.append(took)
                    statuses[status] += 1

        await asyncio.gather(*(client(i) for i in range(concurrency)))

    warmup_statuses: Counter[str] = Counter()
    if warmup_seconds > 0:
        await phase(warmup_seconds, 10**9, True, [], warmup_statuses)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    if cpu_probe:
        cpu_probe.start()
    started = time.perf_counter()
    await phase(max_seconds, max_requests, True, latencies, statuses)
    ended = time.perf_counter()
    cpu = cpu_probe.stop() if cpu_probe else {}
    elapsed = ended - started
    extra: dict[str, Any] = {}
    if cpu_probe and len(cpu_probe.per_process.get("api server", [])) > 1 and elapsed > 0:
        # cores per process, busiest first (the server's supervisor process among them, ~0 with several workers)
        extra["api_cpu_per_process"] = [round(t / elapsed, 2) for t in cpu_probe.per_process["api server"]]
    return LoadResult(name, concurrency, elapsed, latencies, statuses, cpu, extra,
                      warmup_statuses=warmup_statuses, measured_from=started, measured_until=ended)


# --- processes and /proc ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            out += [int(p) for p in task.read_text().split()]
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class CpuProbe:
    """CPU seconds used by groups of processes between start() and stop() (pids re-read at both ends)."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups
        self._start: dict[str, dict[int, float]] = {}
        # Each process's CPU seconds of the last start()..stop(), per group: how evenly a server's workers shared
        # the load (the kernel hands each worker the keep-alive connections it happens to accept).
        self.per_process: dict[str, list[float]] = {}

    def _snapshot(self) -> dict[str, dict[int, float]]:
        snap = {name: {pid: cpu_seconds(pid) for pid in pids()} for name, pids in self.groups.items()}
        snap["load generator"] = {os.getpid(): cpu_seconds(os.getpid())}
        return snap

    def start(self) -> None:
        self._start = self._snapshot()

    def stop(self) -> dict[str, float]:
        end = self._snapshot()
        self.per_process = {name: sorted((t - self._start.get(name, {}).get(pid, 0.0) for pid, t in pids.items()),
                                         reverse=True) for name, pids in end.items()}
        return {name: sum(times) for name, times in self.per_process.items()}


def postgres_pids(pg_dir: Path) -> list[int]:
    """The postmaster of our throwaway cluster and its backends."""
    try:
        postmaster = int((pg_dir / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    return [postmaster, *children(postmaster)]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the benchmark process dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def checkpoint_dir_for(directory: Path, database_url: str) -> Path:
    """Where the signed audit checkpoints of one benchmark database go (development generates the signing key
    beside it, `<dir>.signing-key.pem`): one per database, so that every server, verify-audit and
    cpu_per_request on it agree, and never ./audit-checkpoints in the repository."""
    return directory / f"{make_url(database_url).database}.audit-checkpoints"


def fresh_checkpoints(path: Path) -> Path:
    """An empty checkpoint directory and no signing key: for a database just (re)created, whose chain starts
    again at seq 1 (old checkpoints would contradict it)."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    path.with_name(f"{path.name}.signing-key.pem").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def audit_env(database_url: str, checkpoint_dir: Path | None) -> dict[str, str]:
    """The environment of a casusregie process on a benchmark database: development mode (dev tokens, the
    signing key generated beside the checkpoint directory), quiet logs."""
    env = dict(os.environ, CASUSREGIE_DATABASE_URL=database_url, CASUSREGIE_ENV="development",
               CASUSREGIE_LOG_LEVEL="WARNING")
    if checkpoint_dir is not None:
        env["CASUSREGIE_AUDIT_CHECKPOINT_DIR"] = str(checkpoint_dir)
    return env


class Server:
    """`casusregie serve --workers N` on a free loopback port, in its own process group."""

    def __init__(self, database_url: str, workers: int, log_dir: Path, checkpoint_dir: Path | None = None,
                 *, chainer_worker: bool = False) -> None:
        """`chainer_worker`: the audit chainer in a `casusregie worker` beside the server, which only stages
        (CASUSREGIE_AUDIT_CHAINER_IN_SERVE=false), as a deployment with a worker runs."""
        self.chainer_worker = chainer_worker
        self.worker_proc: subprocess.Popen[bytes] | None = None
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self.log_path = log_dir / f"server-w{workers}-{self.port}.log"
        self.checkpoint_dir = checkpoint_dir or checkpoint_dir_for(log_dir, database_url)
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = audit_env(self.database_url, self.checkpoint_dir)
        if self.chainer_worker:
            env["CASUSREGIE_AUDIT_CHAINER_IN_SERVE"] = "false"
        return env

    def launch(self) -> subprocess.Popen[bytes]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.chainer_worker:
            with self.log_path.with_suffix(".worker.log").open("wb") as out:
                self.worker_proc = subprocess.Popen(
                    [CASUSREGIE, "worker"], env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True, cwd=REPO, preexec_fn=_die_with_parent)
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                [CASUSREGIE, "serve", "--host", LOOPBACK, "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO,
                preexec_fn=_die_with_parent,
            )
        return self.proc

    async def start(self, ready_within: float = 60.0) -> None:
        """Launch and wait until /readyz answers 200 and every worker process is up."""
        self.launch()
        assert self.proc is not None
        deadline = time.monotonic() + ready_within
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz")).status_code == 200 and len(self.worker_pids()) == self.workers:
                        return
                await asyncio.sleep(0.25)
        self.stop()
        raise RuntimeError(f"server not ready within {ready_within}s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself with one worker, else its spawned children."""
        if self.proc is None:
            return []
        if self.workers == 1:
            return [self.proc.pid]
        return [p for p in children(self.proc.pid) if "spawn_main" in cmdline(p)]

    def all_pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)] if self.proc else []

    def chainer_pids(self) -> list[int]:
        """The worker process that chains (when `chainer_worker`)."""
        return [self.worker_proc.pid] if self.worker_proc is not None and self.worker_proc.poll() is None else []

    def stop(self) -> None:
        if self.worker_proc is not None and self.worker_proc.poll() is None:
            self.worker_proc.send_signal(signal.SIGTERM)  # a last drain and checkpoint
            try:
                self.worker_proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker_proc.kill()
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is our child's pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        with contextlib.suppress(OSError):
            if self.log_path.stat().st_size == 0:
                self.log_path.unlink()  # keep the server's output only when it said something


# --- database URLs ------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """postgresql+asyncpg://… -> postgresql://… for asyncpg.connect."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def check_loopback(url: str) -> None:
    host = make_url(url).host
    if host not in (LOOPBACK, "localhost"):
        raise SystemExit(f"refusing to benchmark against {host!r}: loopback only")


async def recreate_database(url: str) -> None:
    import asyncpg

    u = make_url(url)
    admin = await asyncpg.connect(asyncpg_dsn(with_database(url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{u.database}"')
    finally:
        await admin.close()


def migrate(url: str) -> None:
    env = dict(os.environ, CASUSREGIE_DATABASE_URL=url, CASUSREGIE_LOG_LEVEL="WARNING")
    subprocess.run([CASUSREGIE, "migrate"], env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL)


async def fresh_database(cluster_url: str, name: str) -> tuple[str, str]:
    """Database `name` on a loopback cluster, dropped, created and migrated: (SQLAlchemy URL, asyncpg DSN)."""
    check_loopback(cluster_url)
    url = with_database(cluster_url, name)
    await recreate_database(url)
    await asyncio.to_thread(migrate, url)
    return url, asyncpg_dsn(url)


# --- machine facts ------------------------------------------------------------------------------


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def machine() -> dict[str, Any]:
    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": loadavg(),
    }
