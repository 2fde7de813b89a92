"""SSRF guard for outgoing webhooks: which URLs Casusregie may deliver events to.

The operator lists what may be called in `CASUSREGIE_WEBHOOK_ALLOW`: hostnames, IP addresses and CIDRs
(IPv4 and IPv6), comma-separated, e.g. "127.0.0.1,hooks.example.nl,10.20.0.0/16". An empty list allows
nothing: webhooks stay off until the operator opens them.

The rule. A URL's host is resolved (an IP literal stands for itself) and EVERY address must pass, else
the URL is refused as a whole. An address passes when

1. it lies in a listed IP address or CIDR, or
2. the hostname itself is listed (exactly, case-insensitive, a trailing dot ignored) and the address is
   public: globally routable unicast (`is_global`, not multicast; IPv4 carried in IPv6 — mapped, 6to4,
   NAT64 — is judged as that IPv4 address).

So a listed partner name may move between public addresses freely, but loopback, private, link-local,
shared (100.64/10), reserved, unspecified and multicast addresses only pass when listed as IP/CIDR
themselves: DNS for "hooks.partner.nl" cannot turn a delivery into a probe of our own network. A host
that does not resolve is refused. The sender connects to an address checked here rather than resolving
the name again (app/events/sending.py), so the answer cannot change between check and connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}

_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressNotAllowed(Exception):
    """A webhook URL's host is not allowed, or does not resolve. The message names the host only."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"webhook host {host!r} {reason}")
        self.host = host


@dataclass(frozen=True)
class Allowlist:
    """The parsed `CASUSREGIE_WEBHOOK_ALLOW`; see the module docstring for how it is applied."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Allowlist:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in (text or "").split(","):
            item = raw.strip()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.removeprefix("[").removesuffix("]")))
                continue
            except ValueError as exc:
                # "/" or ":" mean the operator meant an address; digits and dots only would be one too
                if "/" in item or ":" in item or re.fullmatch(r"[0-9.]+", item):
                    raise ValueError(
                        f"CASUSREGIE_WEBHOOK_ALLOW: {item!r} is not a valid IP address or CIDR ({exc})"
                    ) from None
            host = _normal_host(item)
            if len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
                raise ValueError(f"CASUSREGIE_WEBHOOK_ALLOW: {item!r} is not a valid hostname, IP address or CIDR")
            hosts.add(host)
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    def is_empty(self) -> bool:
        return not self.hosts and not self.networks

    def allows_address(self, ip: str | IPAddress) -> bool:
        """The address lies in a listed IP or CIDR (an IPv4-mapped IPv6 address also as its IPv4 form)."""
        address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(candidate in network for candidate in candidates for network in self.networks)

    def allows_host(self, host: str) -> bool:
        """The hostname is listed exactly (case-insensitive)."""
        return _normal_host(host) in self.hosts

    def allows(self, host: str, ip: str | IPAddress) -> bool:
        """Whether a connection to `ip`, reached by resolving `host`, passes the module's rule."""
        address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        return self.allows_address(address) or (self.allows_host(host) and _is_public(address))


def url_problem(url: str) -> str | None:
    """What is wrong with a webhook URL's syntax, or None; no network access."""
    if len(url) > MAX_URL_LENGTH:
        return f"URL is longer than {MAX_URL_LENGTH} characters"
    if not url.isascii():
        return "URL must be ASCII (punycode for the host, percent-encoding for the path)"
    # what two URL parsers could read differently has no place in a URL we check and then connect to
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in url):
        return "URL must not contain whitespace, control characters or backslashes"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "URL is malformed (host or port)"
    if parts.scheme not in DEFAULT_PORTS:
        return "URL scheme must be http or https"
    if "@" in parts.netloc:
        return "URL must not contain credentials (user:password@)"
    host = parts.hostname
    if not host:
        return "URL has no host"
    if "#" in url:
        return "URL must not contain a fragment"
    if "%" in host:
        return "URL host must not contain a zone id or percent-encoding"
    if "[" in parts.netloc and not isinstance(_ip_literal(host), ipaddress.IPv6Address):
        return "URL host in brackets must be an IPv6 address"
    if port == 0:
        return "URL port must be between 1 and 65535"
    return None


def url_host(url: str) -> str:
    """The host of a URL that passed url_problem: lower case, IPv6 without brackets."""
    host = urlsplit(url).hostname
    if not host:
        raise ValueError("URL has no host")
    return host


async def resolve_allowed(url: str, allow: Allowlist) -> list[str]:
    """The addresses the URL's host resolves to, deduplicated in resolution order, when all are allowed.

    Raises AddressNotAllowed when one is not, or the host does not resolve; ValueError for a URL that
    fails url_problem.
    """
    problem = url_problem(url)
    if problem is not None:
        raise ValueError(problem)
    parts = urlsplit(url)
    host = url_host(url)
    if allow.is_empty():
        raise AddressNotAllowed(host, "is not allowed: the webhook allowlist (CASUSREGIE_WEBHOOK_ALLOW) is empty")
    literal = _ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        addresses = await _resolve(host, parts.port or DEFAULT_PORTS[parts.scheme])
    for address in addresses:
        if not allow.allows(host, address):
            raise AddressNotAllowed(host, f"resolves to {address}, which is not allowed")
    return [str(address) for address in addresses]


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, UnicodeError):  # socket.gaierror is an OSError; a bad IDNA label a UnicodeError
        raise AddressNotAllowed(host, "does not resolve") from None
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canonname, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressNotAllowed(host, "does not resolve")
    return addresses


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _normal_host(host: str) -> str:
    return host.strip().lower().removesuffix(".")


def _is_public(address: IPAddress) -> bool:
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return _is_public(embedded)
    return True
