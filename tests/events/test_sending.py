"""One signed webhook delivery, against a real HTTP(S) receiver on 127.0.0.1 started inside the test."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.events.sending import (
    CONTENT_TYPE,
    new_secret,
    secret_problem,
    send,
    signature_headers,
)
from app.events.ssrf import Allowlist

LOOPBACK = Allowlist.parse("127.0.0.1")
BODY = json.dumps({"specversion": "1.0", "id": "evt-1", "type": "nl.casusregie.case.transitioned"}).encode()


@dataclass
class Hit:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        values = [value for key, value in self.headers if key == name]
        assert len(values) == 1, f"{name}: {values}"
        return values[0]


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server: records each request and answers `status` (after `delay` seconds)."""

    status: int = 200
    location: str | None = None
    delay: float = 0.0
    tls: ssl.SSLContext | None = None
    hits: list[Hit] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, path, _version = request_line.split(" ", 2)
        headers = [
            (key.strip().lower(), value.strip()) for key, value in (line.split(":", 1) for line in lines if line)
        ]
        length = int(dict(headers).get("content-length", "0"))
        self.hits.append(Hit(method, path, headers, await reader.readexactly(length)))
        await asyncio.sleep(self.delay)
        status = self.status if path.startswith("/hook") else 200
        location = f"location: {self.location}\r\n" if self.location and status // 100 == 3 else ""
        writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n{location}\r\n".encode())
        await writer.drain()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def test_delivery_is_signed_and_verifies_with_the_library(receiver: Receiver) -> None:
    secret = new_secret()
    url = f"http://127.0.0.1:{receiver.port}/hook/in?tenant=7"
    result = await send(url, BODY, event_id="evt-1", secret=secret, allow=LOOPBACK, at=_now())

    assert result.ok, result
    assert (result.status_code, result.error) == (200, None)
    assert result.duration_ms >= 0
    [hit] = receiver.hits
    assert (hit.method, hit.path, hit.body) == ("POST", "/hook/in?tenant=7", BODY)
    assert hit.header("content-type") == CONTENT_TYPE
    assert hit.header("user-agent") == "Casusregie-Webhooks/1"
    assert hit.header("host") == f"127.0.0.1:{receiver.port}"
    assert hit.header("webhook-id") == "evt-1"
    assert Webhook(secret).verify(hit.body, dict(hit.headers)) == json.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(hit.body, dict(hit.headers))


