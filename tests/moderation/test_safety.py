"""safety_block: members the bot must never touch, and permissions it must have."""

from __future__ import annotations

import pytest

from moderation.safety import BotFacts, MemberFacts, safety_block

BOT = BotFacts(
    top_role_position=5, can_manage_messages=True, can_kick=True, can_ban=True, can_moderate_members=True
)
MEMBER = MemberFacts(top_role_position=1)


@pytest.mark.parametrize("action", ["delete", "warn", "timeout", "kick", "ban"])
def test_an_ordinary_member_can_be_acted_on(action: str) -> None:
    assert safety_block(MEMBER, BOT, action) is None


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (MemberFacts(is_owner=True), "the member owns the server"),
        (MemberFacts(is_bot=True), "the member is a bot"),
        (MemberFacts(is_self=True), "the member is the bot itself"),
        (MemberFacts(has_administrator=True), "the member has the Administrator permission"),
        (MemberFacts(has_manage_guild=True), "the member has the Manage Server permission"),
        (MemberFacts(top_role_position=5), "the member's top role is at or above the bot's"),
        (MemberFacts(top_role_position=9), "the member's top role is at or above the bot's"),
    ],
)
def test_protected_members_are_never_acted_on(member: MemberFacts, reason: str) -> None:
    assert [safety_block(member, BOT, action) for action in ("delete", "warn", "ban")] == [reason] * 3


@pytest.mark.parametrize(
    ("action", "missing", "reason"),
    [
        ("delete", {"can_manage_messages": False}, "the bot lacks the Manage Messages permission"),
        ("kick", {"can_kick": False}, "the bot lacks the Kick Members permission"),
        ("ban", {"can_ban": False}, "the bot lacks the Ban Members permission"),
        ("timeout", {"can_moderate_members": False}, "the bot lacks the Moderate Members permission"),
    ],
)
def test_a_missing_permission_blocks_its_action(action: str, missing: dict[str, bool], reason: str) -> None:
    bot = BotFacts(**{**BOT.__dict__, **missing})

    assert safety_block(MEMBER, bot, action) == reason


def test_a_warning_needs_no_special_permission() -> None:
    assert safety_block(MEMBER, BotFacts(top_role_position=5), "warn") is None
