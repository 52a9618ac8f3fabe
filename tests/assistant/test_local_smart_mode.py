"""Smart mode in the local engine: answer questions the knowledge covers, ignore chatter."""

from __future__ import annotations

import pytest

from assistant.providers.base import AnswerRequest
from assistant.providers.local import LocalProvider
from tests.assistant.support import rank


async def decide(text: str) -> bool:
    decision = await LocalProvider().should_reply(AnswerRequest(text, rank(text), query=text))
    return decision.reply


@pytest.mark.parametrize(
    "question",
    [
        "How do I reset my password?",
        "can i get a refund on the annual plan",
        "password reset link doesn't work",
        "where do orders ship from",
        "Is there express shipping?",
    ],
)
async def test_it_replies_to_questions_the_knowledge_covers(question: str) -> None:
    assert await decide(question) is True


@pytest.mark.parametrize(
    "chatter",
    [
        "hi everyone!",
        "thanks!!",
        "lol",
        "good morning folks",
        "nice one",
        "why did the password cross the road? lol",
        "haha refunds are a joke",
        "ok cool",
    ],
)
async def test_it_stays_out_of_casual_chatter(chatter: str) -> None:
    assert await decide(chatter) is False


async def test_it_ignores_statements_that_ask_nothing() -> None:
    assert await decide("I reset my password yesterday and shipping was quick") is False


async def test_it_ignores_questions_the_knowledge_does_not_cover() -> None:
    assert await decide("What is the capital of France?") is False


async def test_it_gives_a_reason_for_staying_silent() -> None:
    decision = await LocalProvider().should_reply(AnswerRequest("thanks!", []))

    assert decision.reason == "casual chatter"
