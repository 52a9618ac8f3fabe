"""HTML extraction: a fetched page's readable text, headings as markdown ``#`` lines.

Bounded like the file extractors (:class:`knowledge.extract.ExtractLimits`): the render
checks the characters produced and the time spent every thousand elements, so a page
nested thousands deep or rendering to megabytes of text is refused, not read. No Django
here either: the extraction child process (:mod:`knowledge.isolation`) imports it alone.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag

from knowledge.errors import KnowledgeError
from knowledge.extract import Budget, ExtractLimits, normalize_newlines, too_much_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HtmlPage:
    title: str
    text: str


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


def extract_html(
    data: bytes | str,
    *,
    encoding: str | None = None,
    limits: ExtractLimits | None = None,
    seconds: float | None = None,
    subject: str = "this page",
) -> HtmlPage:
    """The readable text of an HTML page, with h1-h6 as ``#`` headings, and its <title>.

    ``encoding`` is the charset the server declared, if any; otherwise the page's own
    meta tag (or a guess) decides. ``subject`` names the source in errors.
    """
    budget = Budget(limits or ExtractLimits.from_settings(), subject, seconds)
    try:
        soup = BeautifulSoup(data, "lxml", from_encoding=encoding if isinstance(data, bytes) else None)
    except MemoryError:
        raise  # not a damaged document: one too big for the memory it may use
    except Exception as error:
        logger.info("unparseable HTML: %s", error)
        raise KnowledgeError("This page could not be read: its HTML is broken.") from None
    budget.check_time()
    title = " ".join(soup.title.get_text(" ").split()) if soup.title else ""
    root = soup.body or soup
    text = normalize_newlines(_tidy_html_lines(_render_html(root, budget)))
    budget.add_chars(len(text))
    if not title:
        first_heading = soup.find("h1")
        title = " ".join(first_heading.get_text(" ").split()) if first_heading else ""
    return HtmlPage(title=title, text=text)


def _render_html(root: Tag | BeautifulSoup, budget: Budget) -> str:
    # An explicit stack instead of recursion: a hostile page can nest thousands deep.
    out: list[str] = []
    stack: list[PageElement | tuple[str]] = [root]
    # Separators and spaces not yet collapsed count too, so the raw text may run to
    # twice the cap before the page is refused; the tidy text is checked after.
    raw_limit = 2 * budget.limits.max_chars
    raw_chars = counted = steps = 0
    while stack:
        steps += 1
        if steps % 1000 == 0:
            budget.check_time()
            raw_chars += sum(len(part) for part in out[counted:])
            counted = len(out)
            if raw_chars > raw_limit:
                raise too_much_text(budget.subject, budget.limits.max_chars)
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
