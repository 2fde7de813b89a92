"""One /metrics scrape counts the requests of every `serve` worker (issue 14 item 5, prometheus-client in
multiprocess mode): a real `casusregie serve --workers 2`, requests over fresh connections (the kernel spreads
them over both processes), then several scrapes, each reaching either worker, each with the full count."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import IS_PG
from tests.serving import start_server

pytestmark = pytest.mark.skipif(not IS_PG, reason="SQLite serves from one process")

REQUESTS = 60


def _healthz_count(text: str) -> float:
    found = re.findall(r'^casusregie_http_requests_total\{[^}]*route="/healthz"[^}]*\} (\S+)$', text, re.M)
    return sum(float(v) for v in found)


async def test_one_scrape_counts_every_worker(db_url: str, tmp_path: Path) -> None:
    server = await asyncio.to_thread(start_server, db_url, tmp_path / "serve.log", workers=2)
    try:
        async def one() -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as fresh:  # a new connection each
                assert (await fresh.get("/healthz")).status_code == 200

        for _ in range(REQUESTS // 10):
            await asyncio.gather(*(one() for _ in range(10)))
        for _ in range(6):
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as fresh:
                r = await fresh.get("/metrics")
            assert r.status_code == 200, r.text
            assert _healthz_count(r.text) == REQUESTS, r.text[:2000]
    finally:
        await asyncio.to_thread(server.stop)
