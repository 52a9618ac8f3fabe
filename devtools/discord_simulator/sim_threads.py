"""The test API for threads and forums: members (and the world) acting on threads.

Mixed into :class:`DiscordSimulator`; see :mod:`.threads` for the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import threads
from .gateway import GUILDS
from .payloads import channel_payload
from .state import GUILD_CATEGORY, GUILD_FORUM, PUBLIC_THREAD, Channel

if TYPE_CHECKING:
    from .actions import Backend
    from .state import SimState


class ThreadsAPI:
    state: SimState
    backend: Backend

    def add_channel(
        self,
        guild_id: str,
        name: str,
        *,
        channel_type: int = 0,
        category_id: str | None = None,
        tags: tuple[str, ...] = (),
    ) -> Channel:
        """A new channel: text (0), announcement (5), category (4) or forum (15, whose
        ``available_tags`` are ``tags``), optionally in a category; the bots get CHANNEL_CREATE."""
        guild = self.state.guild(guild_id)
        channel = self.state.create_channel(guild, name, channel_type=channel_type, parent_id=category_id)
        channel.available_tags = [
            {"id": self.state.snowflakes.next(), "name": tag, "moderated": False}
            | {"emoji_id": None, "emoji_name": None}
            for tag in tags
        ]
        self.backend.hub.dispatch(
            guild.application_ids, guild.id, "CHANNEL_CREATE", channel_payload(channel), intent=GUILDS
        )
        return channel

    def add_category(self, guild_id: str, name: str) -> Channel:
        return self.add_channel(guild_id, name, channel_type=GUILD_CATEGORY)

    def add_forum(
        self, guild_id: str, name: str, *, tags: tuple[str, ...] = (), category_id: str | None = None
    ) -> Channel:
        return self.add_channel(guild_id, name, channel_type=GUILD_FORUM, category_id=category_id, tags=tags)

    def forum_tag_id(self, forum: Channel, name: str) -> str:
        return next(str(t["id"]) for t in forum.available_tags if t["name"] == name)

    async def start_thread(
        self,
        guild_id: str,
        channel_id: str,
        author_id: str,
        name: str,
        *,
        message_id: str | None = None,
        thread_type: int = PUBLIC_THREAD,
    ) -> Channel:
        """A member starts a thread in a text channel, on ``message_id`` or without a message
        (THREAD_CREATE to the guild's bots that see it)."""
        guild = self.state.guild(guild_id)
        parent = self._parent(guild_id, channel_id)
        message = self.state.message(parent.id, message_id) if message_id is not None else None
        author = self.state.member(guild, author_id).user
        return threads.start_thread(
            self.backend, guild, parent, author, name, thread_type=thread_type, from_message=message
        )

    async def post_in_forum(
        self,
        guild_id: str,
        forum_id: str,
        author_id: str,
        title: str,
        content: str,
        *,
        tags: tuple[str, ...] = (),
    ) -> tuple[Channel, dict[str, Any]]:
        """A member's forum post: THREAD_CREATE, then its starter message (whose id is the
        thread's) as MESSAGE_CREATE. ``tags`` are tag names of the forum. Returns both."""
        guild = self.state.guild(guild_id)
        forum = self._parent(guild_id, forum_id)
        author = self.state.member(guild, author_id).user
        tag_ids = [self.forum_tag_id(forum, tag) for tag in tags]
        thread = threads.start_thread(self.backend, guild, forum, author, title, applied_tags=tag_ids)
        message = threads.post_forum_starter(self.backend, guild, thread, author, {"content": content})
        message["allowed_mentions"] = None
        return thread, message

    async def edit_thread(self, guild_id: str, thread_id: str, **changes: Any) -> Channel:
        """Archive, lock, rename or retag a thread as its owner or a moderator would."""
        guild = self.state.guild(guild_id)
        return threads.update_thread(self.backend, guild, self.thread(guild_id, thread_id), changes, None)

    async def delete_thread(self, guild_id: str, thread_id: str) -> None:
        guild = self.state.guild(guild_id)
        threads.delete_thread(self.backend, guild, self.thread(guild_id, thread_id))

    async def join_thread(self, guild_id: str, thread_id: str, user_id: str) -> None:
        guild = self.state.guild(guild_id)
        threads.add_member(self.backend, guild, self.thread(guild_id, thread_id), str(user_id))

    def thread(self, guild_id: str, thread_id: str) -> Channel:
        thread = self.state.guild(guild_id).threads.get(str(thread_id))
        if thread is None:
            raise ValueError(f"guild {guild_id} has no thread {thread_id}")
        return thread

    def threads_of(self, guild_id: str, parent_id: str) -> list[Channel]:
        """The threads (and forum posts) started in a channel, oldest first."""
        return [t for t in self.state.guild(guild_id).threads.values() if t.parent_id == str(parent_id)]

    def _parent(self, guild_id: str, channel_id: str) -> Channel:
        channel = self.state.guild(guild_id).channel_by_id(str(channel_id))
        if channel is None or channel.thread is not None:
            raise ValueError(f"guild {guild_id} has no channel {channel_id}")
        return channel
