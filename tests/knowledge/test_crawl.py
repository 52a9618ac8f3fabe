from __future__ import annotations

import ipaddress
from typing import Any

import httpx
import pytest

from knowledge import addresses
from knowledge.addresses import check_url, refusal_reason
from knowledge.crawl import crawl_page, crawl_sitemap
from knowledge.errors import KnowledgeError
from tests.knowledge.conftest import Route, Site

PUBLIC_IP = "93.184.216.34"


def _sitemap(urls: list[str], *, index: bool = False) -> Route:
    tag, item = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{item}><loc>{url}</loc></{item}>" for url in urls)
    body = (
        f'<?xml version="1.0"?><{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{tag}>'
    )
    return Route(body.encode(), content_type="application/xml")


def _page(title: str, text: str) -> Route:
    return Route(f"<html><head><title>{title}</title></head><body><p>{text}</p></body></html>".encode())


# --- Refused addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/help",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
    ],
)
def test_it_refuses_private_and_loopback_addresses(url: str) -> None:
    with pytest.raises(KnowledgeError, match="private or loopback address; Guildmind does not crawl inside"):
        check_url(url)


def test_the_refusal_names_the_address() -> None:
    with pytest.raises(KnowledgeError) as raised:
        check_url("http://127.0.0.1:8000/")

    assert str(raised.value) == (
        "127.0.0.1 is a private or loopback address; Guildmind does not crawl inside its own network."
    )


def test_it_refuses_a_hostname_that_resolves_to_loopback() -> None:
    with pytest.raises(KnowledgeError, match=r"^localhost resolves to .*private or loopback"):
        check_url("http://localhost/")


def test_it_refuses_schemes_other_than_http() -> None:
    with pytest.raises(KnowledgeError, match=r"Only http:// and https://"):
        check_url("file:///etc/passwd")


def test_it_accepts_public_addresses() -> None:
    assert refusal_reason(ipaddress.ip_address(PUBLIC_IP)) is None
    assert check_url(f" https://{PUBLIC_IP}/help ") == f"https://{PUBLIC_IP}/help"


def test_operators_may_allow_private_addresses(settings: Any) -> None:
    settings.CRAWL_ALLOW_PRIVATE = True

    assert check_url("http://10.0.0.5/") == "http://10.0.0.5/"


# --- Every hop is checked, and the checked address is the one connected to -----------------


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    table: dict[str, str] = {}

    def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address(table.get(host, host))]

    monkeypatch.setattr(addresses, "_resolve", resolve)
    return table


def test_it_refuses_a_redirect_to_a_private_address(fake_dns: dict[str, str]) -> None:
    fake_dns["help.example.com"] = PUBLIC_IP
    fake_dns["intranet.example.com"] = "10.0.0.5"
    contacted: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        contacted.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://intranet.example.com/admin"})

    with pytest.raises(KnowledgeError, match=r"intranet\.example\.com resolves to 10\.0\.0\.5"):
        crawl_page("http://help.example.com/", transport=httpx.MockTransport(server))
    assert contacted == [f"http://{PUBLIC_IP}/"]


def test_it_connects_to_the_checked_address_with_the_original_host_name(fake_dns: dict[str, str]) -> None:
    fake_dns["help.example.com"] = PUBLIC_IP
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, html="<title>Help</title><p>Hi</p>")

    crawl_page("https://help.example.com/faq", transport=httpx.MockTransport(server))

    [request] = seen
    assert request.url.host == PUBLIC_IP
    assert request.headers["host"] == "help.example.com"
    assert request.extensions["sni_hostname"] == "help.example.com"


