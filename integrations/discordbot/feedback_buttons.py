"""The 👍/👎 buttons under an AI answer, as Discord message components, and reading a
click's ``custom_id`` back.

A button's ``custom_id`` is ``gm:fb:<choice>:<question id>``: the conversation log's id of
the member's question that the answer replies to (the only id known before the answer is
delivered; the answer is found from it). Discord caps a ``custom_id`` at 100 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PREFIX = "gm:fb:"
UP, DOWN, PERSON = "up", "down", "person"
_CHOICES = (UP, DOWN, PERSON)
# Discord's component types and button styles.
ACTION_ROW, BUTTON = 1, 2
PRIMARY, SECONDARY = 1, 2
MAX_CUSTOM_ID = 100


@dataclass(frozen=True, slots=True)
class Click:
    choice: str  # UP, DOWN or PERSON
    question_id: int


def custom_id(choice: str, question_id: str | int) -> str:
    return f"{PREFIX}{choice}:{question_id}"


def answer_buttons(question_id: str | int) -> list[dict[str, Any]]:
    """One action row: 👍 and 👎 for the answer to ``question_id``."""
    return [
        {
            "type": ACTION_ROW,
            "components": [
                _button(custom_id(UP, question_id), "👍", "Helpful"),
                _button(custom_id(DOWN, question_id), "👎", "Not helpful"),
            ],
        }
    ]


def person_button(question_id: str | int) -> list[dict[str, Any]]:
    """The row offering a person after a 👎 (where escalation is on)."""
    return [
        {
            "type": ACTION_ROW,
            "components": [
                {
                    "type": BUTTON,
                    "style": PRIMARY,
                    "label": "Want a person?",
                    "custom_id": custom_id(PERSON, question_id),
                }
            ],
        }
    ]


def _button(custom: str, emoji: str, label: str) -> dict[str, Any]:
    return {"type": BUTTON, "style": SECONDARY, "emoji": {"name": emoji}, "label": label, "custom_id": custom}


def parse_click(value: object) -> Click | None:
    """The click a ``custom_id`` names; None for anything that is not one of ours."""
    if not isinstance(value, str) or len(value) > MAX_CUSTOM_ID or not value.startswith(PREFIX):
        return None
    choice, _, number = value[len(PREFIX) :].partition(":")
    if choice not in _CHOICES or not number.isdigit() or len(number) > 18:
        return None
    return Click(choice, int(number))
