"""Which addresses Guildmind may fetch, and a transport that connects only to those.

Guildmind fetches addresses its users type in, so it must not become a way to reach
inside the network it runs in (SSRF). :func:`resolve_checked` resolves a host once and
refuses private, loopback, link-local, reserved, multicast and unspecified addresses
(IPv4, IPv6 and IPv4 inside IPv6); :class:`PinnedTransport` then connects to exactly the
checked address, so a DNS answer that changes in between (rebinding) cannot redirect a
crawl. ``CRAWL_ALLOW_PRIVATE`` lifts the check for operators who crawl their intranet.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from knowledge.errors import KnowledgeError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
# NAT64 addresses carry an IPv4 address in their last 32 bits.
_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


def refusal_reason(address: IPAddress) -> str | None:
    """Why Guildmind will not connect to ``address`` (None when it is a public address)."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal_reason(embedded)
    blocked = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        # Catches the rest: shared (carrier-grade NAT) space, documentation ranges...
        or not address.is_global
    )
    return "a private or loopback address" if blocked else None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise KnowledgeError(f"{host} could not be found; check the address.") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise KnowledgeError(f"{host} could not be found; check the address.")
    return addresses


def resolve_checked(host: str, port: int) -> IPAddress:
    """The address to connect to for ``host``; KnowledgeError if any of its addresses is private.

    Refusing when *any* resolved address is private (not only the one we would use)
    keeps the rule simple to explain and closes tricks with mixed DNS answers.
    """
    addresses = _resolve(host, port)
    if settings.CRAWL_ALLOW_PRIVATE:
        return addresses[0]
    for address in addresses:
        reason = refusal_reason(address)
        if reason is None:
            continue
        subject = str(address) if host.strip("[]") == str(address) else f"{host} resolves to {address}, which"
        raise KnowledgeError(f"{subject} is {reason}; Guildmind does not crawl inside its own network.")
    return addresses[0]


def check_url(url: str) -> str:
    """The URL, stripped, if Guildmind may crawl it; KnowledgeError otherwise.

    Checks the scheme and the host's addresses now; every connection is checked again
    when the crawl runs (the DNS answer may change in between).
    """
    url = url.strip()
    host, port = host_and_port(url)
    resolve_checked(host, port)
    return url


def host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise KnowledgeError(f"{url} is not a valid web address.") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise KnowledgeError("Only http:// and https:// addresses can be crawled.")
    if not parts.hostname:
        raise KnowledgeError(
            f"{url} has no host name; write the full address, like https://example.com/help."
        )
    return parts.hostname, port or (443 if scheme == "https" else 80)


class PinnedTransport(httpx.BaseTransport):
    """Connects only to checked addresses, and to the very address that was checked.

    The request goes to the resolved IP; the Host header (set by httpx from the original
    URL) and, for https, the TLS server name (``sni_hostname``) stay the original host,
    so virtual hosting and certificate checks work as if we had connected by name.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        scheme = request.url.scheme
        if scheme not in ALLOWED_SCHEMES:
            raise KnowledgeError("Only http:// and https:// addresses can be crawled.")
        address = resolve_checked(host, request.url.port or (443 if scheme == "https" else 80))
        extensions = dict(request.extensions)
        if scheme == "https":
            extensions["sni_hostname"] = host
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=str(address)),
            headers=request.headers,
            stream=request.stream,
            extensions=extensions,
        )
        return self._inner.handle_request(pinned)

    def close(self) -> None:
        self._inner.close()