def test_a_dns_answer_that_turns_private_is_refused_at_connection_time(fake_dns: dict[str, str]) -> None:
    fake_dns["rebind.example.com"] = PUBLIC_IP
    check_url("http://rebind.example.com/")  # accepted when the source is added
    fake_dns["rebind.example.com"] = "127.0.0.1"

    def server(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not connect")

    with pytest.raises(KnowledgeError, match=r"resolves to 127\.0\.0\.1"):
        crawl_page("http://rebind.example.com/", transport=httpx.MockTransport(server))


# --- Crawling a real local site ----------------------------------------------------------------


def test_it_fetches_a_page_with_its_title(site: Site, allow_private: Any) -> None:
    site.routes["/help"] = _page("Help centre", "Refunds within 30 days.")

    result = crawl_page(site.url("/help"))

    [page] = result.pages
    assert (page.url, page.title, page.text) == (site.url("/help"), "Help centre", "Refunds within 30 days.")


def test_it_follows_redirects(site: Site, allow_private: Any) -> None:
    site.routes["/old"] = Route(b"", status=301, headers={"Location": "/new"})
    site.routes["/new"] = _page("New", "Moved here.")

    [page] = crawl_page(site.url("/old")).pages

    assert page.url == site.url("/new")
    assert page.text == "Moved here."


def test_it_refuses_content_it_cannot_read(site: Site, allow_private: Any) -> None:
    site.routes["/logo.png"] = Route(b"\x89PNG", content_type="image/png")

    with pytest.raises(KnowledgeError, match="is image/png"):
        crawl_page(site.url("/logo.png"))


def test_it_explains_http_errors(site: Site, allow_private: Any) -> None:
    with pytest.raises(KnowledgeError, match="HTTP error 404"):
        crawl_page(site.url("/missing"))


def test_it_stops_reading_at_the_byte_cap(site: Site, allow_private: Any) -> None:
    allow_private.CRAWL_MAX_BYTES = 1000
    site.routes["/big"] = Route(b"word " * 20_000, content_type="text/plain")

    result = crawl_page(site.url("/big"))

    assert result.bytes_read == 1000
    assert len(result.pages[0].text) <= 1000


def test_it_gives_up_on_a_page_that_is_too_slow(site: Site, allow_private: Any) -> None:
    allow_private.CRAWL_TIMEOUT_SECONDS = 0.2
    site.routes["/slow"] = Route(b"late", content_type="text/plain", delay=1.0)

    # The page's own timeout, or (on a loaded machine) the crawl's deadline first.
    with pytest.raises(KnowledgeError, match=r"did not answer in time|crawl took longer than"):
        crawl_page(site.url("/slow"))


def test_it_follows_a_sitemap_index_to_its_pages(site: Site, allow_private: Any) -> None:
    site.routes["/sitemap.xml"] = _sitemap([site.url("/sitemap-docs.xml")], index=True)
    site.routes["/sitemap-docs.xml"] = _sitemap([site.url("/a"), site.url("/b")])
    site.routes["/a"] = _page("A", "About refunds.")
    site.routes["/b"] = _page("B", "About shipping.")

    result = crawl_sitemap(site.url("/sitemap.xml"))

    assert [(p.title, p.text) for p in result.pages] == [("A", "About refunds."), ("B", "About shipping.")]


def test_a_sitemap_crawl_honours_the_page_cap(site: Site, allow_private: Any) -> None:
    allow_private.CRAWL_MAX_PAGES = 3
    paths = [f"/page{number}" for number in range(6)]
    site.routes["/sitemap.xml"] = _sitemap([site.url(path) for path in paths])
    for path in paths:
        site.routes[path] = _page(path, f"Text of {path}.")

    result = crawl_sitemap(site.url("/sitemap.xml"))

    assert len(result.pages) == 3
    assert [path for path in site.requested if path.startswith("/page")] == paths[:3]


def test_a_sitemap_crawl_stops_at_the_byte_cap(site: Site, allow_private: Any) -> None:
    paths = [f"/page{number}" for number in range(4)]
    sitemap = _sitemap([site.url(path) for path in paths])
    allow_private.CRAWL_MAX_BYTES = len(sitemap.body) + 2500
    site.routes["/sitemap.xml"] = sitemap
    for path in paths:
        site.routes[path] = Route(b"x" * 1000, content_type="text/plain")

    result = crawl_sitemap(site.url("/sitemap.xml"))

    assert result.bytes_read == allow_private.CRAWL_MAX_BYTES
    assert [path for path in site.requested if path.startswith("/page")] == paths[:3]


def test_a_sitemap_crawl_skips_pages_it_cannot_read(site: Site, allow_private: Any) -> None:
    site.routes["/sitemap.xml"] = _sitemap([site.url("/gone"), site.url("/ok")])
    site.routes["/ok"] = _page("OK", "Still here.")

    result = crawl_sitemap(site.url("/sitemap.xml"))

    assert [p.title for p in result.pages] == ["OK"]
    assert result.skipped == [f"{site.url('/gone')}: {site.url('/gone')} answered with HTTP error 404."]


def test_a_sitemap_entry_pointing_inside_the_network_is_skipped(fake_dns: dict[str, str]) -> None:
    fake_dns["docs.example.com"] = PUBLIC_IP

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sitemap.xml":
            body = "<urlset><url><loc>http://10.0.0.5/</loc></url><url><loc>http://docs.example.com/a</loc></url></urlset>"
            return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/xml"})
        return httpx.Response(200, html="<title>A</title><p>Public page.</p>")

    result = crawl_sitemap("http://docs.example.com/sitemap.xml", transport=httpx.MockTransport(server))

    assert [p.title for p in result.pages] == ["A"]
    assert "10.0.0.5 is a private or loopback address" in result.skipped[0]


def test_it_refuses_a_document_that_is_not_a_sitemap(site: Site, allow_private: Any) -> None:
    site.routes["/sitemap.xml"] = Route(b"<rss><channel/></rss>", content_type="application/xml")

    with pytest.raises(KnowledgeError, match="is not a sitemap"):
        crawl_sitemap(site.url("/sitemap.xml"))
