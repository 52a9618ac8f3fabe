"""The kind of answer a question asks for, and the abstention when the passage has none."""

from __future__ import annotations

import pytest

from assistant import evidence
from assistant.answer_types import asked_for, unsupplied
from assistant.providers.base import Passage

SWAPS = Passage(
    text="Our swap crews replace e-bike batteries on the street every night, so you never charge a bike.",
    title="E-bike battery and range",
    heading="Battery swaps",
    score=0.7,
    source_id=3,
    chunk_id=30,
    dense=0.6,
    lexical=1.0,
    margin=0.3,
)


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How long does a battery swap take?", ("duration",)),
        ("how often are backups taken", ("frequency",)),
        ("What is the fine for riding on the pavement?", ("money",)),
        ("How much does the 4 GB plan cost?", ("money",)),
        ("How much RAM does the starter plan have?", ("amount",)),
        ("How many player slots do I get?", ("quantity",)),
        ("how fast do the e-bikes go", ("measure",)),
        ("Can I change my username?", ()),
        ("What payment methods do you take?", ()),
    ],
)
def test_the_kind_of_answer_asked_for(question: str, kinds: tuple[str, ...]) -> None:
    assert asked_for(question) == kinds


@pytest.mark.parametrize(
    ("question", "text", "missing"),
    [
        ("How long does a swap take?", "A swap takes about ten minutes.", ()),
        ("How long does a swap take?", "Swaps happen every night.", ("duration",)),
        ("How often are bikes serviced?", "Every bike is serviced by our mechanics.", ("frequency",)),
        ("How often are bikes serviced?", "Bikes are serviced every 3 months.", ()),
        ("How often are backups made?", "Backups run daily at 04:00.", ()),
        ("How much does the Day Pass cost?", "The Day Pass costs €6.", ()),
        ("How much does the Day Pass cost?", "Students pay 40% less.", ("money",)),
        ("How much does a test server cost?", "Test servers are free for 48 hours.", ()),
        ("How many slots do I get?", "Every plan has unlimited player slots.", ()),
        ("How many slots do I get?", "Slots depend on your plan.", ("quantity",)),
        ("How much is a Valheim server?", "We host three other games.", ("amount",)),
        ("How much is a Valheim server?", "Valheim: 4 GB RAM, £8.00 a month.", ()),
        # "Up to" bounds a duration only when one follows.
        ("How long does an update take?", "Turn on Keep up to date to get new builds.", ("duration",)),
        ("How long does an upload take?", "Upload a zip of up to 2 GB.", ("duration",)),
        ("How long can I pause my pass?", "You can pause it for up to 2 months.", ()),
        # "How many" wants a count beside the thing counted, not any number on the page.
        (
            "How many cargo bikes are there?",
            "We run 1,500 classic bikes and 900 e-bikes, plus a small fleet of cargo bikes.",
            ("quantity",),
        ),
        ("How many cargo bikes are there?", "We run 1,500 classic bikes and 40 cargo bikes.", ()),
        ("How many slots do I get?", "Pebble: 4 GB, 20 player slots.", ()),
        ("how many snapshots can I keep?", "You can keep 5 manual backups.", ()),
    ],
)
def test_what_a_passage_supplies(question: str, text: str, missing: tuple[str, ...]) -> None:
    assert unsupplied(question, text) == missing


def test_a_passage_without_the_kind_of_answer_asked_for_is_declined() -> None:
    # Every word the question names is on the page; how long a swap takes is not.
    assert evidence.knows("When do the swap crews replace the batteries?", "", [SWAPS])
    assert not evidence.knows("How long does a battery swap take?", "", [SWAPS])
