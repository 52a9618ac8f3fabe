"""A retrieved passage as the dashboard shows it (the knowledge search box and the
playground), in a form the session can keep."""

from __future__ import annotations

from typing import Any

from assistant.providers.base import Passage
from knowledge.chunking import HEADING_SEPARATOR

# How much of a passage the search box and the playground show.
PASSAGE_PREVIEW_CHARS = 600


def source_summary(passage: Passage) -> dict[str, Any]:
    return {
        "title": passage.title,
        "heading": _section_of(passage),
        "url": passage.url,
        "source_id": passage.source_id,
    }


def passage_summary(passage: Passage) -> dict[str, Any]:
    """A retrieved passage as the search box and the playground show it (session-safe)."""
    text = passage.text.strip()
    if len(text) > PASSAGE_PREVIEW_CHARS:
        text = text[: PASSAGE_PREVIEW_CHARS - 1] + "…"
    return {**source_summary(passage), "text": text, "score": round(passage.score, 2)}


def _section_of(passage: Passage) -> str:
    """The passage's heading path without the document title it usually starts with."""
    heading = passage.heading.strip()
    prefix = passage.title + HEADING_SEPARATOR
    if heading.startswith(prefix):
        return heading[len(prefix) :]
    return "" if heading == passage.title else heading
