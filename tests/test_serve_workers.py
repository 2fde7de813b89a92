"""`casusregie serve --workers N` says so when N is more than the cores this process may run on: each worker has
one core's worth of GIL, and time slices between more processes than cores showed as p99 of 3.7-5.4 × p50 in
bench/ (one worker per core stayed under 3 ×). Run as an operator runs it; SQLite then refuses more than one
worker, so no server starts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.serving import CASUSREGIE, PROJECT_DIR

CORES = len(os.sched_getaffinity(0))


def _serve(workers: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASUSREGIE_")}
    env |= {"CASUSREGIE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}", "CASUSREGIE_ENV": "development"}
    return subprocess.run([CASUSREGIE, "serve", "--workers", str(workers), "--port", "1"], env=env,
                          capture_output=True, text=True, timeout=120, check=False, cwd=PROJECT_DIR)


def test_more_workers_than_cores_are_named_in_a_warning(tmp_path: Path) -> None:
    done = _serve(CORES + 1, tmp_path)
    assert done.returncode == 2
    assert f"--workers {CORES + 1} on {CORES} cores" in done.stderr and "one worker per core" in done.stderr


def test_one_worker_per_core_gets_no_warning(tmp_path: Path) -> None:
    done = _serve(max(CORES, 2), tmp_path)  # SQLite refuses more than one worker: nothing starts
    assert done.returncode == 2 and "SQLite serves from one process" in done.stderr
    assert ("cores:" in done.stderr) is (CORES < 2)
