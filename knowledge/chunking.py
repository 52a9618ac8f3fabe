"""Split extracted text into retrievable chunks that remember where they sit.

A chunk never crosses a heading: each carries its heading path ("Billing \u203a Refunds").
Inside a section, paragraphs are packed up to about ``target_chars``; a paragraph too
long for one chunk is cut at sentence boundaries (words as a last resort). Each chunk
after the first of a section repeats about ``overlap_chars`` of the previous one, so a
sentence that needs its neighbour is still understood. FAQ pairs ("Q: ... A: ...") stay
in one chunk and get no overlap in front, so an answer is never glued to the wrong
question.

Tables (markdown pipe tables, and the ``a | b | c`` rows :mod:`knowledge.extract` makes of
a Word table) become one list item per row that names its columns: "- Cobble: Memory
(RAM): 4 GB; Player slots: 20; Price: £6.50". A row on its own then says what each
value is, so a question about one plan finds and quotes that plan's row, never a run of
cells glued across rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.providers.base import HEADING_SEPARATOR

# Chunk.heading is a CharField(max_length=500).
MAX_HEADING_CHARS = 500

_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE_LINE = re.compile(r"^\s*(```|~~~)")
_QUESTION_START = re.compile(r"^\s*(?:\*\*|__)?(?:Q|Question)\s*\d*\s*[:.)]", re.IGNORECASE)
_ANSWER_START = re.compile(r"^\s*(?:\*\*|__)?(?:A|Answer)\s*\d*\s*[:.)]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True)
class TextChunk:
    heading: str
    text: str
    url: str = ""


@dataclass(frozen=True)
class _Piece:
    text: str
    # What joins this piece to the one before it in the same chunk.
    separator: str
    # A piece that opens an FAQ pair: it starts a fresh chunk without overlap.
    starts_faq: bool = False


def chunk_text(
    text: str,
    *,
    url: str = "",
    root_heading: str = "",
    target_chars: int = 800,
    overlap_chars: int = 120,
    max_chunks: int | None = None,
) -> list[TextChunk]:
    """Chunks of ``text`` in document order; ``root_heading`` prefixes every heading path.

    ``text`` uses markdown ``#`` headings (what :mod:`knowledge.extract` produces).
    Returns an empty list when there is no text outside headings. With ``max_chunks``,
    stops as soon as it has one chunk more than that (the caller refuses the source): a
    text with a heading on every other line would otherwise make hundreds of thousands.
    """
    chunks: list[TextChunk] = []
    for path, body in _sections(text):
        heading = _heading_label(root_heading, path)
        pieces = _pieces(linearize_tables(body), target_chars)
        for chunk_body in _pack(pieces, target_chars, overlap_chars):
            chunks.append(TextChunk(heading=heading, text=chunk_body, url=url))
            if max_chunks is not None and len(chunks) > max_chunks:
                return chunks
    return chunks


_LIST_OR_TABLE = re.compile(r"^\s*(?:[-*•+>|]|\d+[.)]\s)")
# A line ending in one of these runs on into the next: it is wrapped text, not a title.
_RUN_ON_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())
MAX_INFERRED_HEADING_CHARS = 70


def infer_headings(text: str) -> str:
    """Plain text's own titles as markdown headings, for text that has none (a pasted FAQ,
    a .txt file): a short line on its own after a blank line (or first), with text right
    under it, that reads like a title or a question ("Refunds", "How do I get a refund?")
    rather than a sentence or a wrapped line. Text with any markdown heading is left as it
    is, and so are FAQ pairs ("Q: …" / "A: …"), lists and tables."""
    lines = text.split("\n")
    if any(_HEADING_LINE.match(line) for line in lines):
        return text
    return "\n".join(
        f"## {line.strip().rstrip(':').strip()}" if _titles_what_follows(lines, index) else line
        for index, line in enumerate(lines)
    )


def _titles_what_follows(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    after = lines[index + 1].strip() if index + 1 < len(lines) else ""
    if not line or not after or (index > 0 and lines[index - 1].strip()):
        return False
    words = line.split()
    letters = [c for c in line if c.isalpha()]
    return (
        len(line) <= MAX_INFERRED_HEADING_CHARS
        and len(words) <= 10
        and bool(letters)
        and letters[0].isupper()
        and line[-1] not in ".,;!…"
        and words[-1].lower() not in _RUN_ON_WORDS
        and not _LIST_OR_TABLE.match(line)
        and not _QUESTION_START.match(line)
        and not _ANSWER_START.match(line)
        and "://" not in line
        and not after[0].islower()  # a sentence carried on, not the text under a title
    )


def _sections(text: str) -> Iterator[tuple[tuple[str, ...], str]]:
    """(heading path, body) for every run of text between headings; empty bodies dropped."""
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _FENCE_LINE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING_LINE.match(line)
        if match is None:
            body.append(line)
            continue
        content = "\n".join(body).strip()
        if content:
            yield tuple(title for _, title in stack), content
        body.clear()
        level = len(match.group(1))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, " ".join(match.group(2).split())))
    content = "\n".join(body).strip()
    if content:
        yield tuple(title for _, title in stack), content


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def linearize_tables(body: str) -> str:
    """``body`` with each table (two or more consecutive ``|``-separated rows, the first
    the header) turned into list items, one per row (see the module docstring)."""
    lines = body.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        # A table: consecutive rows with as many cells as the first (rules between them).
        width = len(_cells(lines[index]))
        end = index
        while end < len(lines) and (_TABLE_RULE.match(lines[end]) or len(_cells(lines[end])) == width >= 2):
            end += 1
        rows = [lines[i] for i in range(index, end) if not _TABLE_RULE.match(lines[i])]
        if end - index >= 2 and len(rows) >= 2 and len(_cells(rows[0])) >= 2:
            out.extend(_row_items(rows))
            index = end
            continue
        out.append(lines[index])
        index += 1
    return "\n".join(out)


def _cells(line: str) -> list[str]:
    stripped = line.strip()
    if "|" not in stripped:
        return []
    return [cell.strip() for cell in stripped.strip("|").split("|")]


def _row_items(rows: list[str]) -> list[str]:
    header = _cells(rows[0])
    items = []
    for row in rows[1:]:
        cells = _cells(row)
        if not any(cells):
            continue
        label, values = cells[0], cells[1:]
        # Rows of one table have as many cells as its header (see linearize_tables).
        pairs = zip(header[1:], values, strict=True)
        named = [f"{name}: {value}" if name else value for name, value in pairs if value]
        items.append(f"- {label}: {'; '.join(named)}" if label else f"- {'; '.join(named)}")
    return items


def _heading_label(root_heading: str, path: tuple[str, ...]) -> str:
    parts = list(path)
    root = root_heading.strip()
    if root and (not parts or parts[0].casefold() != root.casefold()):
        parts.insert(0, root)
    label = HEADING_SEPARATOR.join(parts)
    return label if len(label) <= MAX_HEADING_CHARS else label[: MAX_HEADING_CHARS - 1] + "…"


def _pieces(body: str, target_chars: int) -> list[_Piece]:
    """The section's paragraphs (FAQ pairs merged), long ones cut into sentences."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    pieces: list[_Piece] = []
    for unit, is_faq in _units(paragraphs, target_chars):
        # An FAQ pair may run to twice the target before it is cut: keeping the
        # question with its answer matters more than an even size.
        limit = target_chars * 2 if is_faq else target_chars
        if len(unit) <= limit:
            pieces.append(_Piece(unit, "\n\n", starts_faq=is_faq))
            continue
        for index, (separator, part) in enumerate(_split_long(unit, target_chars)):
            pieces.append(_Piece(part, "\n\n" if index == 0 else separator, starts_faq=is_faq and index == 0))
    return pieces


