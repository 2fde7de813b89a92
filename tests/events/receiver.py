"""A webhook receiver for the tests: a minimal HTTP/1.1 server on 127.0.0.1 that records each request and
answers `status` (after `delay` seconds); the events tests verify what it got with the `standardwebhooks`
package, as a partner's receiver would."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def verified(self, secret: str) -> dict[str, Any]:
        """The event, after checking its signature the Standard Webhooks way (raises when it does not verify)."""
        parsed: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return parsed


@dataclass
class Receiver:
    status: int = 200
    delay: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    arrived: int = 0  # requests read, answered or not yet
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def events(self) -> list[dict[str, Any]]:
        return [hit.event() for hit in self.hits]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.arrived += 1
            await asyncio.sleep(self.delay)
            self.hits.append(Hit(method, path, headers, body))
            writer.write(f"HTTP/1.1 {self.status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
