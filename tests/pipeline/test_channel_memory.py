"""The gateway's per-channel memory: bounded, ordered, and aware of who answered whom."""

from __future__ import annotations

import pytest

from guildmind.env import ConfigError, env_rate
from pipeline.channel_memory import ChannelMemory, Seen

GUILD, CHANNEL, MEMBER, STAFF = 1, 2, 100, 200


def seen(message_id: int, author_id: int = MEMBER, text: str = "hi", **kw: object) -> Seen:
    return Seen(message_id=message_id, author_id=author_id, author_name=f"user{author_id}", text=text, **kw)  # type: ignore[arg-type]


def test_the_least_recently_active_channel_is_forgotten_first() -> None:
    memory = ChannelMemory(per_channel=3, channels=2)
    memory.remember(GUILD, 1, seen(1))
    memory.remember(GUILD, 2, seen(2))
    memory.remember(GUILD, 1, seen(3))  # channel 1 is active again
    memory.remember(GUILD, 3, seen(4))
    assert len(memory) == 2
    assert memory.recent(GUILD, 2) == [] and len(memory.recent(GUILD, 1)) == 2


def test_long_messages_are_shortened() -> None:
    memory = ChannelMemory(max_chars=10)
    memory.remember(GUILD, CHANNEL, seen(1, text="x" * 500))
    assert memory.recent(GUILD, CHANNEL)[0].text == "x" * 10 + "…"


def test_turns_name_authors_and_stop_before_the_question() -> None:
    memory = ChannelMemory()
    memory.remember(GUILD, CHANNEL, seen(1, STAFF, "our refunds take 5 days"))
    memory.remember(GUILD, CHANNEL, seen(2, 999, "Here you go", from_self=True, from_bot=True))
    memory.remember(GUILD, CHANNEL, seen(3, MEMBER, "the question"))
    turns = memory.turns(GUILD, CHANNEL, before_message_id=3, bot_name="Helper")
    assert [(t.role, t.author, t.text) for t in turns] == [
        ("member", "user200", "our refunds take 5 days"),
        ("assistant", "Helper", "Here you go"),
    ]


@pytest.mark.parametrize(
    "later",
    [
        seen(5, STAFF, reply_to_message_id=4),
        seen(5, STAFF, reply_to_author_id=MEMBER),
        seen(5, STAFF, mentioned_ids=frozenset({MEMBER})),
    ],
)
def test_a_person_addressing_the_member_after_the_question_counts_as_answered(later: Seen) -> None:
    memory = ChannelMemory()
    memory.remember(GUILD, CHANNEL, seen(4))
    memory.remember(GUILD, CHANNEL, later)
    assert memory.answered_by_someone_else(GUILD, CHANNEL, 4, MEMBER)


@pytest.mark.parametrize(
    "other",
    [
        seen(3, STAFF, reply_to_message_id=4),  # earlier than the question
        seen(5, MEMBER, reply_to_author_id=MEMBER),  # the member themself
        seen(5, STAFF, reply_to_message_id=4, from_bot=True),  # a bot
        seen(5, STAFF, text="unrelated chatter"),
    ],
)
def test_others_do_not_count_as_answering(other: Seen) -> None:
    memory = ChannelMemory()
    memory.remember(GUILD, CHANNEL, seen(4))
    memory.remember(GUILD, CHANNEL, other)
    assert not memory.answered_by_someone_else(GUILD, CHANNEL, 4, MEMBER)


def test_rates_are_validated_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_RATE", "off")
    assert env_rate("SOME_RATE", "6/minute") == ""
    monkeypatch.setenv("SOME_RATE", "10 per hour")
    assert env_rate("SOME_RATE", "6/minute") == "10 per hour"
    monkeypatch.setenv("SOME_RATE", "lots")
    with pytest.raises(ConfigError, match="SOME_RATE"):
        env_rate("SOME_RATE", "6/minute")
