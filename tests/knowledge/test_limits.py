"""Extraction caps: pages, characters, unpacked bytes and time of one source."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.actions import add_file_source, add_text_source, add_url_source
from knowledge.errors import KnowledgeError, SourceLimitError
from knowledge.extract import ExtractLimits, extract_docx, extract_pdf
from knowledge.html import extract_html
from knowledge.ingestion import ingest_source
from knowledge.models import KnowledgeSource
from tests.knowledge.conftest import Route, Site, make_docx, make_docx_bomb, make_pdf, understate_zip_sizes

LIMITS = ExtractLimits(
    max_pdf_pages=2000,
    max_chars=5_000_000,
    max_uncompressed_bytes=50 * 1024 * 1024,
    timeout_seconds=60.0,
    max_memory_bytes=1024 * 1024 * 1024,
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


def _ingested(source: KnowledgeSource) -> KnowledgeSource:
    ingest_source(source.pk)
    source.refresh_from_db()
    return source


def _upload(workspace: Any, name: str, data: bytes) -> KnowledgeSource:
    return _ingested(add_file_source(workspace, upload=SimpleUploadedFile(name, data), enqueue=False))


# --- PDF pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pdf_of_32768_reused_pages_fails_at_once_with_its_page_count(workspace: Any) -> None:
    data = make_pdf(["Refunds are paid within 30 days."], pages=32_768)

    started = time.perf_counter()
    source = _upload(workspace, "pages.pdf", data)

    assert (source.status, source.error) == (
        "failed",
        "This PDF has 32,768 pages; the limit is 2,000. Split it into smaller files.",
    )
    assert time.perf_counter() - started < 5.0


def test_it_counts_the_pages_itself_when_a_pdf_understates_them() -> None:
    data = make_pdf(["Refunds."], pages=500, declared_pages=1)

    with pytest.raises(SourceLimitError, match=r"^This PDF has more than 10 pages, the limit;"):
        extract_pdf(data, replace(LIMITS, max_pdf_pages=10))


def test_it_reads_a_pdf_at_the_page_cap() -> None:
    text = extract_pdf(make_pdf(["Refunds."], pages=10), replace(LIMITS, max_pdf_pages=10))

    assert text.count("Refunds.") == 10


@pytest.mark.django_db
def test_a_pdf_that_takes_longer_than_the_time_cap_fails(workspace: Any, settings: Any) -> None:
    settings.KNOWLEDGE_MAX_PDF_PAGES = 100_000
    settings.KNOWLEDGE_EXTRACT_TIMEOUT_SECONDS = 1.0
    data = make_pdf(["Refunds are paid within 30 days."] * 20, pages=32_768)

    started = time.perf_counter()
    source = _upload(workspace, "slow.pdf", data)

    assert source.status == "failed"
    assert source.error == (
        "Reading this PDF took longer than one source may (1 second); split it into smaller parts."
    )
    assert time.perf_counter() - started < 5.0


# --- Characters -----------------------------------------------------------------------------


def test_it_stops_reading_a_pdf_past_the_character_cap() -> None:
    data = make_pdf(["Refunds are paid within 30 days."], pages=50)

    with pytest.raises(SourceLimitError, match=r"more text in this PDF than one source may hold \(100 char"):
        extract_pdf(data, replace(LIMITS, max_chars=100))


def test_it_stops_reading_a_docx_past_the_character_cap() -> None:
    data = make_docx([("", "Refunds are paid within 30 days.")] * 50)

    with pytest.raises(SourceLimitError, match=r"more text in this Word document than one source may hold"):
        extract_docx(data, replace(LIMITS, max_chars=100))


def test_it_counts_the_text_merged_table_cells_repeat() -> None:
    from docx import Document

    document = Document()
    table = document.add_table(rows=20, cols=20)
    merged = table.cell(0, 0).merge(table.cell(19, 19))
    merged.text = "Refunds are paid within 30 days."  # 32 characters shown in 400 cells
    buffer = io.BytesIO()
    document.save(buffer)

    with pytest.raises(SourceLimitError, match="more text in this Word document"):
        extract_docx(buffer.getvalue(), replace(LIMITS, max_chars=5_000))


@pytest.mark.django_db
def test_an_uploaded_text_file_over_the_character_cap_fails(workspace: Any, settings: Any) -> None:
    settings.KNOWLEDGE_MAX_SOURCE_CHARS = 1_000

    source = _upload(workspace, "long.txt", b"Refunds are paid within 30 days. " * 40)

    assert source.status == "failed"
    assert source.error == (
        "There is more text in this file than one source may hold (1,000 characters); "
        "split it into smaller parts."
    )


@pytest.mark.django_db
def test_a_text_entry_over_the_character_cap_is_refused_before_it_is_saved(
    workspace: Any, settings: Any
) -> None:
    settings.KNOWLEDGE_MAX_SOURCE_CHARS = 1_000

    with pytest.raises(
        SourceLimitError, match=r"^This text is 1,001 characters long; one entry may hold 1,000\."
    ):
        add_text_source(workspace, title="Long", text="a" * 1_001)
    assert not KnowledgeSource.objects.exists()


@pytest.mark.django_db
def test_a_text_entry_over_a_lowered_character_cap_fails_when_indexed(workspace: Any, settings: Any) -> None:
    source = add_text_source(workspace, title="Long", text="Refunds within 30 days. " * 100, enqueue=False)
    settings.KNOWLEDGE_MAX_SOURCE_CHARS = 1_000

    source = _ingested(source)

    assert (source.status, source.chunk_count) == ("failed", 0)
    assert "more text in this text than one source may hold (1,000 characters)" in source.error


@pytest.mark.django_db
def test_a_web_page_over_the_character_cap_fails(
    workspace: Any, site: Site, allow_private: Any, settings: Any
) -> None:
    settings.KNOWLEDGE_MAX_SOURCE_CHARS = 1_000
    site.routes["/help"] = Route(b"<h1>Refunds</h1>" + b"<p>Refunds are paid within 30 days.</p>" * 50)

    source = _ingested(add_url_source(workspace, url=site.url("/help"), enqueue=False))

    assert source.status == "failed"
    assert source.error.startswith(
        "There is more text in this page than one source may hold (1,000 characters)"
    )


@pytest.mark.django_db
def test_a_sitemap_whose_pages_together_pass_the_character_cap_fails(
    workspace: Any, site: Site, allow_private: Any, settings: Any
) -> None:
    settings.KNOWLEDGE_MAX_SOURCE_CHARS = 1_000
    pages = ["/a", "/b", "/c"]
    site.routes["/sitemap.xml"] = Route(
        ("<urlset>" + "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in pages) + "</urlset>").encode(),
        content_type="text/xml",
    )
    for path in pages:  # 400 characters each: every page fits, all three do not
        site.routes[path] = Route(b"<p>" + b"Refunds are paid within 30 days. " * 12 + b"</p>")

    source = _ingested(add_url_source(workspace, url=site.url("/sitemap.xml"), sitemap=True, enqueue=False))

    assert source.status == "failed"
    assert source.error.startswith("There is more text in the pages of this sitemap than one source may hold")


def test_the_html_renderer_gives_up_on_markup_that_renders_to_too_much_text() -> None:
    page = b"<body>" + b"<p>Refunds within 30 days.</p>" * 2_000 + b"</body>"

    with pytest.raises(SourceLimitError, match="more text in this page"):
        extract_html(page, limits=replace(LIMITS, max_chars=10_000))


# --- Unpacked bytes -------------------------------------------------------------------------


def test_a_docx_that_unpacks_to_150_mb_is_refused_from_its_zip_directory() -> None:
    data = make_docx_bomb(150 * 1024 * 1024)
    assert len(data) < 400_000

    started = time.perf_counter()
    with pytest.raises(SourceLimitError) as refused:
        extract_docx(data, LIMITS)

    # 150 MB of text and the template's own parts.
    assert re.fullmatch(
        r"This Word document unpacks to 150\.\d MB; the limit is 50\.0 MB\. "
        r"Remove large images or split it into smaller files\.",
        str(refused.value),
    )
    assert time.perf_counter() - started < 1.0


@pytest.mark.django_db
def test_an_uploaded_docx_over_the_unpacked_cap_fails(workspace: Any, settings: Any) -> None:
    settings.KNOWLEDGE_MAX_UNCOMPRESSED_BYTES = 1024 * 1024

    source = _upload(workspace, "bomb.docx", make_docx_bomb(8 * 1024 * 1024))

    assert source.status == "failed"
    assert re.match(r"This Word document unpacks to 8\.\d MB; the limit is 1\.0 MB\.", source.error)


def test_a_docx_whose_zip_understates_its_sizes_is_not_unpacked_past_them() -> None:
    # The directory says 10 KB; the member really inflates to 8 MB. zipfile stops at the
    # stated size and fails the CRC check, so the lie only makes the document unreadable.
    data = understate_zip_sizes(make_docx_bomb(8 * 1024 * 1024), "word/document.xml", 10_000)

    with pytest.raises(KnowledgeError, match="Word document could not be read") as refused:
        extract_docx(data, replace(LIMITS, max_uncompressed_bytes=1024 * 1024))
    assert not isinstance(refused.value, SourceLimitError)
