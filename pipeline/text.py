"""Text helpers for Discord's message rules."""

from __future__ import annotations

import re

DISCORD_MESSAGE_LIMIT = 2000


def split_message(text: str, limit: int = DISCORD_MESSAGE_LIMIT) -> list[str]:
    """Split text into pieces of at most ``limit`` characters, preferring paragraph, line,
    sentence and word boundaries, in that order. Never returns an empty list."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            cut = window.rfind(separator)
            if cut > limit // 2:
                cut += len(separator)
                break
        if cut <= limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return [piece for piece in pieces if piece] or [""]


def strip_mention(content: str, user_id: str) -> str:
    """The message text without mentions of ``user_id`` (the bot)."""
    return re.sub(rf"<@!?{re.escape(user_id)}>", " ", content).strip()
