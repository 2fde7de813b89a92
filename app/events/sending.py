"""One signed webhook delivery attempt (Standard Webhooks headers), to an address the SSRF guard checked.

`send` resolves the URL's host once through app/events/ssrf.py and connects to the first checked
address, not to the name again (a DNS answer that changes after the check cannot redirect us): the URL's
host becomes that IP, the `Host` header keeps the original host and, for https, the `sni_hostname`
extension makes TLS SNI and the certificate check use the real name. Redirects are not followed, the
response body is never read, and network failures come back as a SendResult, never as an exception.
Logs carry the event id and host only: never the body, the URL's path or query, or the secret.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import secrets
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from app.events.ssrf import AddressNotAllowed, Allowlist, resolve_allowed, url_host, url_problem

logger = logging.getLogger("casusregie.events")

SECRET_PREFIX = "whsec_"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
USER_AGENT = "Casusregie-Webhooks/1"
MAX_CONNECT_SECONDS = 5.0


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None
    error: str | None  # a short classification ("timeout", "http 500"); never response text or secrets
    duration_ms: int


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form: "whsec_" + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_problem(secret: str) -> str | None:
    """What is wrong with a caller-given signing secret, or None."""
    if not secret.startswith(SECRET_PREFIX):
        return f"secret must start with {SECRET_PREFIX!r}"
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        # validate=True: the library decodes leniently and would silently drop characters (urlsafe "-_")
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return f"secret must be standard base64 after {SECRET_PREFIX!r}"
    if not 24 <= len(key) <= 64:
        return f"secret key must be 24 to 64 bytes, not {len(key)}"
    return None


def signature_headers(secret: str, event_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one delivery; ValueError for a bad secret or a naive `at`."""
    problem = secret_problem(secret)
    if problem is not None:
        raise ValueError(problem)
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    seconds = math.floor(at.timestamp())
    # Webhook.sign replaces the tzinfo with UTC instead of converting, so it must be given UTC
    stamp = datetime.fromtimestamp(seconds, tz=UTC)
    signature = Webhook(secret).sign(msg_id=event_id, timestamp=stamp, data=body.decode("utf-8"))
    return {"webhook-id": event_id, "webhook-timestamp": str(seconds), "webhook-signature": signature}


def new_client() -> httpx.AsyncClient:
    """A client fit for `send`, to share across deliveries.

    trust_env=False: a proxy from the environment would resolve the name itself, past the SSRF check.
    A caller's own client must likewise have no proxy.
    """
    return httpx.AsyncClient(trust_env=False, follow_redirects=False)


async def send(
    url: str,
    body: bytes,
    *,
    event_id: str,
    secret: str,
    allow: Allowlist,
    at: datetime,
    # the whole budget, resolving included; it also sets httpx's own connect/read limits, which a
    # caller's asyncio.timeout around the call could not
    timeout: float = 10.0,  # noqa: ASYNC109
    client: httpx.AsyncClient | None = None,
) -> SendResult:
    """POST `body` to `url`, signed, within `timeout` seconds in all (resolving included); 2xx is ok.

    Raises only for a programming error (a body that is not UTF-8, a naive `at`); an invalid URL or
    secret, a refused address and every network failure are a SendResult with ok=False.
    """
    started = time.monotonic()

    def result(status_code: int | None, error: str | None) -> SendResult:
        duration_ms = round((time.monotonic() - started) * 1000)
        return SendResult(ok=error is None, status_code=status_code, error=error, duration_ms=duration_ms)

    if url_problem(url) is not None:
        logger.warning("webhook %s not sent: invalid url", event_id)
        return result(None, "invalid url")
    if secret_problem(secret) is not None:
        logger.warning("webhook %s not sent: invalid secret", event_id)
        return result(None, "invalid secret")
    headers = {
        "content-type": CONTENT_TYPE,
        "user-agent": USER_AGENT,
        # a pooled TLS connection to a shared IP was verified for the name it was opened for, not ours
        "connection": "close",
        **signature_headers(secret, event_id, body, at),
    }
    host = url_host(url)
    try:
        async with asyncio.timeout(timeout):
            addresses = await resolve_allowed(url, allow)
            status_code = await _post(url, addresses[0], body, headers, timeout, client)
    except AddressNotAllowed as exc:
        logger.warning("webhook %s not sent: %s", event_id, exc)
        return result(None, "address not allowed")
    except (TimeoutError, httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        failed = result(None, _classify(exc))
        logger.info("webhook %s to %s failed: %s", event_id, host, failed.error)
        return failed
    outcome = result(status_code, _status_error(status_code))
    logger.info("webhook %s to %s: %s in %d ms", event_id, host, outcome.error or status_code, outcome.duration_ms)
    return outcome


async def _post(
    url: str,
    address: str,
    body: bytes,
    headers: dict[str, str],
    seconds: float,
    client: httpx.AsyncClient | None,
) -> int:
    """POST to `address` in place of the URL's host and return the status; the body is never read."""
    target = httpx.URL(url)
    if target.host != url_host(url):  # both parsers must name the host that was checked
        raise httpx.InvalidURL("URL parsers disagree on the host")
    extensions: dict[str, str] = {}
    if target.scheme == "https" and target.host != address:
        extensions["sni_hostname"] = target.host
    own_client = client is None
    http = new_client() if client is None else client
    try:
        request = http.build_request(
            "POST",
            target.copy_with(host=address),
            content=body,
            headers={**headers, "host": target.netloc.decode("ascii")},
            timeout=httpx.Timeout(seconds, connect=min(MAX_CONNECT_SECONDS, seconds)),
            extensions=extensions,
        )
        response = await http.send(request, follow_redirects=False, stream=True)
        await response.aclose()  # unread: a receiver cannot make us download anything
        return response.status_code
    finally:
        if own_client:
            await http.aclose()


def _status_error(status_code: int) -> str | None:
    if 200 <= status_code < 300:
        return None
    if 300 <= status_code < 400:
        return f"redirect not followed ({status_code})"
    return f"http {status_code}"


def _classify(exc: BaseException) -> str:
    """A short, stable error classification for the delivery log."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.InvalidURL):
        return "invalid url"
    causes = _causes(exc)
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "connection refused"
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
        return "tls certificate not valid"
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return "tls error"
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    if isinstance(exc, httpx.ProtocolError):
        return "protocol error"
    if isinstance(exc, httpx.NetworkError | OSError):
        return "connection error"
    return "request failed"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and contexts, and the members of exception groups among them."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if any(current is known for known in seen):
            continue
        seen.append(current)
        todo.extend(link for link in (current.__cause__, current.__context__) if link is not None)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
    return seen
