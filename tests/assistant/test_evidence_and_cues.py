"""The calibrated abstention, the follow-up rewrite and smart mode's help cues."""

from __future__ import annotations

import pytest

from assistant import cues, evidence
from assistant.answering import retrieval_query
from assistant.providers.base import HEADING_SEPARATOR, Passage, Turn

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


def test_an_informative_word_the_passage_never_mentions_lowers_the_probability() -> None:
    named = evidence.gather("Is there a student discount?", "", _with())
    missing = evidence.gather("Is there a senior discount?", "", _with())

    assert named is not None and missing is not None
    assert missing.unexplained > named.unexplained == 0.0
    assert missing.probability() < named.probability()


SFTP = Passage(
    text="Connect with SFTP to sftp.example.gg on port 2022. Log in with your panel email and password.",
    title="SFTP file access",
    score=0.6,
    source_id=6,
    chunk_id=60,
    dense=0.6,
    lexical=1.0,
    margin=0.2,
)


def test_a_passage_holding_all_the_question_s_words_but_one_is_a_near_miss() -> None:
    # Logging in to SFTP is there, an SSH key is not: most of the words, nothing for one.
    near_miss = evidence.gather("Can I log in to SFTP with an SSH key?", "", [SFTP])
    answered = evidence.gather("How do I log in to SFTP?", "", [SFTP])

    assert near_miss is not None and answered is not None
    assert near_miss.covered_weakest < 0.2 < answered.covered_weakest
    assert not evidence.knows("Can I log in to SFTP with an SSH key?", "", [SFTP])
    assert evidence.knows("How do I log in to SFTP?", "", [SFTP])


def test_filler_words_do_not_count_as_unanswered() -> None:
    # "wondering" says little: the question is still the student discount's.
    plain = evidence.gather("student discount", "", _with())
    chatty = evidence.gather("wondering about the student discount", "", _with())

    assert plain is not None and chatty is not None
    assert chatty.weakest_informative == pytest.approx(plain.weakest_informative)
    assert chatty.weakest_word < plain.weakest_word
    assert evidence.knows("wondering about the student discount", "", _with())


def test_how_a_request_is_put_is_not_asked_about() -> None:
    # "any tips", "pls" and "lol" ask; they name nothing the passage should hold.
    plain = evidence.gather("student discount", "", _with())
    asked = evidence.gather("any tips for the student discount pls lol", "", _with())

    assert plain is not None and asked is not None
    assert asked.weakest_word == pytest.approx(plain.weakest_word)
    assert asked.unexplained == pytest.approx(plain.unexplained)


def test_a_passage_sharing_no_word_and_barely_near_in_meaning_is_no_answer() -> None:
    # A shop's knowledge base that never mentions gift cards: its best passage shares no
    # word with the question and its cosine is low. High margin (a knowledge base of one
    # document) must not make that an answer.
    unrelated = _with(dense=0.15, lexical=0.0, margin=0.3)
    assert not evidence.knows("Do you sell gift cards?", "", unrelated)
    # The same passage near in meaning is weighed by the calibrated model instead.
    assert evidence.knows("Is there a student discount?", "", _with(lexical=0.0, dense=0.55))


def test_the_answer_comes_from_the_passage_that_holds_the_question_s_words() -> None:
    # Retrieval put the price list first (close in meaning: paying); the student page,
    # a close second, is the one that holds every word of the question.
    prices = Passage(
        text="Every ride costs an unlock fee of one euro plus a price per minute.",
        title="Prices",
        score=0.62,
        source_id=3,
        chunk_id=30,
        dense=0.62,
        lexical=0.0,
        margin=0.01,
    )
    students = Passage(**{**STUDENTS.__dict__, "score": 0.6, "margin": -0.01})

    assert evidence.answering("do students pay less?", "", [prices, students]) is students
    assert evidence.answering("what is the price per minute?", "", [prices, students]) is prices


PLANS = Passage(
    text="Every plan is named after a block. Cobble is our most popular plan.",
    title="Minecraft plans and prices",
    heading=f"Minecraft plans and prices{HEADING_SEPARATOR}Which plan should I pick?",
    score=0.70,
    source_id=7,
    chunk_id=70,
    dense=0.66,
    lexical=1.0,
    margin=0.2,
)
PRICES = Passage(
    text="- Pebble: Price: £3.50\n- Cobble: Price: £6.50\n- Diamond: Price: £22.00",
    title="Minecraft plans and prices",
    heading=f"Minecraft plans and prices{HEADING_SEPARATOR}The plans",
    score=0.55,
    source_id=7,
    chunk_id=71,
    dense=0.50,
    lexical=0.7,
    margin=0.05,
)