def _units(paragraphs: list[str], target_chars: int) -> list[tuple[str, bool]]:
    """Paragraphs, with each question joined to its answer paragraphs."""
    units: list[tuple[str, bool]] = []
    index = 0
    while index < len(paragraphs):
        paragraph = paragraphs[index]
        index += 1
        if not _QUESTION_START.match(paragraph):
            units.append((paragraph, False))
            continue
        pair = paragraph
        # The answer: an "A:" paragraph, then what follows until the next question,
        # as long as the pair stays about chunk-sized.
        while index < len(paragraphs) and not _QUESTION_START.match(paragraphs[index]):
            following = paragraphs[index]
            is_answer_start = _ANSWER_START.match(following) is not None and pair is paragraph
            if not is_answer_start and len(pair) + len(following) + 2 > target_chars:
                break
            pair = f"{pair}\n\n{following}"
            index += 1
        units.append((pair, True))
    return units


def _split_long(text: str, limit: int) -> list[tuple[str, str]]:
    """(separator, part) pieces of at most ``limit`` chars: lines, then sentences, then words."""
    parts: list[tuple[str, str]] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if len(line) <= limit:
            parts.append(("\n", line))
            continue
        for index, sentence in enumerate(s for s in _SENTENCE_END.split(line) if s):
            separator = "\n" if index == 0 else " "
            if len(sentence) <= limit:
                parts.append((separator, sentence))
                continue
            for word_index, words in enumerate(_split_words(sentence, limit)):
                parts.append((separator if word_index == 0 else " ", words))
    return parts


def _split_words(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > limit:  # a "word" longer than a chunk: a URL or garbage
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return parts


def _pack(pieces: list[_Piece], target_chars: int, overlap_chars: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece.separator) + len(piece.text) > target_chars:
            chunks.append(current)
            overlap = "" if piece.starts_faq else _tail(current, overlap_chars)
            current = f"{overlap}{piece.separator}{piece.text}" if overlap else piece.text
            continue
        current = f"{current}{piece.separator}{piece.text}" if current else piece.text
    if current:
        chunks.append(current)
    return chunks


def _tail(text: str, max_chars: int) -> str:
    """The last whole sentences of ``text`` within ``max_chars``, else its last words."""
    if max_chars <= 0:
        return ""
    sentences = [s for s in _SENTENCE_END.split(text.replace("\n", " ")) if s.strip()]
    tail = ""
    for sentence in reversed(sentences):
        candidate = f"{sentence} {tail}".strip()
        if len(candidate) > max_chars:
            break
        tail = candidate
    if tail:
        return tail
    words = text[-max_chars:].split()
    # The first word is probably cut in half.
    return "…" + " ".join(words[1:]) if len(words) > 1 else ""
