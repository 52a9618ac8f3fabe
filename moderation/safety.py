"""Safety checks in code: members the bot must never act on, and actions it lacks the
permission for. The channel adapter fills the facts (Discord's gateway, from discord.py
objects); these functions only read them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemberFacts:
    """The message author, as the gateway sees them in the guild."""

    is_owner: bool = False
    is_bot: bool = False
    is_self: bool = False
    has_administrator: bool = False
    has_manage_guild: bool = False
    top_role_position: int = 0


@dataclass(frozen=True)
class BotFacts:
    """The bot's own standing in the guild (its top role and guild-wide permissions)."""

    top_role_position: int = 0
    can_manage_messages: bool = False
    can_kick: bool = False
    can_ban: bool = False
    can_moderate_members: bool = False


def protection_reason(member: MemberFacts, bot: BotFacts) -> str | None:
    """Why the bot must never act on this member, or None."""
    if member.is_self:
        return "the member is the bot itself"
    if member.is_owner:
        return "the member owns the server"
    if member.is_bot:
        return "the member is a bot"
    if member.has_administrator:
        return "the member has the Administrator permission"
    if member.has_manage_guild:
        return "the member has the Manage Server permission"
    if member.top_role_position >= bot.top_role_position:
        return "the member's top role is at or above the bot's"
    return None


def missing_permission(bot: BotFacts, action: str) -> str | None:
    """Why the bot cannot do ``action`` for lack of a permission, or None."""
    needed = {
        "delete": (bot.can_manage_messages, "Manage Messages"),
        "timeout": (bot.can_moderate_members, "Moderate Members"),
        "kick": (bot.can_kick, "Kick Members"),
        "ban": (bot.can_ban, "Ban Members"),
    }
    if action not in needed:
        return None  # "none" and "warn" need only the right to post, like any answer
    granted, name = needed[action]
    return None if granted else f"the bot lacks the {name} permission"


def safety_block(member: MemberFacts, bot: BotFacts, action: str) -> str | None:
    """Why the bot must not (protected member) or cannot (missing permission) do
    ``action`` to ``member``, in plain words; None when it may."""
    return protection_reason(member, bot) or missing_permission(bot, action)
