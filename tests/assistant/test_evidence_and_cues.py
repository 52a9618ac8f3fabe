"""The calibrated abstention, the follow-up rewrite and smart mode's help cues."""

from __future__ import annotations

import pytest

from assistant import cues, evidence
from assistant.answering import retrieval_query
from assistant.providers.base import Passage, Turn

STUDENTS = Passage(
    text="Students pay 40% less for the monthly pass with a university email address.",
    title="Student discount",
    score=0.6,
    source_id=5,
    chunk_id=50,
    dense=0.55,
    lexical=1.0,
    margin=0.2,
)


def _with(**changes: float) -> list[Passage]:
    return [Passage(**{**STUDENTS.__dict__, **changes})]


def test_a_question_the_passage_answers_is_answered() -> None:
    assert evidence.knows("Is there a student discount?", "", _with())


def test_a_near_miss_on_a_look_alike_page_is_declined() -> None:
    # The student page exists; nothing says anything about seniors.
    assert not evidence.knows("Do you have a senior discount?", "", _with(margin=0.0))


def test_more_margin_over_the_next_document_raises_the_probability() -> None:
    ask = "Is there a student discount?"
    near = evidence.gather(ask, ask, _with(margin=0.0))
    ahead = evidence.gather(ask, ask, _with(margin=0.3))

    assert near is not None and ahead is not None
    assert ahead.probability() > near.probability()


def test_no_passage_means_no_answer() -> None:
    assert not evidence.knows("Is there a student discount?", "", [])


def test_a_short_follow_up_is_searched_with_the_previous_question() -> None:
    history = [Turn("member", "How do I dispute a charge?"), Turn("assistant", "Tap Dispute this charge.")]

    assert retrieval_query("how long do I have to do that?", history).endswith("How do I dispute a charge?")


def test_a_question_that_names_its_own_topic_is_searched_alone() -> None:
    history = [Turn("member", "How do I dispute a charge?")]
    question = "Which Android version does the Velora app need to run properly?"

    assert retrieval_query(question, history) == question


@pytest.mark.parametrize(
    "text",
    [
        "whats the sftp port again",
        "need help with my invoice",
        "qr code wont scan on this bike",
        "pls how i pause my pass",
        "my app keeps crashing lol",
    ],
)
def test_help_requests_without_a_question_mark_are_heard(text: str) -> None:
    assert cues.asks_for_help(text)


@pytest.mark.parametrize(
    "text",
    [
        "does anyone want to ride together this weekend?",
        "anyone up for a coffee ride at 8?",
        "how was your weekend sam",
    ],
)
def test_members_talking_to_each_other_are_not_help_requests(text: str) -> None:
    assert not cues.asks_for_help(text)


@pytest.mark.parametrize("text", ["thanks, that worked", "lol same", "good morning everyone!"])
def test_thanks_and_greetings_are_chatter(text: str) -> None:
    assert cues.is_chatter(text)
