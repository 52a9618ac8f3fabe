"""The local engine's extractive answers."""

from __future__ import annotations

import pytest

from assistant.prompts import I_DONT_KNOW
from assistant.providers.base import AnswerRequest
from assistant.providers.local import LocalProvider, confidence
from assistant.text import stem
from tests.assistant.support import KNOWLEDGE, PASSWORDS, REFUNDS, rank


def ask(question: str, query: str = "") -> AnswerRequest:
    return AnswerRequest(question=question, passages=rank(query or question), query=query or question)


async def test_it_answers_from_the_passage_that_covers_the_question() -> None:
    answer = await LocalProvider().answer(ask("How do I reset my password?"))

    assert answer.grounded
    assert answer.text.startswith(
        "**Resetting your password**\nTo reset your password, click Forgot password on the login screen."
    )


async def test_it_cites_the_passage_it_answered_from() -> None:
    answer = await LocalProvider().answer(ask("How do I reset my password?"))

    assert [p.chunk_id for p in answer.sources] == [PASSWORDS.chunk_id]


async def test_its_answer_is_copied_word_for_word_from_the_passage() -> None:
    answer = await LocalProvider().answer(ask("How do refunds work?"))

    heading, body = answer.text.split("\n", 1)
    assert heading == "**Refunds**"
    sentences = [s.strip() + "." for s in body.split(". ") if s.strip()]
    assert 1 <= len(sentences) <= 3
    assert all(s.rstrip(".") in REFUNDS.text for s in sentences)


async def test_it_says_it_does_not_know_what_the_knowledge_does_not_cover() -> None:
    answer = await LocalProvider().answer(AnswerRequest("What is the capital of France?", KNOWLEDGE))

    assert (answer.text, answer.grounded, answer.sources) == (I_DONT_KNOW, False, [])


def test_the_i_dont_know_answer_suggests_rephrasing_or_asking_the_team() -> None:
    assert "rephrase" in I_DONT_KNOW and "team" in I_DONT_KNOW


async def test_a_passage_sharing_only_a_generic_word_is_not_an_answer() -> None:
    # "take" appears in the shipping passage, but nothing about cakes does.
    answer = await LocalProvider().answer(ask("How long does the cake take to bake?"))

    assert not answer.grounded


async def test_a_follow_up_is_answered_from_the_expanded_query() -> None:
    question = "And how long does that take?"
    query = f"{question} How do refunds work?"

    answer = await LocalProvider().answer(AnswerRequest(question, rank(query), query=query))

    assert "Refunds usually take 5 business days" in answer.text
    assert [p.chunk_id for p in answer.sources] == [REFUNDS.chunk_id]


def test_a_follow_up_without_its_expansion_is_not_covered() -> None:
    assert confidence(AnswerRequest("And how long does that take?", KNOWLEDGE)) == 0


def test_passages_with_no_bm25_score_give_no_confidence() -> None:
    unscored = [p.__class__(**{**p.__dict__, "score": 0.0}) for p in KNOWLEDGE]

    assert confidence(AnswerRequest("How do I reset my password?", unscored)) == 0


@pytest.mark.parametrize("word", ["refund", "refunds", "refunded", "refunding"])
def test_inflections_of_a_word_meet(word: str) -> None:
    assert stem(word) == "refund"


async def test_the_answer_does_not_carry_a_sources_line() -> None:
    answer = await LocalProvider().answer(ask("How do I reset my password?"))

    assert "Sources" not in answer.text and "Account help" not in answer.text
