from __future__ import annotations

import io
import time

import pytest

from knowledge.errors import KnowledgeError
from knowledge.extract import extract_docx, extract_file, extract_pdf, extract_plain_text
from knowledge.html import extract_html
from tests.knowledge.conftest import make_docx, make_pdf


def test_it_keeps_markdown_headings_of_text_files() -> None:
    text = extract_file(b"# Billing\n\n## Refunds\r\nWithin 30 days.\n", "faq.md")

    assert text == "# Billing\n\n## Refunds\nWithin 30 days."


def test_it_decodes_windows_1252_text() -> None:
    assert extract_plain_text("Café opening hours".encode("cp1252")) == "Café opening hours"


def test_it_refuses_a_binary_file_named_txt() -> None:
    with pytest.raises(KnowledgeError, match="does not look like text"):
        extract_file(b"\x00\x01\x02binary", "notes.txt")


def test_it_reads_the_text_of_a_pdf() -> None:
    text = extract_pdf(make_pdf(["Refunds are paid within 30 days.", "Contact billing (by email)."]))

    assert "Refunds are paid within 30 days." in text
    assert "Contact billing (by email)." in text


def test_it_explains_a_damaged_pdf() -> None:
    with pytest.raises(KnowledgeError, match=r"^This PDF could not be read: it is damaged or encrypted\.$"):
        extract_pdf(b"%PDF-1.4\nthis is not really a pdf")


def test_it_explains_a_password_protected_pdf() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf(["Secret plans"]))))
    writer.encrypt(user_password="hunter2", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)

    with pytest.raises(KnowledgeError, match="password-protected"):
        extract_pdf(buffer.getvalue())


def test_it_turns_docx_heading_styles_into_markdown_headings() -> None:
    data = make_docx(
        [("h1", "Billing"), ("", "We bill monthly."), ("h2", "Refunds"), ("", "Within 30 days.")]
    )

    assert extract_docx(data) == "# Billing\n\nWe bill monthly.\n\n## Refunds\n\nWithin 30 days."


def test_it_turns_docx_list_paragraphs_into_bullets() -> None:
    from docx import Document

    document = Document()
    document.add_paragraph("Refunds", style="List Bullet")
    document.add_paragraph("Exchanges")
    buffer = io.BytesIO()
    document.save(buffer)

    assert extract_docx(buffer.getvalue()) == "- Refunds\n\nExchanges"


def test_it_reads_a_5000_paragraph_docx_within_seconds() -> None:
    # python-docx's own style lookup took 3 ms a paragraph: 15 s for this document.
    data = make_docx([("", f"Paragraph {number} of the manual.") for number in range(5000)])

    started = time.perf_counter()
    text = extract_docx(data)

    assert time.perf_counter() - started < 5.0
    assert text.endswith("Paragraph 4999 of the manual.")


def test_it_explains_a_damaged_docx() -> None:
    with pytest.raises(KnowledgeError, match="Word document could not be read"):
        extract_file(b"PK\x03\x04 not a zip really", "manual.docx")


def test_it_refuses_unsupported_file_types() -> None:
    with pytest.raises(KnowledgeError, match=r"cannot read \.exe files"):
        extract_file(b"MZ", "setup.exe")


HTML = b"""<!doctype html>
<html><head><title>Help centre | Acme</title><style>body { color: red }</style></head>
<body>
  <nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
  <h1>Billing</h1>
  <p>We bill   on the
     first day of the month.</p>
  <h2>Refunds</h2>
  <ul><li>Within 30 days</li><li>To the original card</li></ul>
  <script>trackEverything()</script>
  <div hidden>secret draft</div>
  <footer>Copyright Acme</footer>
</body></html>"""


def test_it_keeps_the_html_title() -> None:
    assert extract_html(HTML).title == "Help centre | Acme"


def test_it_turns_html_headings_into_markdown_headings() -> None:
    text = extract_html(HTML).text

    assert text == (
        "# Billing\n\nWe bill on the first day of the month.\n\n## Refunds\n\n"
        "- Within 30 days\n- To the original card"
    )


def test_it_drops_navigation_scripts_footers_and_hidden_html() -> None:
    text = extract_html(HTML).text

    for noise in ("Pricing", "trackEverything", "color: red", "Copyright", "secret draft"):
        assert noise not in text


def test_it_survives_absurdly_deep_html() -> None:
    page = b"<html><body>" + b"<div>" * 5000 + b"deep text" + b"</div>" * 5000 + b"</body></html>"

    assert "deep text" in extract_html(page).text
