"""Fetch a web page or a sitemap's pages for the knowledge base, safely.

Every connection, redirects included, goes through
:class:`knowledge.addresses.PinnedTransport`, which refuses addresses inside the network
Guildmind runs in and connects to exactly the address it checked (SSRF and DNS
rebinding; see that module).

Caps: ``CRAWL_MAX_PAGES`` pages, ``CRAWL_MAX_BYTES`` bytes read in all (bodies are
streamed and reading stops at the cap), ``CRAWL_TIMEOUT_SECONDS`` for the whole crawl.
Only HTML, plain text and (for sitemaps) XML are read. The pages' text is held to the
caps of one source (:class:`ExtractLimits`): characters in all, and time spent turning
HTML into text, which runs in a child process (:mod:`knowledge.isolation`) because a
few megabytes of hostile HTML keep an HTML parser busy for many seconds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
from django.conf import settings
from lxml import etree

from knowledge.addresses import PinnedTransport, host_and_port
from knowledge.errors import KnowledgeError, SourceLimitError
from knowledge.extract import ExtractLimits, extract_plain_text, too_much_text
from knowledge.isolation import extract_html_isolated

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
# Sitemap documents read per crawl (an index and the sitemaps it lists).
MAX_SITEMAP_DOCUMENTS = 20
PAGE_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
SITEMAP_CONTENT_TYPES = frozenset({"application/xml", "text/xml", "text/plain"})
USER_AGENT = "GuildmindBot/0.1 (knowledge base crawler)"


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
            transport=PinnedTransport(transport or httpx.HTTPTransport(retries=0)),
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
            host_and_port(current)  # the scheme of every hop, before connecting
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
