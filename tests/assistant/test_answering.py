"""The safe entry points: retrieval, follow-ups, timeouts and failures, reply formatting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from assistant.answering import (
    answer_question,
    check_message,
    compose_post,
    decide_reply,
    detect_human_request,
    format_reply,
    needs_ai_call,
    retrieval_query,
)
from assistant.prompts import APOLOGY
from assistant.providers.base import (
    NO_VIOLATION,
    Answer,
    AnswerRequest,
    ModerationRequest,
    Passage,
    ReplyDecision,
    Turn,
    Verdict,
)
from assistant.providers.local import LocalProvider
from tests.assistant.support import PASSWORDS, REFUNDS

REFUND_TALK = [Turn("member", "How do refunds work?"), Turn("assistant", "Ask from the Billing page.")]


class BrokenProvider:
    """Fails every call the way a transport error would."""

    name = "broken"

    async def answer(self, request: AnswerRequest) -> Answer:
        raise ConnectionError("connection reset")

    async def should_reply(self, request: AnswerRequest) -> ReplyDecision:
        raise ConnectionError("connection reset")

    async def moderate(self, request: ModerationRequest) -> Verdict:
        raise ConnectionError("connection reset")

    async def compose_proactive(self, topic: str, passages: list[Passage], previous_posts: list[str]) -> str:
        raise ConnectionError("connection reset")

    async def wants_human(self, text: str, history: list[Turn]) -> bool:
        raise ConnectionError("connection reset")


class SlowProvider(LocalProvider):
    async def answer(self, request: AnswerRequest) -> Answer:
        await asyncio.sleep(5)
        return await super().answer(request)


@pytest.fixture
def quick_timeout(settings: Any) -> None:
    settings.AI_TIMEOUT_SECONDS = 0.05


async def test_it_answers_from_the_knowledge_base(searched: list[str]) -> None:
    answer = await answer_question(workspace_id=1, question="How do I reset my password?", history=[])

    assert answer.grounded and [p.chunk_id for p in answer.sources] == [PASSWORDS.chunk_id]


async def test_a_follow_up_is_answered_from_the_previous_question(searched: list[str]) -> None:
    answer = await answer_question(
        workspace_id=1, question="And how long does that take?", history=REFUND_TALK
    )

    assert "Refunds usually take 5 business days" in answer.text
    assert [p.chunk_id for p in answer.sources] == [REFUNDS.chunk_id]


async def test_a_follow_up_is_searched_with_the_previous_question(searched: list[str]) -> None:
    await answer_question(workspace_id=1, question="And how long does that take?", history=REFUND_TALK)

    assert searched == ["And how long does that take? How do refunds work?"]


async def test_a_new_question_that_opens_with_also_is_asked_on_its_own(searched: list[str]) -> None:
    question = "Also, do you sell gift cards in your shop?"

    answer = await answer_question(workspace_id=1, question=question, history=REFUND_TALK)

    # The refunds page its context finds holds none of its words: it is a question of its own.
    assert searched == [f"{question} How do refunds work?", question]
    assert not answer.grounded


async def test_a_follow_up_that_opens_with_and_keeps_its_context_when_the_page_holds_its_words(
    searched: list[str],
) -> None:
    question = "And when does the money reach my payment method?"

    answer = await answer_question(workspace_id=1, question=question, history=REFUND_TALK)

    assert searched == [f"{question} How do refunds work?"]
    assert answer.grounded and "5 business days" in answer.text


def test_a_self_contained_question_is_searched_as_asked() -> None:
    assert retrieval_query("What is the capital of France?", REFUND_TALK) == "What is the capital of France?"


def test_is_there_does_not_make_a_question_a_follow_up() -> None:
    question = "Is there a discount for annual billing plans?"

    assert retrieval_query(question, REFUND_TALK) == question


async def test_it_keeps_only_the_configured_number_of_turns(searched: list[str], settings: Any) -> None:
    settings.AI_HISTORY_TURNS = 1
    seen: list[AnswerRequest] = []

    class Recording(LocalProvider):
        async def answer(self, request: AnswerRequest) -> Answer:
            seen.append(request)
            return await super().answer(request)

    await answer_question(workspace_id=1, question="ok?", history=REFUND_TALK, provider=Recording())

    assert seen[0].history == REFUND_TALK[-1:]


async def test_it_passes_the_workspace_instructions_and_bot_name(searched: list[str]) -> None:
    seen: list[AnswerRequest] = []

    class Recording(LocalProvider):
        async def answer(self, request: AnswerRequest) -> Answer:
            seen.append(request)
            return await super().answer(request)

    await answer_question(
        workspace_id=1,
        question="Hi?",
        history=[],
        instructions="Be brief.",
        bot_name="Ada",
        provider=Recording(),
    )

    assert (seen[0].instructions, seen[0].bot_name) == ("Be brief.", "Ada")


@pytest.mark.usefixtures("searched", "quick_timeout")
async def test_a_slow_provider_gets_the_apology() -> None:
    answer = await answer_question(
        workspace_id=1, question="How do refunds work?", history=[], provider=SlowProvider()
    )

    assert (answer.text, answer.failed, answer.grounded, answer.sources) == (APOLOGY, True, False, [])


async def test_a_failing_provider_gets_the_apology(searched: list[str]) -> None:
    answer = await answer_question(
        workspace_id=1, question="How do refunds work?", history=[], provider=BrokenProvider()
    )

    assert (answer.text, answer.failed) == (APOLOGY, True)


async def test_a_failing_search_gets_the_apology(monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import search

    async def broken(workspace_id: int, query: str, k: int | None = None) -> list[Passage]:
        raise RuntimeError("index is corrupt")

    monkeypatch.setattr(search, "asearch", broken)

    answer = await answer_question(workspace_id=1, question="How do refunds work?", history=[])

    assert answer.failed


def test_the_apology_is_one_short_polite_sentence() -> None:
    assert APOLOGY.startswith("Sorry") and len(APOLOGY) < 100


async def test_a_failing_provider_means_no_smart_mode_reply(searched: list[str]) -> None:
    decision = await decide_reply(
        workspace_id=1, question="How do refunds work?", history=[], provider=BrokenProvider()
    )

    assert decision.reply is False


async def test_smart_mode_replies_to_a_covered_question(searched: list[str]) -> None:
    decision = await decide_reply(workspace_id=1, question="How do refunds work?", history=[])

    assert decision.reply is True


async def test_a_failing_provider_means_no_moderation_action() -> None:
    # Nothing the local checks catch, so the provider is asked, and fails.
    request = ModerationRequest(
        text="come join our other server, dm me for the link", rules="No invite links"
    )

    assert await check_message(request, provider=BrokenProvider()) == NO_VIOLATION


async def test_moderation_uses_the_configured_provider() -> None:
    verdict = await check_message(ModerationRequest(text="discord.gg/abc", rules="No invite links"))

    assert verdict.rule == "No invite links"


async def test_a_failing_provider_means_no_escalation() -> None:
    assert await detect_human_request("let me talk to a human", [], provider=BrokenProvider()) is False


async def test_escalation_uses_the_configured_provider() -> None:
    assert await detect_human_request("let me talk to a human", []) is True


async def test_a_failing_provider_means_no_post(searched: list[str]) -> None:
    assert await compose_post("Shipping", 1, [], provider=BrokenProvider()) is None


async def test_nothing_new_to_say_means_no_post(searched: list[str]) -> None:
    first = await compose_post("Shipping", 1, [])
    second = await compose_post("Shipping", 1, [first or ""])
    third = await compose_post("Shipping", 1, [first or "", second or ""])

    assert first and second and third is None


def test_a_grounded_reply_lists_its_sources_once() -> None:
    reply = format_reply(Answer("Click Forgot password.", sources=[PASSWORDS, PASSWORDS, REFUNDS]))

    assert reply == (
        "Click Forgot password.\n\n"
        "Sources: Account help \u203a Resetting your password, "
        "Billing FAQ \u203a Refunds <https://docs.example.com/billing#refunds>"
    )


def test_an_ungrounded_reply_has_no_sources_line() -> None:
    assert "Sources" not in format_reply(Answer("I don't know.", sources=[REFUNDS], grounded=False))


def test_urls_in_the_answer_do_not_embed() -> None:
    reply = format_reply(Answer("See https://docs.example.com/billing. Or <https://example.org>."))

    assert reply == "See <https://docs.example.com/billing>. Or <https://example.org>."


def test_a_reply_cannot_ping_everyone() -> None:
    assert "@everyone" not in format_reply(Answer("Hey @everyone, refunds take 5 days."))


async def test_what_the_local_checks_catch_costs_no_ai_call() -> None:
    request = ModerationRequest(text="discord.gg/abc", rules="No invite links")

    verdict = await check_message(request, provider=BrokenProvider())

    assert (verdict.violation, verdict.rule) == (True, "No invite links")


def test_short_plain_chatter_needs_no_ai_call() -> None:
    rules = "No invite links. Keep discussions on topic."

    assert not needs_ai_call(ModerationRequest(text="gg, thanks everyone", rules=rules))
    assert needs_ai_call(ModerationRequest(text="selling my old acc, dm me", rules=rules))
