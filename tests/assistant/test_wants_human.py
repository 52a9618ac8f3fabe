"""Escalation intent in the local engine: asking for a person, frustration, repetition."""

from __future__ import annotations

import pytest

from assistant.providers.base import Turn
from assistant.providers.local import LocalProvider


async def wants(text: str, history: list[Turn] | None = None) -> bool:
    return await LocalProvider().wants_human(text, history or [])


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to a human?",
        "I want to speak with a real person",
        "let me speak with someone from support",
        "human please",
        "can you connect me to an agent",
        "is there a human available?",
        "I need a real person, not a bot",
        "Can I chat with staff about my order?",
    ],
)
async def test_it_notices_a_request_for_a_person(text: str) -> None:
    assert await wants(text) is True


@pytest.mark.parametrize("text", ["this is useless", "you're not helping at all", "that didn't help"])
async def test_it_notices_frustration(text: str) -> None:
    assert await wants(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "is this a real person?",
        "the person who wrote the docs said refunds take a week",
        "I don't want to talk to a human, just tell me the shipping time",
        "how do I talk to people in voice chat",
        "I need someone to explain the API limits",
        "thanks, that helped!",
        "How do I reset my password?",
    ],
)
async def test_lookalikes_do_not_trigger(text: str) -> None:
    assert await wants(text) is False


async def test_asking_the_same_question_again_after_an_answer_triggers() -> None:
    history = [Turn("member", "How do I reset my password?"), Turn("assistant", "Click Forgot password.")]

    assert await wants("how do i reset my password??", history) is True


async def test_a_question_not_yet_answered_is_not_a_repeat() -> None:
    assert (
        await wants("How do I reset my password?", [Turn("member", "How do I reset my password?")]) is False
    )
