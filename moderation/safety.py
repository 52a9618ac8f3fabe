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
    # Moderation permissions: a member who may moderate others is never moderated.
    has_kick_members: bool = False
    has_ban_members: bool = False
    has_manage_messages: bool = False
    has_moderate_members: bool = False
    role_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class BotFacts:
    """The bot's own standing in the guild (its top role and guild-wide permissions)."""

    top_role_position: int = 0
    can_manage_messages: bool = False
    can_kick: bool = False
    can_ban: bool = False
    can_moderate_members: bool = False


_MODERATOR_PERMISSIONS = (
    ("has_kick_members", "Kick Members"),
    ("has_ban_members", "Ban Members"),
    ("has_manage_messages", "Manage Messages"),
    ("has_moderate_members", "Moderate Members"),
)


def protection_reason(
    member: MemberFacts, bot: BotFacts, exempt_role_ids: frozenset[str] = frozenset()
) -> str | None:
    """Why the bot must never act on this member, or None.

    Besides the owner, administrators, Manage Server, bots and roles at or above the bot's:
    every member holding a moderation permission, and members of a role the owner exempts."""
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
    for flag, name in _MODERATOR_PERMISSIONS:
        if getattr(member, flag):
            return f"the member has the {name} permission"
    if member.top_role_position >= bot.top_role_position:
        return "the member's top role is at or above the bot's"
    exempt = sorted(set(member.role_ids) & exempt_role_ids)
    if exempt:
        return f"the member's role {exempt[0]} is exempt from moderation"
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