def test_the_answer_comes_from_the_section_holding_the_kind_of_answer_asked_for() -> None:
    # Retrieval ranks the plan advice first; only the price list holds a price.
    assert evidence.answering("How much is the Cobble plan?", "", [PLANS, PRICES]) is PRICES
    assert evidence.answering("Which plan is the most popular?", "", [PLANS, PRICES]) is PLANS


def test_a_follow_up_is_answered_from_the_section_holding_its_own_words() -> None:
    # The query carries the previous question, which pulls the advice section first.
    setting_up = Passage(
        text="Invite the bot from Settings and choose the channel it posts in.",
        title="Relay Discord bot",
        heading=f"Relay Discord bot{HEADING_SEPARATOR}Setting it up",
        score=0.71,
        source_id=9,
        chunk_id=91,
        dense=0.66,
        lexical=1.0,
        margin=0.1,
    )
    about = Passage(
        **{
            **setting_up.__dict__,
            "chunk_id": 90,
            "heading": "Relay Discord bot",
            "score": 0.8,
            "text": "Relay is our Discord bot. It links your Discord server to your game.",
        }
    )
    question = "how do I set it up?"
    query = f"{question} What is the Relay bot?"

    assert evidence.answering(question, query, [about, setting_up]) is setting_up


def test_a_follow_up_is_answered_from_the_section_about_its_subject_too() -> None:
    # Both pages hold the follow-up's own words; its subject, from the turn before, says which.
    support = Passage(
        text="Someone from the team will get back to you within a day.",
        title="Contacting support",
        score=0.62,
        source_id=4,
        chunk_id=40,
        dense=0.62,
        lexical=1.0,
        margin=0.02,
    )
    accidents = Passage(
        text="Report an accident in the app. We get back to you within two working days.",
        title="Accidents and insurance",
        score=0.6,
        source_id=5,
        chunk_id=50,
        dense=0.6,
        lexical=0.8,
        margin=-0.02,
    )
    question = "and when will someone get back to me?"
    query = f"{question} What happens if I have an accident?"

    assert evidence.answering(question, query, [support, accidents]) is accidents


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("How much is the Netherite plan?", ["Netherite"]),
        ("Do you have servers in South Africa?", ["Africa", "South"]),
        ("Can I log in with an SSH key?", ["SSH"]),
    ],
)
def test_a_name_the_passage_never_mentions_means_no_answer(question: str, missing: list[str]) -> None:
    assert evidence.unnamed(question, PLANS) == missing
    assert evidence.ruled_out(question, PLANS)
    assert not evidence.knows(question, "", [PLANS])


def test_names_the_passage_holds_and_a_sentence_s_first_word_are_not_missing() -> None:
    assert evidence.unnamed("Which plan is Cobble?", PLANS) == []
    assert evidence.unnamed("Anyone know which plan is popular?", PLANS) == []
    assert evidence.unnamed("ok thanks. Which plan is popular? Cobble maybe", PLANS) == []
    assert not evidence.ruled_out("Which plan is the most popular?", PLANS)


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
        "server keeps lagging at night, why",
        "backup schedule please",
        "any tips for setting up mods",
    ],
)
def test_help_requests_without_a_question_mark_are_heard(text: str) -> None:
    assert cues.asks_for_help(text)


@pytest.mark.parametrize(
    "text",
    [
        "the renewal didn't go through",
        "my account got suspended overnight",
        "world is lagging since the update",
        "need an invoice for last month",
    ],
)
def test_a_problem_told_as_a_statement_is_a_help_request(text: str) -> None:
    assert cues.asks_for_help(text)


@pytest.mark.parametrize(
    "text",
    [
        "does anyone want to ride together this weekend?",
        "anyone up for a coffee ride at 8?",
        "how was your weekend sam",
        "how do you like the new map?",
        "can someone share the screenshots from last night?",
        "who wants to race on sunday",
        "who's got the fastest lap",
        "can someone trade me two tickets",
        "which texture pack do you use?",
        "how do you all like the new season",
    ],
)
def test_members_talking_to_each_other_are_not_help_requests(text: str) -> None:
    assert not cues.asks_for_help(text)


@pytest.mark.parametrize(
    "text", ["thanks, that worked", "lol same", "good morning everyone!", "that boss fight was wild lmao"]
)
def test_thanks_and_greetings_are_chatter(text: str) -> None:
    assert cues.is_chatter(text)


@pytest.mark.parametrize("text", ["what's the sftp port lol", "how do i restore a backup haha"])
def test_a_question_with_a_laugh_after_it_is_not_chatter(text: str) -> None:
    assert not cues.is_chatter(text) and cues.asks_for_help(text)
