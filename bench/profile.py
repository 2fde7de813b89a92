"""py-spy around a running worker: a flame graph (SVG) and the top frames from the raw (collapsed) stacks."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import REPO, log

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def py_spy() -> str | None:
    local = REPO / ".venv" / "bin" / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


async def record(pid: int, seconds: int, svg: Path, collapsed: Path) -> bool:
    """Two samplers at once (non-blocking, so the worker is not paused): the SVG and the collapsed stacks."""
    exe = py_spy()
    if exe is None:
        log("py-spy not installed (pip install -r bench/requirements.txt): no profile")
        return False
    common = ["record", "--nonblocking", "--rate", "100", "--duration", str(seconds), "--pid", str(pid)]
    procs = [await asyncio.create_subprocess_exec(exe, *common, "-o", str(svg),
                                                  stdout=asyncio.subprocess.DEVNULL,
                                                  stderr=asyncio.subprocess.PIPE),
             await asyncio.create_subprocess_exec(exe, *common, "--format", "raw", "-o", str(collapsed),
                                                  stdout=asyncio.subprocess.DEVNULL,
                                                  stderr=asyncio.subprocess.PIPE)]
    ok = True
    for proc in procs:
        try:
            _, err = await asyncio.wait_for(proc.communicate(), timeout=seconds + 60)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            ok = False
            continue
        if proc.returncode != 0:
            log(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
            ok = False
    return ok


def _short(frame: str) -> str:
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m['func']} ({path})"


def top_frames(collapsed: Path, n: int = 25) -> dict[str, Any]:
    """Self and inclusive shares per function (file:line folded away), plus shares per area (package)."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    app_inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";") if f.strip()]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        self_time[frames[-1]] += count
        for f in set(frames):
            inclusive[f] += count
            if "(app/" in f:
                app_inclusive[f] += count
        areas[_area(stack)] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(k, round(v / total * 100, 1)) for k, v in counter.most_common(n)]

    return {"samples": total, "self": share(self_time), "inclusive": share(inclusive),
            "app_inclusive": share(app_inclusive), "areas": share(areas)}


AREAS = (  # the first match from the leaf upwards names the area a sample is spent in
    ("hashlib", "audit hashing"), ("hash_chain.py", "audit hashing"), ("json/", "json"),
    ("asyncpg/", "asyncpg driver"), ("sqlalchemy/", "SQLAlchemy"), ("pydantic", "pydantic"),
    ("jose/", "JWT (python-jose)"), ("cryptography/", "JWT (python-jose)"), ("fastapi/", "FastAPI"),
    ("starlette/", "Starlette"), ("uvicorn/", "uvicorn / HTTP"), ("httptools", "uvicorn / HTTP"),
    ("h11", "uvicorn / HTTP"), ("/app/", "app code"), ("asyncio/", "asyncio event loop"),
    ("uvloop", "asyncio event loop"), ("logging/", "logging"),
)


def _area(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for marker, area in AREAS:
            if marker in frame:
                return area
    return "other"
