"""Fetch a web page or a sitemap's pages for the knowledge base, safely.

Guildmind fetches addresses its users type in, so it must not become a way to reach
inside the network it runs in (SSRF). Every connection, redirects included, goes
through :class:`_PinnedTransport`, which resolves the host once, refuses private,
loopback, link-local, reserved, multicast and unspecified addresses (IPv4, IPv6 and
IPv4 inside IPv6), and then connects to exactly that checked address while sending the
original Host header and TLS server name. A DNS answer that changes between the check
and the connection (rebinding) therefore cannot redirect us. ``CRAWL_ALLOW_PRIVATE``
lifts the address check for operators who want their intranet crawled.

Caps: ``CRAWL_MAX_PAGES`` pages, ``CRAWL_MAX_BYTES`` bytes read in all (bodies are
streamed and reading stops at the cap), ``CRAWL_TIMEOUT_SECONDS`` for the whole crawl.
Only HTML, plain text and (for sitemaps) XML are read. The pages' text is held to the
caps of one source (:class:`ExtractLimits`): characters in all, and time spent turning
HTML into text, which runs in a child process (:mod:`knowledge.isolation`) because a
few megabytes of hostile HTML keep an HTML parser busy for many seconds.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
from django.conf import settings
from lxml import etree

from knowledge.errors import KnowledgeError, SourceLimitError
from knowledge.extract import ExtractLimits, extract_plain_text, too_much_text
from knowledge.isolation import extract_html_isolated

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
# Sitemap documents read per crawl (an index and the sitemaps it lists).
MAX_SITEMAP_DOCUMENTS = 20
PAGE_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
SITEMAP_CONTENT_TYPES = frozenset({"application/xml", "text/xml", "text/plain"})
USER_AGENT = "GuildmindBot/0.1 (knowledge base crawler)"
# NAT64 addresses carry an IPv4 address in their last 32 bits.
_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    text: str


@dataclass
class CrawlResult:
    pages: list[Page]
    bytes_read: int
    # Pages that could not be read, as "url: reason" (for logs; the crawl went on).
    skipped: list[str] = field(default_factory=list)


# --- Addresses ------------------------------------------------------------------------------


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
    host, port = _host_and_port(url)
    resolve_checked(host, port)
    return url


def _host_and_port(url: str) -> tuple[str, int]:
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


class _PinnedTransport(httpx.BaseTransport):
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


# --- Fetching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fetched:
    url: str
    content_type: str
    charset: str | None
    body: bytes


class _Crawl:
    """One crawl's client and budgets (time, bytes, characters). Use as a context manager.

    ``subject`` names the source in errors ("this page", "the pages of this sitemap").
    """

    def __init__(
        self, transport: httpx.BaseTransport | None, limits: ExtractLimits | None, subject: str
    ) -> None:
        self.deadline = time.monotonic() + settings.CRAWL_TIMEOUT_SECONDS
        self.bytes_left = settings.CRAWL_MAX_BYTES
        self.bytes_read = 0
        self.limits = limits or ExtractLimits.from_settings()
        self.subject = subject
        self.extract_seconds_left = self.limits.timeout_seconds
        self.chars = 0
        self.client = httpx.Client(
            transport=_PinnedTransport(transport or httpx.HTTPTransport(retries=0)),
            follow_redirects=False,  # each hop is followed by hand, and checked
            trust_env=False,  # a proxy would connect for us, to addresses we never checked
            headers={
                "User-Agent": USER_AGENT,
                # Uncompressed, so the byte cap measures what the server sends.
                "Accept-Encoding": "identity",
                "Accept": "text/html, application/xhtml+xml, application/xml;q=0.9, text/plain;q=0.8",
            },
        )

    def __enter__(self) -> _Crawl:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.client.close()

    @property
    def exhausted(self) -> bool:
        return self.bytes_left <= 0 or time.monotonic() >= self.deadline

    def fetch(self, url: str, accepted_types: frozenset[str]) -> _Fetched:
        """The body of ``url`` (redirects followed, every hop checked), up to the byte cap."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            _host_and_port(current)  # the scheme of every hop, before connecting
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise KnowledgeError(
                    f"The crawl took longer than {settings.CRAWL_TIMEOUT_SECONDS:g} seconds."
                )
            try:
                with self.client.stream("GET", current, timeout=httpx.Timeout(remaining)) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        if not location:
                            raise KnowledgeError(f"{current} redirects without saying where.")
                        current = urldefrag(urljoin(current, location))[0]
                        continue
                    return self._read(current, response, accepted_types)
            except httpx.TimeoutException:
                raise KnowledgeError(f"{current} did not answer in time.") from None
            except httpx.HTTPError as error:
                raise KnowledgeError(
                    f"{current} could not be reached ({error.__class__.__name__})."
                ) from None
        raise KnowledgeError(f"{url} redirects too many times.")

    def _read(self, url: str, response: httpx.Response, accepted_types: frozenset[str]) -> _Fetched:
        if response.status_code >= 400:
            raise KnowledgeError(f"{url} answered with HTTP error {response.status_code}.")
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in accepted_types:
            kind = content_type or "an unknown type"
            raise KnowledgeError(f"{url} is {kind}; Guildmind reads HTML pages, plain text and XML sitemaps.")
        parts: list[bytes] = []
        for part in response.iter_bytes():
            if len(part) >= self.bytes_left:
                parts.append(part[: self.bytes_left])
                self.bytes_left = 0
                logger.info("crawl byte cap reached while reading %s", url)
                break
            parts.append(part)
            self.bytes_left -= len(part)
            if time.monotonic() >= self.deadline:
                logger.info("crawl time budget ran out while reading %s", url)
                break
        body = b"".join(parts)
        self.bytes_read += len(body)
        return _Fetched(url=url, content_type=content_type, charset=response.charset_encoding, body=body)

    def to_page(self, fetched: _Fetched) -> Page:
        """The fetched page's text, within what is left of the source's time and characters."""
        if fetched.content_type == "text/plain":
            path = urlsplit(fetched.url).path.rstrip("/")
            page = Page(url=fetched.url, title=path.rsplit("/", 1)[-1] or fetched.url, text=_plain(fetched))
        else:
            started = time.monotonic()
            try:
                html = extract_html_isolated(
                    fetched.body,
                    encoding=fetched.charset,
                    limits=self.limits,
                    seconds=self.extract_seconds_left,
                    subject=self.subject,
                )
            finally:
                self.extract_seconds_left -= time.monotonic() - started
            page = Page(url=fetched.url, title=html.title, text=html.text)
        self.chars += len(page.text)
        if self.chars > self.limits.max_chars:
            raise too_much_text(self.subject, self.limits.max_chars)
        return page


