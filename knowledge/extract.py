"""Text extraction: turn uploaded files and fetched pages into markdown-ish plain text.

Every extractor returns text whose headings are markdown ``#`` lines, so the chunker
can keep each passage's place in the document. Unreadable input raises
:class:`KnowledgeError` with a sentence the owner can act on; nothing else escapes
for bad input.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag

from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

logger = logging.getLogger(__name__)

SUPPORTED_FILE_EXTENSIONS = ("txt", "md", "pdf", "docx")


@dataclass(frozen=True)
class HtmlPage:
    title: str
    text: str


def file_extension(filename: str) -> str:
    """The lower-case extension without its dot ("" when there is none)."""
    return PurePath(filename).suffix.lower().lstrip(".")


def extract_file(data: bytes, filename: str) -> str:
    """Text of an uploaded file, chosen by its extension (txt, md, pdf, docx)."""
    extension = file_extension(filename)
    if extension in ("txt", "md"):
        return extract_plain_text(data)
    if extension == "pdf":
        return extract_pdf(data)
    if extension == "docx":
        return extract_docx(data)
    raise KnowledgeError(
        f"Guildmind cannot read .{extension or '?'} files; upload a "
        + ", ".join(f".{ext}" for ext in SUPPORTED_FILE_EXTENSIONS)
        + " file."
    )


def extract_plain_text(data: bytes) -> str:
    """Plain text or markdown, decoded (UTF-8 or UTF-16 with a BOM, else Windows-1252)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _normalize_newlines(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise KnowledgeError("This text file could not be read: its encoding is broken.") from None
    # A NUL byte in the first few kilobytes means a binary file renamed to .txt.
    if b"\x00" in data[:8192]:
        raise KnowledgeError("This file does not look like text; save it as plain text or markdown.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return _normalize_newlines(text)


def extract_pdf(data: bytes) -> str:
    """The text of every page of a PDF, pages separated by blank lines."""
    # Imported here: pypdf is only needed by the worker, and costs import time elsewhere.
    from pypdf import PdfReader

    damaged = "This PDF could not be read: it is damaged or encrypted."
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise KnowledgeError("This PDF is password-protected; remove the password and upload it again.")
        pages = list(reader.pages)
    except KnowledgeError:
        raise
    except Exception as error:
        logger.info("unreadable PDF: %s", error)
        raise KnowledgeError(damaged) from None
    texts: list[str] = []
    for page in pages:
        try:
            texts.append(page.extract_text() or "")
        except Exception as error:
            # One broken page should not lose the rest of the document.
            logger.info("skipped an unreadable PDF page: %s", error)
    text = _normalize_newlines("\n\n".join(t.strip() for t in texts if t.strip()))
    if not text.strip():
        if not pages:
            raise KnowledgeError(damaged)
        raise KnowledgeError(
            "This PDF has no text Guildmind can read (it may be scanned images); "
            "upload a PDF with selectable text."
        )
    return text


_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def extract_docx(data: bytes) -> str:
    """A Word document's paragraphs and tables in order; heading styles become ``#`` lines."""
    from docx import Document
    from docx.table import Table

    try:
        document = Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
    except Exception as error:
        logger.info("unreadable DOCX: %s", error)
        raise KnowledgeError(
            "This Word document could not be read: it is damaged or not a .docx file."
        ) from None
    style_name = _paragraph_style_names(document)
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows]
            lines.append("\n".join(row for row in rows if row.strip(" |")))
            continue
        text = block.text.strip()
        if not text:
            continue
        style = style_name(block)
        level = _heading_level(style)
        if level:
            lines.append(f"{'#' * level} {' '.join(text.split())}")
        elif style.lower().startswith("list"):
            lines.append(f"- {text}")
        else:
            lines.append(text)
    return _normalize_newlines("\n\n".join(lines))


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


# Elements whose content is never part of the page's meaning.
_DROPPED_TAGS = frozenset(
    {"script", "style", "nav", "footer", "noscript", "template", "svg", "iframe", "head", "button", "select"}
)
# Elements that start a paragraph of their own.
_PARAGRAPH_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "aside", "ul", "ol", "table",
        "blockquote", "pre", "dl", "figure", "figcaption", "address", "details", "summary", "hr", "form",
    }
)  # fmt: skip
_LINE_TAGS = frozenset({"br", "tr", "dt", "dd", "caption"})
_HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}


def extract_html(data: bytes | str, *, encoding: str | None = None) -> HtmlPage:
    """The readable text of an HTML page, with h1-h6 as ``#`` headings, and its <title>.

    ``encoding`` is the charset the server declared, if any; otherwise the page's own
    meta tag (or a guess) decides.
    """
    try:
        soup = BeautifulSoup(data, "lxml", from_encoding=encoding if isinstance(data, bytes) else None)
    except Exception as error:
        logger.info("unparseable HTML: %s", error)
        raise KnowledgeError("This page could not be read: its HTML is broken.") from None
    title = " ".join(soup.title.get_text(" ").split()) if soup.title else ""
    root = soup.body or soup
    text = _normalize_newlines(_tidy_html_lines(_render_html(root)))
    if not title:
        first_heading = soup.find("h1")
        title = " ".join(first_heading.get_text(" ").split()) if first_heading else ""
    return HtmlPage(title=title, text=text)


def _render_html(root: Tag | BeautifulSoup) -> str:
    # An explicit stack instead of recursion: a hostile page can nest thousands deep.
    out: list[str] = []
    stack: list[PageElement | tuple[str]] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            out.append(item[0])
            continue
        if isinstance(item, PreformattedString):  # comments, doctypes, CDATA
            continue
        if isinstance(item, NavigableString):
            out.append(re.sub(r"\s+", " ", str(item)))
            continue
        if not isinstance(item, Tag) or item.name in _DROPPED_TAGS or _is_hidden(item):
            continue
        if item.name in _HEADING_TAGS:
            heading = " ".join(item.get_text(" ").split())
            if heading:
                out.append(f"\n\n{'#' * _HEADING_TAGS[item.name]} {heading}\n\n")
            continue
        before, after = _separators(item.name)
        out.append(before)
        stack.append((after,))
        stack.extend(reversed(item.contents))
    return "".join(out)


def _separators(tag_name: str) -> tuple[str, str]:
    if tag_name in _PARAGRAPH_TAGS:
        return "\n\n", "\n\n"
    if tag_name == "li":
        return "\n- ", ""
    if tag_name in _LINE_TAGS:
        return "\n", "\n"
    if tag_name in ("td", "th"):
        return "", " | "
    return "", ""


def _is_hidden(tag: Tag) -> bool:
    style = str(tag.get("style") or "").replace(" ", "").lower()
    return tag.has_attr("hidden") or tag.get("aria-hidden") == "true" or "display:none" in style


def _tidy_html_lines(text: str) -> str:
    # Markup indentation and the cell separators left at a row's end are noise.
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip(" |") for line in text.split("\n"))
    return "\n".join(lines)


def _normalize_newlines(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
