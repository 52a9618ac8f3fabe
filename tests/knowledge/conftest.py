"""Knowledge test helpers: document builders, a local web site, and a clean search cache."""

from __future__ import annotations

import io
import struct
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from knowledge import search


def make_pdf(lines: list[str], *, pages: int = 1, declared_pages: int | None = None) -> bytes:
    """A minimal valid PDF showing ``lines`` in Helvetica.

    ``pages`` > 1 lists the one page object that many times in the page tree (how a tiny
    file claims thousands of pages); ``declared_pages`` is the /Count it states (a lie
    when it differs from ``pages``).
    """

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    kids = " ".join(["3 0 R"] * pages)
    count = pages if declared_pages is None else declared_pages
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return out


def make_docx(blocks: list[tuple[str, str]]) -> bytes:
    """A .docx of (style, text) paragraphs; style "h1".."h3" for headings, "" for body."""
    from docx import Document

    document = Document()
    for style, text in blocks:
        if style.startswith("h"):
            document.add_heading(text, level=int(style[1:]))
        else:
            document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_docx_bomb(unpacked_bytes: int) -> bytes:
    """A valid .docx whose document.xml is ``unpacked_bytes`` of one paragraph's text,
    compressed about a thousandfold (150 MB unpacked is a 150 KB file)."""
    from docx import Document

    template = io.BytesIO()
    Document().save(template)
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>"
    )
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                bomb.writestr(info.filename, source.read(info.filename))
                continue
            # Written in slices, so the test never holds the unpacked document in memory.
            with bomb.open("word/document.xml", "w", force_zip64=True) as member:
                member.write(head)
                left = unpacked_bytes - len(head) - len(tail)
                block = b"refund " * 150_000
                while left > 0:
                    member.write(block[:left])
                    left -= len(block)
                member.write(tail)
    return out.getvalue()


def understate_zip_sizes(data: bytes, member: str, size: int) -> bytes:
    """``data`` (a zip) with ``member``'s unpacked size stated as ``size`` in both its local
    header and the central directory, as a zip bomb lying about itself would."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    patched = bytearray(data)
    struct.pack_into("<I", patched, info.header_offset + 22, size)  # local file header
    name = member.encode()
    at = patched.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", patched, at + 28)[0]
        if bytes(patched[at + 46 : at + 46 + name_length]) == name:
            struct.pack_into("<I", patched, at + 24, size)  # central directory entry
        at = patched.find(b"PK\x01\x02", at + 4)
    return bytes(patched)


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Site:
    """A web site on 127.0.0.1: set ``routes[path]``, read ``requested`` paths."""

    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requested.append(self.path)
            route = state.routes.get(self.path)
            if route is None:
                route = Route(b"not found", content_type="text/plain", status=404)
            if route.delay:
                time.sleep(route.delay)
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler stopped reading at its cap

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_private(settings: Any) -> Any:
    """Let the crawler reach the local test site."""
    settings.CRAWL_ALLOW_PRIVATE = True
    return settings


@pytest.fixture(autouse=True)
def _fresh_search_cache() -> Iterator[None]:
    # Test databases reuse ids after rollback, so a cached index could belong to a
    # workspace of an earlier test.
    search._cache.clear()
    yield
    search._cache.clear()


@pytest.fixture
def immediate_huey() -> Iterator[None]:
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous
