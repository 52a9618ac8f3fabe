"""The Discord permissions the bot asks for at install and that diagnostics check, with
Discord's names for them."""

from __future__ import annotations

from collections.abc import Iterable

from integrations.discordbot.models import DiscordServer

# Discord permission bits (https://discord.com/developers/docs/topics/permissions).
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40

PERMISSION_NAMES: dict[int, str] = {
    VIEW_CHANNEL: "View Channels",
    SEND_MESSAGES: "Send Messages",
    READ_MESSAGE_HISTORY: "Read Message History",
    EMBED_LINKS: "Embed Links",
    SEND_MESSAGES_IN_THREADS: "Send Messages in Threads",
    CREATE_PUBLIC_THREADS: "Create Public Threads",
    MANAGE_THREADS: "Manage Threads",
    MANAGE_MESSAGES: "Manage Messages",
    # Discord's API name; its role settings label the same permission "Timeout Members".
    MODERATE_MEMBERS: "Moderate Members",
    KICK_MEMBERS: "Kick Members",
    BAN_MEMBERS: "Ban Members",
}
# What answering needs in every server, whatever else is enabled: in channels, in threads
# and forum posts, and starting a thread on a question (thread per question).
ANSWERING = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | EMBED_LINKS
THREADS = SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS
BASE_PERMISSIONS = ANSWERING | THREADS
# What each moderation action needs on top ("warn" only sends a message).
ACTION_PERMISSIONS: dict[str, int] = {
    "delete": MANAGE_MESSAGES,
    "warn": 0,
    "timeout": MODERATE_MEMBERS,
    "kick": KICK_MEMBERS,
    "ban": BAN_MEMBERS,
}


def permissions_for(actions: Iterable[str]) -> int:
    """The permission bits the bot needs to answer and to take ``actions`` (moderation
    action names: delete, warn, timeout, kick, ban). Raises KeyError for an unknown action."""
    bits = BASE_PERMISSIONS
    for action in actions:
        bits |= ACTION_PERMISSIONS[action]
    return bits


def server_permissions(server: DiscordServer, *, forum_posts: bool = False) -> int:
    """The permission bits ``server``'s current settings need. ``forum_posts``: the bot
    answers forum posts there, whose Solved button tags (or closes) them: Manage Threads."""
    bits = BASE_PERMISSIONS
    if server.moderation_enabled:
        bits = permissions_for(a for a in ACTION_PERMISSIONS if getattr(server, f"moderation_{a}"))
    if forum_posts and (server.solved_tag_name or server.close_on_solved):
        bits |= MANAGE_THREADS
    return bits


def permission_names(bits: int) -> list[str]:
    """Discord's names for the permissions in ``bits`` that we ever ask for, in a stable order."""
    return [name for bit, name in PERMISSION_NAMES.items() if bits & bit]


def lacking_for_actions(server: DiscordServer) -> dict[str, str]:
    """Moderation action -> Discord's name of the permission the bot lacks for it in
    ``server``, from what the gateway last recorded (``bot_permissions``); every action,
    enabled or not. Empty when the gateway has not reported yet, or the bot is an
    administrator there (it may then do anything)."""
    granted = server.bot_permissions
    if granted is None or granted & ADMINISTRATOR:
        return {}
    return {
        action: PERMISSION_NAMES[bit]
        for action, bit in ACTION_PERMISSIONS.items()
        if bit and not granted & bit
    }


def enabled_but_lacking(server: DiscordServer) -> list[tuple[str, str]]:
    """(action, permission name) for each moderation action ``server`` has switched on
    (with moderation on) that the bot lacks the permission for: these would fail."""
    if not server.moderation_enabled:
        return []
    lacking = lacking_for_actions(server)
    return [(a, name) for a, name in lacking.items() if getattr(server, f"moderation_{a}")]
