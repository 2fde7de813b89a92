"""The SSRF guard: the allowlist setting, URL syntax, and which resolved addresses a webhook may reach."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest

from app.events.ssrf import AddressNotAllowed, Allowlist, resolve_allowed, url_problem


def test_parse_comma_list_with_spaces_ipv6_and_cidr() -> None:
    allow = Allowlist.parse(" 127.0.0.1 , Hooks.Example.NL,, 10.20.0.0/16 ,::1, 2001:db8::/32, ")
    assert allow.hosts == frozenset({"hooks.example.nl"})
    assert set(allow.networks) == {
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("2001:db8::/32"),
    }
    assert allow.allows_address("10.20.3.4")
    assert not allow.allows_address("10.21.0.1")
    assert allow.allows_address("2001:db8::5")
    assert allow.allows_address("::ffff:127.0.0.1")  # the same destination as the listed 127.0.0.1
    assert allow.allows_host("HOOKS.example.nl")
    assert allow.allows_host("hooks.example.nl.")
    assert not allow.allows_host("evil.hooks.example.nl")


@pytest.mark.parametrize("text", ["10.20.0.1/16", "10.0.0.0/33", "300.1.1.1", "fe80::zz", "::1/129", "exa mple.nl"])
def test_parse_refuses_invalid_items_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="CASUSREGIE_WEBHOOK_ALLOW") as caught:
        Allowlist.parse(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize("text", [None, "", " , ,"])
def test_empty_allowlist_allows_nothing(text: str | None) -> None:
    allow = Allowlist.parse(text)
    assert allow.is_empty()
    assert not allow.allows_address("127.0.0.1")
    assert not allow.allows_address("8.8.8.8")
    assert not allow.allows_host("localhost")


async def test_empty_allowlist_refuses_even_public_addresses() -> None:
    with pytest.raises(AddressNotAllowed, match="empty"):
        await resolve_allowed("https://8.8.8.8/hook", Allowlist.parse(""))


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://hooks.example.nl/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("http:///only-a-path", "no host"),
        ("https://", "no host"),
        ("https://user:secret@hooks.example.nl/x", "credentials"),
        ("https://user@hooks.example.nl/x", "credentials"),
        ("https://hooks.example.nl/x#part", "fragment"),
        ("https://hooks.example.nl/" + "a" * 2048, "longer"),
        ("https://hooks.example.nl:99999/", "malformed"),
        ("https://hooks.example.nl:0/", "port"),
        ("https://[::1/", "malformed"),
        ("https://evil.nl\\@127.0.0.1/", "backslash"),
        ("https://hooks.example.nl/a b", "whitespace"),
        ("https://[fe80::1%25eth0]/", "zone"),
        ("https://bücher.example/", "ASCII"),
    ],
)
def test_url_problem_names_what_is_wrong(url: str, fragment: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert fragment in problem
    assert "secret" not in problem  # the message never repeats the URL (which could carry credentials)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.nl/x",
        "https://hooks.example.nl:8443/a/b?c=1",
        "HTTPS://Hooks.Example.NL",
        "http://[::1]:8080/",
    ],
)
def test_url_problem_accepts_good_urls(url: str) -> None:
    assert url_problem(url) is None


async def test_loopback_literal_allowed_when_listed() -> None:
    assert await resolve_allowed("http://127.0.0.1:8080/hook", Allowlist.parse("127.0.0.1")) == ["127.0.0.1"]


async def test_loopback_literal_refused_when_not_listed() -> None:
    with pytest.raises(AddressNotAllowed, match=r"127\.0\.0\.1"):
        await resolve_allowed("http://127.0.0.1:8080/hook", Allowlist.parse("10.0.0.0/8"))


async def test_listed_hostname_does_not_open_loopback() -> None:
    with pytest.raises(AddressNotAllowed, match="'localhost'"):
        await resolve_allowed("http://localhost:8080/hook", Allowlist.parse("localhost"))


async def test_hostname_allowed_through_its_listed_addresses() -> None:
    # localhost may also resolve to ::1, depending on the machine: every address must be listed
    assert "127.0.0.1" in await resolve_allowed("http://localhost:8080/hook", Allowlist.parse("127.0.0.1,::1"))


async def test_unresolvable_host_refused() -> None:
    with pytest.raises(AddressNotAllowed, match="does not resolve"):
        await resolve_allowed("https://no-such-host.invalid/hook", Allowlist.parse("no-such-host.invalid,0.0.0.0/0"))


async def test_ipv6_literal() -> None:
    with pytest.raises(AddressNotAllowed, match="'::1'"):
        await resolve_allowed("http://[::1]:8080/hook", Allowlist.parse("127.0.0.1,10.0.0.0/8"))
    assert await resolve_allowed("http://[::1]:8080/hook", Allowlist.parse("::1")) == ["::1"]


async def test_invalid_url_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="scheme"):
        await resolve_allowed("gopher://127.0.0.1/", Allowlist.parse("127.0.0.1"))


def _fake_resolver(answers: dict[str, list[str]], calls: list[tuple[str, int]]) -> Callable[..., Any]:
    async def getaddrinfo(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        calls.append((host, port))
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port, 0, 0) if ":" in address else (address, port),
            )
            for address in answers[host]
        ]

    return getaddrinfo


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[str]]], list[tuple[str, int]]]:
    """Replace the running loop's resolver with fixed answers; returns the list of lookups made."""

    def install(answers: dict[str, list[str]]) -> list[tuple[str, int]]:
        calls: list[tuple[str, int]] = []
        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", _fake_resolver(answers, calls))
        return calls

    return install


