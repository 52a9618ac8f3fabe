"""The local engine's extractive answers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant import evidence
from assistant.prompts import I_DONT_KNOW
from assistant.providers.base import AnswerRequest, Passage
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


def _section(chunk_id: int, source_id: int, heading: str, text: str, score: float) -> Passage:
    return Passage(
        text=text,
        title="Server locations" if source_id == 1 else "Fixing lag",
        score=score,
        heading=heading,
        source_id=source_id,
        chunk_id=chunk_id,
        dense=score,
        lexical=0.0,
        margin=0.1,
    )


CHOOSING = _section(1, 1, "Choosing a location", "Pick the location closest to most of your players.", 0.8)
LAG = _section(2, 2, "Is it the server?", "Run /tps on the server to see whether it keeps up.", 0.7)
LOCATIONS = _section(3, 1, "Server locations", "We run servers in London, Frankfurt and Helsinki.", 0.5)


async def test_a_section_of_the_same_document_joins_the_answer_past_another_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evidence, "knows", lambda *args: True)
    question = "Which server locations do you have?"

    answer = await LocalProvider().answer(AnswerRequest(question, [CHOOSING, LAG, LOCATIONS], query=question))

    assert [p.chunk_id for p in answer.sources] == [CHOOSING.chunk_id, LOCATIONS.chunk_id]
    assert "Helsinki" in answer.text and "/tps" not in answer.text


async def test_a_section_of_the_same_document_scoring_under_half_the_best_stays_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evidence, "knows", lambda *args: True)
    question = "Which server locations do you have?"
    weak = replace(LOCATIONS, score=0.3, dense=0.3)

    answer = await LocalProvider().answer(AnswerRequest(question, [CHOOSING, LAG, weak], query=question))

    assert [p.chunk_id for p in answer.sources] == [CHOOSING.chunk_id]


async def test_the_section_of_the_same_document_that_answers_joins_past_the_first_three(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evidence, "knows", lambda *args: True)
    question = "How much does a location cost?"
    moving = _section(4, 1, "Moving your server", "You can move it to another location monthly.", 0.6)
    prices = _section(5, 1, "Location prices", "Every location costs the same: €2 a month.", 0.5)

    answer = await LocalProvider().answer(
        AnswerRequest(question, [CHOOSING, LAG, moving, prices], query=question)
    )

    assert [p.chunk_id for p in answer.sources] == [CHOOSING.chunk_id, prices.chunk_id]
    assert "€2" in answer.text
