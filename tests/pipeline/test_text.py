from __future__ import annotations

from pipeline.text import split_message, strip_mention


def test_it_keeps_short_text_whole() -> None:
    assert split_message("hello") == ["hello"]


def test_it_splits_long_text_under_the_limit_on_boundaries() -> None:
    paragraph = ("Refunds are processed within five days. " * 30).strip()
    text = "\n\n".join([paragraph] * 4)
    pieces = split_message(text)
    assert len(pieces) > 1
    assert all(len(piece) <= 2000 for piece in pieces)
    assert all(piece.endswith(".") for piece in pieces)
    assert " ".join(pieces).split() == text.split()


def test_it_hard_cuts_text_without_spaces() -> None:
    pieces = split_message("x" * 4500)
    assert [len(piece) for piece in pieces] == [2000, 2000, 500]


def test_it_strips_both_mention_forms_of_the_bot_only() -> None:
    assert strip_mention("<@42> hi <@!42> <@7>", "42") == "hi   <@7>"
