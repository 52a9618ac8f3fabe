from __future__ import annotations

import itertools

from knowledge.chunking import chunk_text, infer_headings, linearize_tables


def _sentences(topic: str, count: int) -> str:
    return " ".join(f"Sentence {number} is about {topic} and nothing else." for number in range(count))


def test_each_chunk_carries_its_heading_path() -> None:
    text = "# Billing\n\nWe bill monthly.\n\n## Refunds\n\nWithin 30 days.\n\n# Shipping\n\nEU only."

    chunks = chunk_text(text)

    assert [(c.heading, c.text) for c in chunks] == [
        ("Billing", "We bill monthly."),
        ("Billing \u203a Refunds", "Within 30 days."),
        ("Shipping", "EU only."),
    ]


def test_the_root_heading_prefixes_every_path_once() -> None:
    chunks = chunk_text("# Pricing\n\nFree for ever.\n\n## Teams\n\nTen euros.", root_heading="Pricing")

    assert [c.heading for c in chunks] == ["Pricing", "Pricing \u203a Teams"]


def test_a_hash_line_inside_a_code_fence_is_not_a_heading() -> None:
    chunks = chunk_text("# Setup\n\n```\n# install it\npip install thing\n```")

    assert len(chunks) == 1
    assert chunks[0].heading == "Setup"


def test_long_sections_are_cut_near_the_target_at_sentence_ends() -> None:
    chunks = chunk_text("# Refunds\n\n" + _sentences("refunds", 60), target_chars=800, overlap_chars=120)

    assert len(chunks) > 3
    assert all(len(c.text) <= 800 + 120 for c in chunks)
    assert all(c.text.endswith("nothing else.") for c in chunks)


def test_consecutive_chunks_overlap() -> None:
    chunks = chunk_text(_sentences("refunds", 60), target_chars=800, overlap_chars=120)

    for previous, following in itertools.pairwise(chunks):
        first_sentence_of_following = following.text.split(". ", 1)[0] + "."
        assert first_sentence_of_following in previous.text[-120:]


def test_a_question_stays_with_its_answer() -> None:
    faq = "\n\n".join(
        f"Q: Question number {number} about the {topic}?\n\nA: {_sentences(topic, 5)}"
        for number, topic in enumerate(["warranty", "delivery", "returns", "payment", "discounts"])
    )

    chunks = chunk_text(faq, target_chars=800)

    for number, topic in enumerate(["warranty", "delivery", "returns", "payment", "discounts"]):
        [holder] = [c for c in chunks if f"Question number {number} " in c.text]
        assert f"Sentence 4 is about {topic}" in holder.text


def test_a_question_chunk_does_not_start_with_the_previous_answer() -> None:
    faq = f"Q: First?\n\nA: {_sentences('alpha', 15)}\n\nQ: Second?\n\nA: {_sentences('beta', 3)}"

    chunks = chunk_text(faq, target_chars=800)

    assert chunks[-1].text.startswith("Q: Second?")


def test_a_single_huge_word_is_still_cut() -> None:
    chunks = chunk_text("x" * 2000, target_chars=800, overlap_chars=0)

    assert [len(c.text) for c in chunks] == [800, 800, 400]


def test_chunks_carry_the_page_url() -> None:
    [chunk] = chunk_text("Hello there.", url="https://example.org/help")

    assert chunk.url == "https://example.org/help"


def test_text_without_a_body_gives_no_chunks() -> None:
    assert chunk_text("# Only\n\n## Headings\n\n   ") == []


PLANS = """# Plans

| Plan | Memory | Price |
|------|--------|-------|
| Pebble | 2 GB | £3.50 |
| Cobble | 4 GB | £6.50 |

Prices are per month."""


def test_a_table_row_becomes_an_item_that_names_its_columns() -> None:
    (chunk,) = chunk_text(PLANS)

    assert chunk.heading == "Plans"
    assert chunk.text.splitlines()[:2] == [
        "- Pebble: Memory: 2 GB; Price: £3.50",
        "- Cobble: Memory: 4 GB; Price: £6.50",
    ]
    assert "Prices are per month." in chunk.text


def test_a_word_table_without_a_rule_is_a_table_too_but_prose_with_a_pipe_is_not() -> None:
    assert linearize_tables("Plan | Price\nIron | £12") == "- Iron: Price: £12"
    prose = "Use the a | b syntax.\nThen save."
    assert linearize_tables(prose) == prose


def test_a_question_about_one_row_is_answered_from_that_row() -> None:
    from assistant.providers.base import AnswerRequest, Passage
    from assistant.providers.local import _passage_answer

    (chunk,) = chunk_text(PLANS)
    passage = Passage(text=chunk.text, title="Plans", score=1.0, heading=chunk.heading)
    request = AnswerRequest(question="How much memory does Cobble have?", passages=[passage])

    assert "Cobble: Memory: 4 GB" in _passage_answer(request, passage)


def test_plain_texts_own_titles_and_questions_become_headings() -> None:
    text = "Opening hours:\nEvery day, 8 to 20.\n\nCan I bring my dog?\nYes, on a lead."

    chunks = chunk_text(infer_headings(text))

    assert [(c.heading, c.text) for c in chunks] == [
        ("Opening hours", "Every day, 8 to 20."),
        ("Can I bring my dog?", "Yes, on a lead."),
    ]


def test_sentences_wrapped_lines_lists_and_faq_pairs_are_not_taken_for_titles() -> None:
    text = (
        "Thanks for reading.\nBye\n\n"  # a sentence
        "We ship to\nPortugal and Spain.\n\n"  # a line that runs on
        "Delivery is free for\nmembers of the club.\n\n"  # carried on in lower case
        "- Lisbon\n- Porto\n\n"  # a list
        "Q: Is it free?\nA: Yes.\n\n"  # an FAQ pair keeps its own shape
        "see https://example.com/help\nfor more\n\n"  # no capital, a link
        "Refunds\n"  # a last line with nothing under it
    )

    assert infer_headings(text) == text


def test_text_with_markdown_headings_is_left_as_it_is() -> None:
    text = "# Shipping\nWe ship.\n\nRefunds\nWithin 30 days."

    assert infer_headings(text) == text
