"""Extraction in a child process: stopped at its deadline and its memory limit, and safe
to call from several worker threads at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from knowledge import isolation
from knowledge.errors import KnowledgeError, SourceLimitError
from knowledge.extract import ExtractLimits
from knowledge.isolation import extract_file_isolated, extract_html_isolated
from tests.knowledge.conftest import make_docx, make_pdf

LIMITS = ExtractLimits(
    max_pdf_pages=2000,
    max_chars=5_000_000,
    max_uncompressed_bytes=50 * 1024 * 1024,
    timeout_seconds=60.0,
    max_memory_bytes=1024 * 1024 * 1024,
)
# Hundreds of thousands of elements: seconds of work, and hundreds of megabytes, inside
# one call of the HTML parser, where no check between elements can stop it.
HOSTILE_HTML = b"<html><body>" + b"<b>x</b>" * 300_000 + b"</body></html>"


def test_it_returns_the_text_of_a_file() -> None:
    text = extract_file_isolated(make_docx([("h1", "Refunds"), ("", "Within 30 days.")]), "a.docx", LIMITS)

    assert text == "# Refunds\n\nWithin 30 days."


def test_it_returns_the_title_and_text_of_a_page() -> None:
    page = extract_html_isolated(b"<title>Help</title><p>Within 30 days.</p>", encoding=None, limits=LIMITS)

    assert (page.title, page.text) == ("Help", "Within 30 days.")


def test_it_passes_on_the_reason_a_file_cannot_be_read() -> None:
    with pytest.raises(KnowledgeError, match=r"^This PDF could not be read: it is damaged or encrypted\.$"):
        extract_file_isolated(b"%PDF-1.4\nnot really a pdf", "broken.pdf", LIMITS)


def test_it_passes_on_a_cap_as_a_source_limit() -> None:
    with pytest.raises(SourceLimitError, match=r"^This PDF has 50 pages; the limit is 10\."):
        extract_file_isolated(make_pdf(["Refunds."], pages=50), "a.pdf", replace(LIMITS, max_pdf_pages=10))


def test_it_kills_an_extraction_stuck_in_one_call_at_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "KILL_GRACE_SECONDS", 0.0)

    started = time.perf_counter()
    with pytest.raises(SourceLimitError, match=r"^Reading this page took longer than one source may \(0.5 s"):
        extract_html_isolated(HOSTILE_HTML, encoding=None, limits=replace(LIMITS, timeout_seconds=0.5))

    assert time.perf_counter() - started < 1.5


def test_it_stops_an_extraction_that_needs_more_memory_than_its_limit() -> None:
    # The child starts at about 60 MB of address space; parsing this page needs ~300 MB.
    limits = replace(LIMITS, max_memory_bytes=128 * 1024 * 1024)

    with pytest.raises(
        SourceLimitError, match=r"^Reading this page needed more memory than one source may \(128 MB"
    ):
        extract_html_isolated(HOSTILE_HTML, encoding=None, limits=limits)


def test_it_refuses_at_once_when_no_time_is_left() -> None:
    with pytest.raises(SourceLimitError, match="took longer than one source may"):
        extract_html_isolated(b"<p>x</p>", encoding=None, limits=LIMITS, seconds=0.0)


def test_worker_threads_can_extract_at_the_same_time() -> None:
    files = [(make_docx([("", f"Answer {number}.")]), f"{number}.docx") for number in range(8)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(lambda file: extract_file_isolated(file[0], file[1], LIMITS), files))

    assert texts == [f"Answer {number}." for number in range(8)]
