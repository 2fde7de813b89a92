"""Pure ASGI middleware: request id, client address, toelichting, body limit, access log, metrics."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import API_VERSION
from app.api.errors import problem
from app.api.metrics import Metrics
from app.kit.request_context import RequestContext, reset_context, set_context

log = logging.getLogger("casusregie.http")

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
MAX_TOELICHTING = 1000
_API_VERSION = API_VERSION.encode()


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def decode_toelichting(value: str) -> str:
    """A header value as sent (its bytes read as Latin-1): RFC 8187 style `UTF-8''<percent-encoded>` for text
    any client can send, else UTF-8 bytes (what browsers' fetch and Node send), else Latin-1 as it is."""
    if value[:7].lower() == "utf-8''":
        return unquote(value[7:], encoding="utf-8", errors="replace")
    raw = value.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


class TrustedProxies:
    def __init__(self, entries: list[str]) -> None:
        self.networks = [ipaddress.ip_network(e, strict=False) for e in entries]

    def trusts(self, address: str | None) -> bool:
        if not address or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def client_address(self, scope: Scope) -> str | None:
        peer = scope.get("client")
        address = peer[0] if peer else None
        if not self.trusts(address):
            return address
        forwarded = _header(scope, b"x-forwarded-for")
        if not forwarded:
            return address
        # Walk from the right: the first hop that is not one of our proxies is the client.
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if not self.trusts(hop):
                return hop
        return address


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, proxies: TrustedProxies, max_body: int) -> None:
        self.app = app
        self.metrics = metrics
        self.proxies = proxies
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        personal = str(scope.get("path", "")).startswith("/v1/")
        # The id the audit log records is the server's own: a client choosing it could make entries of several
        # requests look like one, or collide with another's. A client's own id (sanitised) is logged beside it.
        request_id = uuid.uuid4().hex
        incoming = _header(scope, b"x-request-id")
        client_request_id = incoming if incoming and _REQUEST_ID_OK.match(incoming) else None
        toelichting = _header(scope, b"x-audit-toelichting")
        if toelichting is not None:
            toelichting = decode_toelichting(toelichting)[:MAX_TOELICHTING] or None
        token = set_context(RequestContext(request_id, self.proxies.client_address(scope), toelichting))
        status_holder: dict[str, Any] = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"api-version", _API_VERSION))
                headers.append((b"x-content-type-options", b"nosniff"))
                # /v1 answers carry case, subject or audit data: no browser or proxy may keep a copy.
                if personal and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body:
                await self._too_large(scope, receive, send_wrapper)
                return
            received = 0
            rejected = False

            async def guarded_send(message: Message) -> None:
                # Once we answered 413 ourselves, whatever the app still sends is dropped.
                if not rejected:
                    await send_wrapper(message)

            async def limited_receive() -> Message:
                nonlocal received, rejected
                message = await receive()
                if message["type"] == "http.request" and not rejected:
                    received += len(message.get("body", b""))
                    if received > self.max_body:
                        await self._too_large(scope, receive, send_wrapper)
                        rejected = True
                        return {"type": "http.disconnect"}
                return message

            try:
                await self.app(scope, limited_receive, guarded_send)
            except Exception:
                # Answer here, inside the request context, so the 500 carries the request id.
                log.exception("unhandled error")
                if status_holder.get("started"):
                    raise
                status_holder["status"] = 500
                await problem(500, "An internal error occurred; quote the request id when reporting it")(
                    scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            status = status_holder["status"]
            self.metrics.observe(scope["method"], template, status, elapsed)
            log.info("request", extra={"request_id": request_id, "client_request_id": client_request_id,
                                       "method": scope["method"], "route": template, "status": status,
                                       "duration_ms": round(elapsed * 1000, 2)})
            reset_context(token)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, f"Request bodies are limited to {self.max_body} bytes")
        await response(scope, receive, send)
