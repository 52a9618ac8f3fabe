"""Threads and forum posts: starting them (from a message or not), their members, archiving and
locking, and who may send in them, following Discord's documentation.

- A thread started from a message has the message's id; the message gets ``thread`` and the
  HAS_THREAD flag. A forum post is a thread whose starter message has the thread's id.
- THREAD_CREATE carries ``newly_created: true`` (and ``member`` for the bot that created it);
  THREAD_UPDATE the whole thread; THREAD_DELETE only ids and type (intent GUILDS). Adding a
  member sends THREAD_MEMBERS_UPDATE (GUILD_MEMBERS) and, to an added bot, THREAD_CREATE with
  its ``member`` (no ``newly_created``: discord.py's thread_join).
- Sending in a thread needs Send Messages in Threads (not Send Messages); a message in an
  archived thread unarchives it, and a locked thread needs Manage Threads. Private threads are
  seen only by their members and by those with Manage Threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors
from . import permissions as perms
from .gateway import GUILD_MEMBERS, GUILDS
from .messages import build_message
from .payloads import thread_member_payload, thread_payload
from .state import (
    GUILD_FORUM,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    Guild,
    Member,
    ThreadInfo,
    User,
    now_iso,
)

if TYPE_CHECKING:
    from .actions import Backend

HAS_THREAD = 1 << 5
MAX_NAME = 100
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def is_thread(channel: Channel) -> bool:
    return channel.thread is not None


def check_can_send(guild: Guild, member: Member, channel: Channel) -> None:
    """Raises Discord's errors when ``member`` may not post in ``channel`` (a thread or not)."""
    if channel.type == GUILD_FORUM:
        raise errors.ApiError(400, 50008, "Cannot send messages in a non-text channel")
    if channel.thread is None:
        if not perms.has_permission(guild, member, perms.VIEW_CHANNEL | perms.SEND_MESSAGES):
            raise errors.missing_permissions()
        return
    if not perms.has_permission(guild, member, perms.VIEW_CHANNEL | perms.SEND_MESSAGES_IN_THREADS):
        raise errors.missing_permissions()
    manages = perms.has_permission(guild, member, perms.MANAGE_THREADS)
    if channel.thread.locked and not manages:
        raise errors.ApiError(400, 50083, "Thread is archived")
    if not can_see(guild, member, channel):
        raise errors.missing_access()


def can_see(guild: Guild, member: Member, channel: Channel) -> bool:
    """Private threads are for their members and those who manage threads."""
    if channel.thread is None or channel.type != PRIVATE_THREAD:
        return True
    return member.id in channel.thread.member_ids or perms.has_permission(guild, member, perms.MANAGE_THREADS)


def apps_seeing(backend: Backend, guild: Guild, channel: Channel) -> list[str]:
    """The guild's applications whose bot sees ``channel``."""
    return [
        app_id
        for app_id in guild.application_ids
        if (bot := guild.members.get(backend.state.applications[app_id].bot.id)) is not None
        and can_see(guild, bot, channel)
    ]


def note_message(backend: Backend, guild: Guild, channel: Channel, author_id: str) -> None:
    """A message was posted in ``channel``: a thread counts it, adds its author as a member, and
    comes out of the archive."""
    info = channel.thread
    if info is None:
        return
    info.message_count += 1
    if info.archived:
        info.archived = False
        info.archive_timestamp = now_iso()
        _dispatch_update(backend, guild, channel)
    if author_id not in info.member_ids:
        add_member(backend, guild, channel, author_id)


def start_thread(
    backend: Backend,
    guild: Guild,
    parent: Channel,
    creator: User,
    name: str,
    *,
    thread_type: int = PUBLIC_THREAD,
    from_message: dict[str, Any] | None = None,
    auto_archive_duration: int = 1440,
    invitable: bool = True,
    applied_tags: list[str] | None = None,
) -> Channel:
    """Creates a thread in ``parent`` (on ``from_message`` when given) as ``creator``, under
    Discord's permission rules, and announces it."""
    creator_member = backend.state.member(guild, creator.id)
    _validate_start(guild, parent, creator_member, name, thread_type, from_message, auto_archive_duration)
    tags = [str(t) for t in applied_tags or []]
    known_tags = {str(t["id"]) for t in parent.available_tags}
    if any(tag not in known_tags for tag in tags):
        raise errors.invalid_form(
            "applied_tags", "BASE_TYPE_CHOICES", "Value must be one of the forum's tags."
        )
    thread_id = from_message["id"] if from_message is not None else backend.state.snowflakes.next()
    created = now_iso()
    thread = Channel(
        id=thread_id,
        guild_id=guild.id,
        name=name,
        position=0,
        type=PUBLIC_THREAD if parent.type == GUILD_FORUM else thread_type,
        parent_id=parent.id,
        thread=ThreadInfo(
            owner_id=creator.id,
            created_at=created,
            archive_timestamp=created,
            auto_archive_duration=auto_archive_duration,
            invitable=invitable,
            applied_tags=tags,
            member_ids={creator.id: created},
        ),
    )
    guild.threads[thread.id] = thread
    backend.state.messages_by_channel[thread.id] = []
    if from_message is not None:
        from_message["flags"] = int(from_message.get("flags") or 0) | HAS_THREAD
        from_message["thread"] = thread_payload(thread)
    payload = {**thread_payload(thread), "newly_created": True}

    def shaped(session: Any) -> dict[str, Any] | None:
        bot = guild.members.get(session.app.bot.id)
        if bot is None or not can_see(guild, bot, thread):
            return None
        if session.app.bot.id == creator.id:
            return {**payload, "member": thread_member_payload(thread, creator.id)}
        return payload

    backend.hub.dispatch(guild.application_ids, guild.id, "THREAD_CREATE", shaped, intent=GUILDS)
    backend.recorder.notify()
    return thread


def post_forum_starter(
    backend: Backend, guild: Guild, thread: Channel, author: User, body: dict[str, Any]
) -> dict[str, Any]:
    """A forum post's first message: its id is the thread's."""
    message = build_message(backend.state, channel_id=thread.id, guild=guild, author=author, body=body)
    message["id"] = thread.id
    backend.publish_message(message, by_bot=author.bot)
    return message


def update_thread(
    backend: Backend, guild: Guild, thread: Channel, body: dict[str, Any], actor: Member | None
) -> Channel:
    """``PATCH /channels/{thread id}``: name, archived, locked, invitable, auto_archive_duration,
    applied_tags. ``actor`` None is the thread's owner acting through the test API."""
    info = thread.thread
    if info is None:
        raise errors.unknown("Channel")
    manages = actor is None or perms.has_permission(guild, actor, perms.MANAGE_THREADS)
    owns = actor is None or actor.id == info.owner_id
    if "locked" in body and not manages:
        raise errors.missing_permissions()
    if info.locked and not manages:
        raise errors.ApiError(400, 50083, "Thread is archived")
    if ({"name", "applied_tags", "archived", "auto_archive_duration"} & body.keys()) and not (
        manages or owns
    ):
        raise errors.missing_permissions()
    if "name" in body:
        name = str(body["name"] or "")
        if not 1 <= len(name) <= MAX_NAME:
            raise errors.invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        thread.name = name
    if "applied_tags" in body:
        parent = guild.channel_by_id(thread.parent_id or "")
        known = {str(t["id"]) for t in parent.available_tags} if parent is not None else set()
        tags = [str(t) for t in body["applied_tags"] or []]
        if any(tag not in known for tag in tags) or len(tags) > 5:
            raise errors.invalid_form(
                "applied_tags", "BASE_TYPE_CHOICES", "Value must be one of the forum's tags."
            )
        info.applied_tags = tags
    if "locked" in body:
        info.locked = bool(body["locked"])
    if "invitable" in body and thread.type == PRIVATE_THREAD:
        info.invitable = bool(body["invitable"])
    if "auto_archive_duration" in body:
        info.auto_archive_duration = int(body["auto_archive_duration"])
    if "archived" in body and bool(body["archived"]) != info.archived:
        info.archived = bool(body["archived"])
        info.archive_timestamp = now_iso()
    _dispatch_update(backend, guild, thread)
    backend.recorder.notify()
    return thread


def delete_thread(backend: Backend, guild: Guild, thread: Channel) -> None:
    guild.threads.pop(thread.id, None)
    payload = {"id": thread.id, "guild_id": guild.id, "parent_id": thread.parent_id, "type": thread.type}
    backend.hub.dispatch(guild.application_ids, guild.id, "THREAD_DELETE", payload, intent=GUILDS)
    backend.recorder.notify()


def add_member(backend: Backend, guild: Guild, thread: Channel, user_id: str) -> None:
    info = thread.thread
    assert info is not None
    if user_id in info.member_ids:
        return
    info.member_ids[user_id] = now_iso()
    member = thread_member_payload(thread, user_id)
    update = {
        "id": thread.id,
        "guild_id": guild.id,
        "member_count": min(len(info.member_ids), 50),
        "added_members": [member],
    }
    backend.hub.dispatch(
        guild.application_ids, guild.id, "THREAD_MEMBERS_UPDATE", update, intent=GUILD_MEMBERS
    )
    for app_id in guild.application_ids:
        if backend.state.applications[app_id].bot.id == user_id:
            # A bot added to a thread is sent the thread, with its own thread member.
            joined = {**thread_payload(thread), "member": member}
            backend.hub.dispatch([app_id], guild.id, "THREAD_CREATE", joined, intent=GUILDS)
    backend.recorder.notify()


def remove_member(backend: Backend, guild: Guild, thread: Channel, user_id: str) -> None:
    info = thread.thread
    assert info is not None
    if info.member_ids.pop(user_id, None) is None:
        return
    update = {
        "id": thread.id,
        "guild_id": guild.id,
        "member_count": min(len(info.member_ids), 50),
        "removed_member_ids": [user_id],
    }
    backend.hub.dispatch(
        guild.application_ids, guild.id, "THREAD_MEMBERS_UPDATE", update, intent=GUILD_MEMBERS
    )
    backend.recorder.notify()


def _validate_start(
    guild: Guild,
    parent: Channel,
    creator: Member,
    name: str,
    thread_type: int,
    from_message: dict[str, Any] | None,
    auto_archive_duration: int,
) -> None:
    if parent.thread is not None or parent.type not in (0, 5, GUILD_FORUM):
        raise errors.ApiError(400, 50024, "Cannot execute action on this channel type")
    if not 1 <= len(name) <= MAX_NAME:
        raise errors.invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    if auto_archive_duration not in ARCHIVE_DURATIONS:
        raise errors.invalid_form(
            "auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080)."
        )
    if from_message is not None and from_message.get("thread") is not None:
        raise errors.ApiError(400, 160004, "A thread has already been created for this message")
    needed = perms.CREATE_PRIVATE_THREADS if thread_type == PRIVATE_THREAD else perms.CREATE_PUBLIC_THREADS
    if parent.type == GUILD_FORUM:
        needed = perms.SEND_MESSAGES
    if from_message is not None:
        needed |= perms.READ_MESSAGE_HISTORY
    if not perms.has_permission(guild, creator, perms.VIEW_CHANNEL | needed):
        raise errors.missing_permissions()


def _dispatch_update(backend: Backend, guild: Guild, thread: Channel) -> None:
    payload = thread_payload(thread)

    def shaped(session: Any) -> dict[str, Any] | None:
        bot = guild.members.get(session.app.bot.id)
        return payload if bot is not None and can_see(guild, bot, thread) else None

    backend.hub.dispatch(guild.application_ids, guild.id, "THREAD_UPDATE", shaped, intent=GUILDS)