def _plain(fetched: _Fetched) -> str:
    if fetched.charset:
        try:
            return fetched.body.decode(fetched.charset, errors="replace")
        except LookupError:  # a charset Python does not know
            pass
    return extract_plain_text(fetched.body)


# --- Crawls ---------------------------------------------------------------------------------


def crawl_page(
    url: str, *, transport: httpx.BaseTransport | None = None, limits: ExtractLimits | None = None
) -> CrawlResult:
    """Fetch one web page. ``transport`` replaces the network in tests; ``limits`` default
    to the settings. Raises KnowledgeError."""
    with _Crawl(transport, limits, "this page") as crawl:
        page = crawl.to_page(crawl.fetch(url, PAGE_CONTENT_TYPES))
        return CrawlResult(pages=[page], bytes_read=crawl.bytes_read)


def crawl_sitemap(
    url: str, *, transport: httpx.BaseTransport | None = None, limits: ExtractLimits | None = None
) -> CrawlResult:
    """Fetch the pages a sitemap (or sitemap index) lists, within the crawl caps.

    Pages that cannot be read are skipped; KnowledgeError when the sitemap itself cannot
    be read or no page could, SourceLimitError when the pages together pass a cap of
    one source.
    """
    with _Crawl(transport, limits, "the pages of this sitemap") as crawl:
        page_urls = _sitemap_page_urls(crawl, url)
        if not page_urls:
            raise KnowledgeError("This sitemap lists no pages.")
        result = CrawlResult(pages=[], bytes_read=0)
        for page_url in page_urls:
            if crawl.exhausted:
                logger.info("crawl of %s stopped at its byte or time cap", url)
                break
            try:
                result.pages.append(crawl.to_page(crawl.fetch(page_url, PAGE_CONTENT_TYPES)))
            except SourceLimitError:
                raise
            except KnowledgeError as error:
                result.skipped.append(f"{page_url}: {error}")
        result.bytes_read = crawl.bytes_read
    if not result.pages:
        first_reason = result.skipped[0].split(": ", 1)[-1] if result.skipped else ""
        raise KnowledgeError(f"None of the sitemap's pages could be read. {first_reason}".strip())
    return result


def _sitemap_page_urls(crawl: _Crawl, url: str) -> list[str]:
    """Page URLs of a sitemap, following sitemap indexes, at most CRAWL_MAX_PAGES of them."""
    max_pages = settings.CRAWL_MAX_PAGES
    pending = [url]
    seen_sitemaps: set[str] = set()
    page_urls: list[str] = []
    while pending and len(seen_sitemaps) < MAX_SITEMAP_DOCUMENTS and len(page_urls) < max_pages:
        sitemap_url = pending.pop(0)
        if sitemap_url in seen_sitemaps:
            continue
        seen_sitemaps.add(sitemap_url)
        try:
            fetched = crawl.fetch(sitemap_url, SITEMAP_CONTENT_TYPES)
        except KnowledgeError:
            if sitemap_url == url:
                raise  # the sitemap the owner gave: its failure is the answer
            logger.info("skipped unreadable nested sitemap %s", sitemap_url, exc_info=True)
            continue
        nested, pages = _parse_sitemap(fetched)
        pending.extend(nested)
        for page_url in pages:
            if page_url not in page_urls and len(page_urls) < max_pages:
                page_urls.append(page_url)
    return page_urls


def _parse_sitemap(fetched: _Fetched) -> tuple[list[str], list[str]]:
    """(nested sitemap URLs, page URLs) of a sitemap document (XML, or a plain URL list)."""
    if fetched.content_type == "text/plain":
        lines = (line.strip() for line in _plain(fetched).splitlines())
        return [], [line for line in lines if line.lower().startswith(("http://", "https://"))]
    # No entity expansion and no network: the document is untrusted.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(fetched.body, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise KnowledgeError(f"{fetched.url} is not a valid XML sitemap.")
    locations = [loc.text.strip() for loc in root.iter("{*}loc") if loc.text and loc.text.strip()]
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        return locations, []
    if kind == "urlset":
        return [], locations
    raise KnowledgeError(f"{fetched.url} is not a sitemap (it has no <urlset> or <sitemapindex>).")
