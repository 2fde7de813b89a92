"""The HTTP client of the API loads: aiohttp over keep-alive connections, one per virtual client.

Why not httpx (the tests' client): on this 2-core machine the load generator shares the cores with the API and
PostgreSQL, and httpx spent ~3.3 ms of CPU per request (bench/RESULTS.md, "Issue 11: a lighter load
generator") — a third of what a transition costs the server — so the API's throughput partly measured the
client. aiohttp parses HTTP in C (llhttp) and costs a fraction of that, as the raw baselines' asyncpg client
costs a fraction of PostgreSQL's work. Every load still checks statuses and bodies as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Reply:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class LoadClient:
    """`get` and `post` against `base_url`, at most `concurrency` connections, a 30 s timeout per request."""

    def __init__(self, base_url: str, concurrency: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> LoadClient:
        connector = aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=self.concurrency,
                                         ttl_dns_cache=None, enable_cleanup_closed=False)
        self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30.0),
                                              skip_auto_headers=("User-Agent",), auto_decompress=False)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._session is not None:
            await self._session.close()

    async def _request(self, method: str, path: str, *, headers: Mapping[str, str],
                       params: Mapping[str, Any] | None = None, body: Any = None) -> Reply:
        assert self._session is not None, "use `async with LoadClient(...)`"
        data = None
        hdrs = dict(headers)
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        query = {k: str(v) for k, v in params.items()} if params else None
        async with self._session.request(method, self.base_url + path, params=query, data=data,
                                         headers=hdrs) as resp:
            return Reply(resp.status, await resp.read())

    async def get(self, path: str, *, headers: Mapping[str, str], params: Mapping[str, Any] | None = None) -> Reply:
        return await self._request("GET", path, headers=headers, params=params)

    async def post(self, path: str, *, headers: Mapping[str, str], json: Any = None) -> Reply:
        return await self._request("POST", path, headers=headers, body=json)
