"""Text extraction: turn uploaded files into markdown-ish plain text (pages: knowledge.html).

Every extractor returns text whose headings are markdown ``#`` lines, so the chunker
can keep each passage's place in the document. Unreadable input raises
:class:`KnowledgeError` with a sentence the owner can act on; nothing else escapes
for bad input.

Extraction is bounded (:class:`ExtractLimits`): PDF pages, characters of text, bytes a
Word document unpacks to, and time. Input over a cap raises :class:`SourceLimitError`
saying which cap and by how much. The checks here stop a document between pages,
paragraphs and elements; a single library call that runs away is stopped by running the
extraction in a child process (:mod:`knowledge.isolation`). This module does not use
Django, so that child can import it alone.
"""

from __future__ import annotations

import io
import logging
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from knowledge.errors import KnowledgeError, SourceLimitError

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph
    from pypdf import PdfReader

logger = logging.getLogger(__name__)

SUPPORTED_FILE_EXTENSIONS = ("txt", "md", "pdf", "docx")


@dataclass(frozen=True)
class ExtractLimits:
    """What reading one source may produce and spend."""

    max_pdf_pages: int
    max_chars: int
    # The sum of the sizes a zip-based document's members unpack to.
    max_uncompressed_bytes: int
    timeout_seconds: float
    # The address space of the process that extracts (enforced by knowledge.isolation).
    max_memory_bytes: int

    @classmethod
    def from_settings(cls) -> ExtractLimits:
        """The KNOWLEDGE_* settings."""
        # Imported here: the extraction child process runs without Django.
        from django.conf import settings

        return cls(
            max_pdf_pages=settings.KNOWLEDGE_MAX_PDF_PAGES,
            max_chars=settings.KNOWLEDGE_MAX_SOURCE_CHARS,
            max_uncompressed_bytes=settings.KNOWLEDGE_MAX_UNCOMPRESSED_BYTES,
            timeout_seconds=settings.KNOWLEDGE_EXTRACT_TIMEOUT_SECONDS,
            max_memory_bytes=settings.KNOWLEDGE_EXTRACT_MEMORY_BYTES,
        )


def too_much_text(subject: str, limit: int) -> SourceLimitError:
    """The error for a source with more than ``limit`` characters (``subject``: "this PDF")."""
    return SourceLimitError(
        f"There is more text in {subject} than one source may hold ({limit:,} characters); "
        "split it into smaller parts."
    )


def too_slow(subject: str, seconds: float) -> SourceLimitError:
    """The error for a source that took longer than ``seconds`` to read ("this PDF")."""
    unit = "second" if seconds == 1 else "seconds"
    return SourceLimitError(
        f"Reading {subject} took longer than one source may ({seconds:g} {unit}); "
        "split it into smaller parts."
    )


class Budget:
    """The characters and time one extraction has left; raises SourceLimitError past them."""

    def __init__(self, limits: ExtractLimits, subject: str, seconds: float | None) -> None:
        self.limits = limits
        # "this PDF": how the errors name what is being read.
        self.subject = subject
        # ``seconds`` is what is left of the source's time when it is read in parts.
        self.deadline = time.monotonic() + (limits.timeout_seconds if seconds is None else seconds)
        self.chars = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise too_slow(self.subject, self.limits.timeout_seconds)

    def add_chars(self, count: int) -> None:
        self.chars += count
        if self.chars > self.limits.max_chars:
            raise too_much_text(self.subject, self.limits.max_chars)


def file_extension(filename: str) -> str:
    """The lower-case extension without its dot ("" when there is none)."""
    return PurePath(filename).suffix.lower().lstrip(".")


def extract_file(
    data: bytes, filename: str, limits: ExtractLimits | None = None, *, seconds: float | None = None
) -> str:
    """Text of an uploaded file, chosen by its extension (txt, md, pdf, docx).

    ``limits`` default to the settings; ``seconds`` (default: the limits' timeout) is the
    time it may take.
    """
    limits = limits or ExtractLimits.from_settings()
    extension = file_extension(filename)
    if extension in ("txt", "md"):
        text = extract_plain_text(data)
        Budget(limits, "this file", seconds).add_chars(len(text))
        return text
    if extension == "pdf":
        return extract_pdf(data, limits, seconds=seconds)
    if extension == "docx":
        return extract_docx(data, limits, seconds=seconds)
    raise KnowledgeError(
        f"Guildmind cannot read .{extension or '?'} files; upload a "
        + ", ".join(f".{ext}" for ext in SUPPORTED_FILE_EXTENSIONS)
        + " file."
    )


