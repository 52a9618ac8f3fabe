"""The Solved button under the bot's answer in a forum post, and reading a click's
``custom_id`` back: ``gm:sv:<post id>``, the post being the forum thread the answer is in."""

from __future__ import annotations

from typing import Any

from integrations.discordbot.feedback_buttons import ACTION_ROW, BUTTON, MAX_CUSTOM_ID

PREFIX = "gm:sv:"
SUCCESS = 3  # Discord's green button style


def custom_id(post_id: str | int) -> str:
    return f"{PREFIX}{post_id}"


def solved_button(post_id: str | int) -> dict[str, Any]:
    return {
        "type": BUTTON,
        "style": SUCCESS,
        "emoji": {"name": "✅"},
        "label": "Solved",
        "custom_id": custom_id(post_id),
    }


def with_solved(rows: list[dict[str, Any]], post_id: str | int) -> list[dict[str, Any]]:
    """``rows`` with the Solved button at the end of the first row (a row of its own when
    there is none, or the first is full)."""
    button = solved_button(post_id)
    if rows and len(rows[0]["components"]) < 5:
        first = {**rows[0], "components": [*rows[0]["components"], button]}
        return [first, *rows[1:]]
    return [*rows, {"type": ACTION_ROW, "components": [button]}]


def parse_solved(value: object) -> int | None:
    """The post a Solved ``custom_id`` names; None for anything else."""
    if not isinstance(value, str) or len(value) > MAX_CUSTOM_ID or not value.startswith(PREFIX):
        return None
    number = value[len(PREFIX) :]
    if not number.isdigit() or len(number) > 20:
        return None
    return int(number)