async def test_listed_hostname_may_resolve_to_public_addresses(dns: Callable[..., list[tuple[str, int]]]) -> None:
    calls = dns({"hooks.partner.nl": ["93.184.216.34", "2606:2800:220:1::1", "93.184.216.34"]})
    addresses = await resolve_allowed("https://hooks.partner.nl/x", Allowlist.parse("hooks.partner.nl"))
    assert addresses == ["93.184.216.34", "2606:2800:220:1::1"]  # deduplicated, in resolution order
    assert calls == [("hooks.partner.nl", 443)]


@pytest.mark.parametrize(
    "internal",
    [
        "10.1.2.3",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "fe80::1",
        "fd00::1",
        "::",
        "::ffff:127.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::a00:1",
    ],
)
async def test_listed_hostname_refused_when_any_address_is_internal(
    dns: Callable[..., list[tuple[str, int]]], internal: str
) -> None:
    dns({"hooks.partner.nl": ["93.184.216.34", internal]})
    with pytest.raises(AddressNotAllowed, match=r"hooks\.partner\.nl"):
        await resolve_allowed("https://hooks.partner.nl/x", Allowlist.parse("hooks.partner.nl"))


async def test_listed_hostname_reaches_internal_address_listed_as_cidr(
    dns: Callable[..., list[tuple[str, int]]],
) -> None:
    dns({"hooks.intern": ["10.20.1.5"]})
    assert await resolve_allowed("http://hooks.intern:9000/", Allowlist.parse("10.20.0.0/16")) == ["10.20.1.5"]


async def test_unlisted_hostname_refused_when_one_address_is_outside_the_networks(
    dns: Callable[..., list[tuple[str, int]]],
) -> None:
    dns({"hooks.intern": ["10.20.1.5", "10.99.0.1"]})
    with pytest.raises(AddressNotAllowed, match=r"10\.99\.0\.1"):
        await resolve_allowed("http://hooks.intern/", Allowlist.parse("10.20.0.0/16"))


async def test_unlisted_hostname_with_public_address_refused(dns: Callable[..., list[tuple[str, int]]]) -> None:
    dns({"elsewhere.example": ["93.184.216.34"]})
    with pytest.raises(AddressNotAllowed, match=r"elsewhere\.example"):
        await resolve_allowed("https://elsewhere.example/", Allowlist.parse("hooks.partner.nl,10.0.0.0/8"))