def extract_plain_text(data: bytes) -> str:
    """Plain text or markdown, decoded (UTF-8 or UTF-16 with a BOM, else Windows-1252)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return normalize_newlines(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise KnowledgeError("This text file could not be read: its encoding is broken.") from None
    # A NUL byte in the first few kilobytes means a binary file renamed to .txt.
    if b"\x00" in data[:8192]:
        raise KnowledgeError("This file does not look like text; save it as plain text or markdown.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return normalize_newlines(text)


def extract_pdf(data: bytes, limits: ExtractLimits | None = None, *, seconds: float | None = None) -> str:
    """The text of every page of a PDF, pages separated by blank lines."""
    # Imported here: pypdf is only needed by the worker, and costs import time elsewhere.
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    limits = limits or ExtractLimits.from_settings()
    budget = Budget(limits, "this PDF", seconds)
    max_pages = limits.max_pdf_pages
    damaged = "This PDF could not be read: it is damaged or encrypted."
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise KnowledgeError("This PDF is password-protected; remove the password and upload it again.")
        declared = _declared_page_count(reader)
        if declared > max_pages:
            raise _too_many_pages(declared, max_pages)
        # The declared count may lie, and a page tree can list one page object thousands
        # of times: pypdf's walk of the tree is stopped a little past the cap.
        with apply_configuration(page_tree_maximum_entries=2 * max_pages + 100):
            pages = list(reader.pages)
    except KnowledgeError:
        raise
    except LimitReachedError as error:
        logger.info("PDF page tree over the cap: %s", error)
        raise SourceLimitError(
            f"This PDF has more than {max_pages:,} pages, the limit; split it into smaller files."
        ) from None
    except MemoryError:
        raise  # not a damaged document: one too big for the memory it may use
    except Exception as error:
        logger.info("unreadable PDF: %s", error)
        raise KnowledgeError(damaged) from None
    if len(pages) > max_pages:
        raise _too_many_pages(len(pages), max_pages)
    texts: list[str] = []
    for page in pages:
        budget.check_time()
        try:
            page_text = (page.extract_text() or "").strip()
        except MemoryError:
            raise  # not a damaged document: one too big for the memory it may use
        except Exception as error:
            # One broken page should not lose the rest of the document.
            logger.info("skipped an unreadable PDF page: %s", error)
            continue
        if page_text:
            budget.add_chars(len(page_text))
            texts.append(page_text)
    text = normalize_newlines("\n\n".join(texts))
    if not text.strip():
        if not pages:
            raise KnowledgeError(damaged)
        raise KnowledgeError(
            "This PDF has no text Guildmind can read (it may be scanned images); "
            "upload a PDF with selectable text."
        )
    return text


def _declared_page_count(reader: PdfReader) -> int:
    """The page count the PDF's page tree declares (0 when it declares none)."""
    try:
        return int(reader.root_object["/Pages"]["/Count"])  # type: ignore[index,call-overload]
    except Exception:
        return 0


def _too_many_pages(pages: int, limit: int) -> SourceLimitError:
    return SourceLimitError(
        f"This PDF has {pages:,} pages; the limit is {limit:,}. Split it into smaller files."
    )


_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def extract_docx(data: bytes, limits: ExtractLimits | None = None, *, seconds: float | None = None) -> str:
    """A Word document's paragraphs and tables in order; heading styles become ``#`` lines."""
    from docx import Document
    from docx.table import Table

    limits = limits or ExtractLimits.from_settings()
    budget = Budget(limits, "this Word document", seconds)
    _check_unpacked_size(data, limits.max_uncompressed_bytes)
    try:
        document = Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
    except MemoryError:
        raise  # not a damaged document: one too big for the memory it may use
    except Exception as error:
        logger.info("unreadable DOCX: %s", error)
        raise KnowledgeError(
            "This Word document could not be read: it is damaged or not a .docx file."
        ) from None
    style_name = _paragraph_style_names(document)
    lines: list[str] = []
    for block in blocks:
        budget.check_time()
        if isinstance(block, Table):
            # Merged cells repeat their text in every row and column they span, so a
            # table can hold far more text than its XML: counted row by row.
            rows: list[str] = []
            for row in block.rows:
                budget.check_time()
                line = " | ".join(cell.text.strip() for cell in row.cells)
                if line.strip(" |"):
                    budget.add_chars(len(line))
                    rows.append(line)
            lines.append("\n".join(rows))
            continue
        text = block.text.strip()
        if not text:
            continue
        budget.add_chars(len(text))
        style = style_name(block)
        level = _heading_level(style)
        if level:
            lines.append(f"{'#' * level} {' '.join(text.split())}")
        elif style.lower().startswith("list"):
            lines.append(f"- {text}")
        else:
            lines.append(text)
    return normalize_newlines("\n\n".join(lines))


def _check_unpacked_size(data: bytes, limit: int) -> None:
    """Refuse a zip-based document whose members unpack to more than ``limit`` bytes.

    The sizes come from the zip's directory, before anything is inflated. A directory
    that understates them does not help a zip bomb: zipfile never inflates a member past
    its declared size (and then fails its CRC check).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except MemoryError:
        raise  # not a damaged document: one too big for the memory it may use
    except Exception as error:
        logger.info("unreadable DOCX zip: %s", error)
        raise KnowledgeError(
            "This Word document could not be read: it is damaged or not a .docx file."
        ) from None
    if unpacked > limit:
        raise SourceLimitError(
            f"This Word document unpacks to {_megabytes(unpacked)}; the limit is {_megabytes(limit)}. "
            "Remove large images or split it into smaller files."
        )


def _paragraph_style_names(document: DocxDocument) -> Callable[[Paragraph], str]:
    """A function giving each paragraph's style name, as ``paragraph.style.name`` would.

    python-docx looks a paragraph's style up by scanning every style of the document
    (about 3 ms a paragraph: 20 s for a 5,000-paragraph manual); the names are read
    once here instead.
    """
    from docx.enum.style import WD_STYLE_TYPE

    styles = document.styles
    names = {style.style_id: style.name or "" for style in styles if style.type == WD_STYLE_TYPE.PARAGRAPH}
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name if default is not None else "") or ""

    def style_name(paragraph: Paragraph) -> str:
        # An unknown or missing style id means the default style, as in python-docx.
        return names.get(paragraph._p.style or "", default_name)

    return style_name


def _heading_level(style_name: str) -> int:
    if style_name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style_name.strip())
    return min(int(match.group(1)), 6) if match else 0


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def normalize_newlines(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
