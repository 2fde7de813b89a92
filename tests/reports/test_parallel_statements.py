"""The report's statements run side by side on PostgreSQL (app/reports/service.py `_run`): results keep the jobs'
order, at most PARALLEL_STATEMENTS run at once, and a failing statement raises its own error (which the API
maps, e.g. a database outage to 503), not an ExceptionGroup."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any

import pytest

from app.reports import service


def _readers(running: list[int], peak: list[int]) -> Any:
    @asynccontextmanager
    async def reader() -> Any:
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        try:
            yield object()
        finally:
            running[0] -= 1
    return reader


async def test_results_in_order_and_bounded() -> None:
    running, peak = [0], [0]

    def job(n: int) -> Any:
        async def run(_session: Any) -> int:
            await asyncio.sleep(0.01 * (8 - n))  # the first finish last
            return n
        return run

    got = await service._run(object(), _readers(running, peak), [job(n) for n in range(8)])  # type: ignore[arg-type]
    assert got == list(range(8))
    assert peak[0] == service.PARALLEL_STATEMENTS


async def test_a_failing_statement_raises_its_own_error() -> None:
    async def fails(_session: Any) -> None:
        raise ConnectionResetError("database gone")

    async def slow(_session: Any) -> None:
        await asyncio.sleep(5)

    with pytest.raises(ConnectionResetError):
        await service._run(object(), _readers([0], [0]), [slow, fails, slow])  # type: ignore[arg-type]
