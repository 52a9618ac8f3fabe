"""Discord permission bits and the simple, faithful subset of permission maths the simulator needs.

Channel overwrites are not modelled: a member's permissions are the guild owner's "everything", or
@everyone's bits OR-ed with the bits of each of their roles, where ADMINISTRATOR grants everything.
Moderating another member also needs a higher top role than theirs (role hierarchy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import Guild, Member

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40

ALL = (1 << 51) - 1

EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
)
"""What a new guild's @everyone role may do."""

BOT_DEFAULT = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | EMBED_LINKS | ATTACH_FILES | ADD_REACTIONS
"""What a bot's own managed role grants when a test does not say otherwise (no moderation).
(@everyone's defaults add Send Messages in Threads and Create Public Threads, like Discord's.)"""

THREADS = SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS | MANAGE_THREADS
"""What answering in threads and forum posts asks for."""

MODERATOR = MANAGE_MESSAGES | KICK_MEMBERS | BAN_MEMBERS | MODERATE_MEMBERS
"""The moderation bits, for tests that want a bot able to delete, kick, ban and time out."""


def member_permissions(guild: Guild, member: Member) -> int:
    """The member's guild-level permissions (owner and ADMINISTRATOR mean everything)."""
    if member.id == guild.owner_id:
        return ALL
    bits = guild.everyone_role.permissions
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            bits |= role.permissions
    if bits & ADMINISTRATOR:
        return ALL
    return bits


def has_permission(guild: Guild, member: Member, permission: int) -> bool:
    return member_permissions(guild, member) & permission == permission


def top_role_position(guild: Guild, member: Member) -> int:
    positions = [guild.roles[role_id].position for role_id in member.role_ids if role_id in guild.roles]
    return max(positions, default=0)


def outranks(guild: Guild, actor: Member, target: Member) -> bool:
    """True when ``actor`` may moderate ``target``: nobody outranks the owner; the owner outranks all."""
    if target.id == guild.owner_id:
        return False
    if actor.id == guild.owner_id:
        return True
    return top_role_position(guild, actor) > top_role_position(guild, target)