def test_signature_timestamp_is_the_instant_whatever_the_time_zone() -> None:
    secret = new_secret()
    at = dt.datetime(2026, 12, 3, 12, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    headers = signature_headers(secret, "evt-9", BODY, at)
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    in_utc = signature_headers(secret, "evt-9", BODY, at.astimezone(dt.UTC))
    assert headers == in_utc
    with pytest.raises(ValueError, match="timezone"):
        signature_headers(secret, "evt-9", BODY, dt.datetime(2026, 12, 3, 12, 0, 0))


async def test_error_status_is_a_failure(receiver: Receiver) -> None:
    receiver.status = 500
    result = await send(
        f"http://127.0.0.1:{receiver.port}/hook", BODY, event_id="e", secret=new_secret(), allow=LOOPBACK, at=_now()
    )
    assert (result.ok, result.status_code, result.error) == (False, 500, "http 500")


async def test_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.status = 302
    receiver.location = f"http://127.0.0.1:{receiver.port}/elsewhere"
    result = await send(
        f"http://127.0.0.1:{receiver.port}/hook", BODY, event_id="e", secret=new_secret(), allow=LOOPBACK, at=_now()
    )
    assert (result.ok, result.status_code) == (False, 302)
    assert result.error == "redirect not followed (302)"
    await asyncio.sleep(0.05)
    assert receiver.paths() == ["/hook"]


async def test_redirect_is_not_followed_by_a_following_client(receiver: Receiver) -> None:
    receiver.status = 307
    receiver.location = f"http://127.0.0.1:{receiver.port}/elsewhere"
    async with httpx.AsyncClient(trust_env=False, follow_redirects=True) as client:
        result = await send(
            f"http://127.0.0.1:{receiver.port}/hook",
            BODY,
            event_id="e",
            secret=new_secret(),
            allow=LOOPBACK,
            at=_now(),
            client=client,
        )
    assert (result.ok, result.error) == (False, "redirect not followed (307)")
    assert receiver.paths() == ["/hook"]


async def test_address_not_allowed_is_not_contacted(receiver: Receiver) -> None:
    result = await send(
        f"http://127.0.0.1:{receiver.port}/hook",
        BODY,
        event_id="e",
        secret=new_secret(),
        allow=Allowlist.parse("10.0.0.0/8,localhost"),
        at=_now(),
    )
    assert (result.ok, result.status_code, result.error) == (False, None, "address not allowed")
    assert receiver.hits == []


async def test_closed_port_is_a_failure_not_an_exception() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        result = await send(
            f"http://127.0.0.1:{port}/hook", BODY, event_id="e", secret=new_secret(), allow=LOOPBACK, at=_now()
        )
    assert (result.ok, result.status_code, result.error) == (False, None, "connection refused")


async def test_slow_receiver_times_out(receiver: Receiver) -> None:
    receiver.delay = 3.0
    result = await send(
        f"http://127.0.0.1:{receiver.port}/hook",
        BODY,
        event_id="e",
        secret=new_secret(),
        allow=LOOPBACK,
        at=_now(),
        timeout=0.5,
    )
    assert (result.ok, result.status_code, result.error) == (False, None, "timeout")
    assert 400 <= result.duration_ms < 2000


async def test_invalid_url_and_secret_are_failures(receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.port}/hook"
    bad_url = await send(url + "#x", BODY, event_id="e", secret=new_secret(), allow=LOOPBACK, at=_now())
    bad_secret = await send(url, BODY, event_id="e", secret="whsec_abc", allow=LOOPBACK, at=_now())
    assert (bad_url.ok, bad_url.error) == (False, "invalid url")
    assert (bad_secret.ok, bad_secret.error) == (False, "invalid secret")
    assert receiver.hits == []


def test_new_secret_is_valid_and_verifies() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert secret_problem(secret) is None
    assert secret != new_secret()
    headers = signature_headers(secret, "evt-2", BODY, _now())
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


@pytest.mark.parametrize(
    "secret",
    [
        "abc",
        "whsec_!!!",
        "whsec_",
        "whsec_" + "QUJD",  # 3 bytes
        "whsec_" + "A" * 30,  # 22 bytes: too short
        "whsec_" + "A" * 88,  # 66 bytes: too long
        "whsec_" + "-_" * 16 + "AAAA",  # urlsafe alphabet: the library would silently drop "-_"
        "WHSEC_" + "A" * 44,
    ],
)
def test_secret_problem_rejects(secret: str) -> None:
    assert secret_problem(secret) is not None


@pytest.mark.parametrize(
    "secret", ["whsec_" + "A" * 32, "whsec_" + "A" * 43 + "=", "whsec_" + "A" * 43, "whsec_" + "A" * 84]
)
def test_secret_problem_accepts_24_to_64_bytes(secret: str) -> None:
    assert secret_problem(secret) is None


# --- a named host: resolved once, connected by address, Host and TLS name kept -----------------------


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[list[str]]]], list[str]]:
    """Answer the given names from fixed lists (one list per successive lookup, the last repeated); any
    other name goes to the real resolver. Returns the names looked up."""

    def install(answers: dict[str, list[list[str]]]) -> list[str]:
        loop = asyncio.get_running_loop()
        real = loop.getaddrinfo
        calls: list[str] = []

        async def getaddrinfo(host: Any, port: Any, **kwargs: Any) -> Any:
            calls.append(host)
            if host not in answers:
                return await real(host, port, **kwargs)
            lookups = sum(1 for name in calls if name == host)
            addresses = answers[host][min(lookups, len(answers[host])) - 1]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port)) for a in addresses]

        monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
        return calls

    return install


async def test_named_host_is_resolved_once_and_connected_by_address(
    receiver: Receiver, dns: Callable[..., list[str]]
) -> None:
    # a second lookup would answer an address outside the allowlist (DNS rebinding); it must not happen
    calls = dns({"hooks.example.test": [["127.0.0.1"], ["10.66.0.1"]]})
    result = await send(
        f"http://hooks.example.test:{receiver.port}/hook",
        BODY,
        event_id="e",
        secret=new_secret(),
        allow=LOOPBACK,
        at=_now(),
        timeout=3.0,
    )
    assert result.ok, result
    assert calls.count("hooks.example.test") == 1
    [hit] = receiver.hits
    assert hit.header("host") == f"hooks.example.test:{receiver.port}"


def _tls_files(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for `name` only (no IP): the server context, and a client that trusts it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


@pytest.mark.parametrize(("cert_name", "ok"), [("hooks.example.test", True), ("other.example.test", False)])
async def test_https_checks_the_certificate_against_the_original_name(
    tmp_path: Path, dns: Callable[..., list[str]], cert_name: str, ok: bool
) -> None:
    server_tls, client_tls = _tls_files(tmp_path, cert_name)
    receiver = Receiver(tls=server_tls)
    await receiver.start()
    dns({"hooks.example.test": [["127.0.0.1"]]})
    try:
        async with httpx.AsyncClient(trust_env=False, verify=client_tls) as client:
            result = await send(
                f"https://hooks.example.test:{receiver.port}/hook",
                BODY,
                event_id="e",
                secret=new_secret(),
                allow=LOOPBACK,
                at=_now(),
                timeout=3.0,
                client=client,
            )
    finally:
        await receiver.stop()
    if ok:
        assert (result.ok, result.status_code) == (True, 200), result
        [hit] = receiver.hits
        assert hit.header("host") == f"hooks.example.test:{receiver.port}"
    else:
        assert (result.ok, result.error) == (False, "tls certificate not valid")
        assert receiver.hits == []
