"""The simulator's world: users, guilds, channels, roles, members, messages and applications.

Everything here is plain data plus lookups that raise Discord's errors; nothing here does I/O.
IDs are strings, like in Discord's JSON, and are real snowflakes (discord.py reads their timestamps).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nacl.signing import SigningKey

from . import errors, permissions

if TYPE_CHECKING:
    from .interactions import InteractionRecord

DISCORD_EPOCH_MS = 1420070400000

PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT


class SnowflakeGenerator:
    """Strictly increasing snowflakes whose timestamp part is the current time."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return str(candidate)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    id: str
    username: str
    bot: bool = False
    global_name: str | None = None


@dataclass
class Role:
    id: str
    name: str
    permissions: int
    position: int
    managed: bool = False
    bot_id: str | None = None


@dataclass
class Channel:
    id: str
    guild_id: str
    name: str
    position: int
    type: int = 0
    topic: str | None = None
    last_message_id: str | None = None
    parent_id: str | None = None  # a channel's category, a thread's channel
    # Forum channels (type 15): the tags a post may carry, Discord's tag objects.
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    thread: ThreadInfo | None = None  # set on threads (types 10, 11, 12) only


@dataclass
class ThreadInfo:
    """What only a thread has: its starter, metadata (archived, locked), tags and members."""

    owner_id: str
    created_at: str
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: str = ""
    applied_tags: list[str] = field(default_factory=list)
    member_ids: dict[str, str] = field(default_factory=dict)  # user id -> join timestamp
    message_count: int = 0


THREAD_TYPES = (10, 11, 12)
PUBLIC_THREAD, PRIVATE_THREAD, GUILD_FORUM, GUILD_CATEGORY = 11, 12, 15, 4


@dataclass
class DMChannel:
    id: str
    recipient: User
    bot_id: str
    last_message_id: str | None = None


@dataclass
class Member:
    user: User
    role_ids: list[str]
    joined_at: str
    nick: str | None = None
    communication_disabled_until: str | None = None

    @property
    def id(self) -> str:
        return self.user.id


@dataclass
class Guild:
    id: str
    name: str
    owner_id: str
    channels: dict[str, Channel] = field(default_factory=dict)  # by name
    threads: dict[str, Channel] = field(default_factory=dict)  # by id (names repeat)
    roles: dict[str, Role] = field(default_factory=dict)  # by id; @everyone's id is the guild's
    members: dict[str, Member] = field(default_factory=dict)  # by user id
    bans: dict[str, str | None] = field(default_factory=dict)  # user id -> reason
    application_ids: set[str] = field(default_factory=set)  # bots in this guild

    @property
    def everyone_role(self) -> Role:
        return self.roles[self.id]

    def channel_by_id(self, channel_id: str) -> Channel | None:
        """A channel or a thread of the guild."""
        thread = self.threads.get(channel_id)
        if thread is not None:
            return thread
        return next((c for c in self.channels.values() if c.id == channel_id), None)

    def role_named(self, name: str) -> Role | None:
        return next((r for r in self.roles.values() if r.name == name), None)

    def insert_role(self, role: Role) -> None:
        """Adds ``role`` at its position, moving roles at or above it up one (positions stay unique)."""
        for other in self.roles.values():
            if other.id != self.id and other.position >= role.position:
                other.position += 1
        self.roles[role.id] = role


@dataclass
class Application:
    id: str
    name: str
    bot: User
    token: str
    owner: User
    public_key: str
    client_secret: str
    signing_key: SigningKey | None
    privileged_intents: int = PRIVILEGED_INTENTS
    interactions_endpoint_url: str | None = None
    recommended_shards: int = 1
    global_commands: list[dict[str, Any]] = field(default_factory=list)
    guild_commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def flags(self) -> int:
        # The "*_LIMITED" flags tell a library that the privileged intent is enabled for the app.
        flags = 0
        if self.privileged_intents & (1 << 8):
            flags |= 1 << 13
        if self.privileged_intents & (1 << 1):
            flags |= 1 << 15
        if self.privileged_intents & (1 << 15):
            flags |= 1 << 19
        return flags


@dataclass
class OAuthCode:
    code: str
    application_id: str
    guild_id: str
    redirect_uri: str
    scope: str


class SimState:
    """All simulated Discord data, with lookups that raise :class:`errors.ApiError` like Discord."""

    def __init__(self) -> None:
        self.snowflakes = SnowflakeGenerator()
        self.users: dict[str, User] = {}
        self.guilds: dict[str, Guild] = {}
        self.applications: dict[str, Application] = {}
        self.dm_channels: dict[str, DMChannel] = {}
        self.messages_by_channel: dict[str, list[dict[str, Any]]] = {}
        self.messages_by_id: dict[str, dict[str, Any]] = {}
        self.deleted_message_ids: set[str] = set()
        self.bot_message_ids: set[str] = set()  # created through REST by a bot
        self.oauth_codes: dict[str, OAuthCode] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.audit_log: list[dict[str, Any]] = []

    # --- creation -------------------------------------------------------------------------

    def create_user(self, username: str, *, bot: bool = False, user_id: str | None = None) -> User:
        user = User(id=user_id or self.snowflakes.next(), username=username, bot=bot, global_name=username)
        self.users[user.id] = user
        return user

    def create_application(
        self,
        application_id: str,
        bot_token: str,
        bot_name: str,
        public_key: str | None,
        client_secret: str | None,
    ) -> Application:
        signing_key = None
        if public_key is None:
            signing_key = SigningKey.generate()
            public_key = signing_key.verify_key.encode().hex()
        # Like modern Discord apps, the bot user's id is the application's id.
        bot = self.create_user(bot_name, bot=True, user_id=application_id)
        app = Application(
            id=application_id,
            name=bot_name,
            bot=bot,
            token=bot_token,
            owner=self.create_user(f"{bot_name} developer"),
            public_key=public_key,
            client_secret=client_secret or secrets.token_urlsafe(24),
            signing_key=signing_key,
        )
        self.applications[app.id] = app
        return app

    def create_guild(self, name: str, owner: User, *, guild_id: str | None = None) -> Guild:
        guild = Guild(id=guild_id or self.snowflakes.next(), name=name, owner_id=owner.id)
        guild.roles[guild.id] = Role(
            id=guild.id, name="@everyone", permissions=permissions.EVERYONE_DEFAULT, position=0
        )
        guild.members[owner.id] = Member(user=owner, role_ids=[], joined_at=now_iso())
        self.guilds[guild.id] = guild
        return guild

    def create_channel(
        self, guild: Guild, name: str, *, channel_type: int = 0, parent_id: str | None = None
    ) -> Channel:
        channel = Channel(
            id=self.snowflakes.next(),
            guild_id=guild.id,
            name=name,
            position=len(guild.channels),
            type=channel_type,
            parent_id=parent_id,
        )
        guild.channels[name] = channel
        self.messages_by_channel[channel.id] = []
        return channel

    def create_role(self, guild: Guild, name: str, permission_bits: int, position: int) -> Role:
        role = Role(
            id=self.snowflakes.next(), name=name, permissions=permission_bits, position=max(1, position)
        )
        guild.insert_role(role)
        return role

    def dm_channel_for(self, app: Application, recipient: User) -> DMChannel:
        for channel in self.dm_channels.values():
            if channel.bot_id == app.bot.id and channel.recipient.id == recipient.id:
                return channel
        channel = DMChannel(id=self.snowflakes.next(), recipient=recipient, bot_id=app.bot.id)
        self.dm_channels[channel.id] = channel
        self.messages_by_channel[channel.id] = []
        return channel

    # --- lookups --------------------------------------------------------------------------

    def guild(self, guild_id: str) -> Guild:
        try:
            return self.guilds[str(guild_id)]
        except KeyError:
            raise errors.unknown("Guild") from None

    def application(self, application_id: str) -> Application:
        try:
            return self.applications[str(application_id)]
        except KeyError:
            raise errors.unknown("Application") from None

    def application_by_token(self, token: str) -> Application | None:
        return next(
            (app for app in self.applications.values() if secrets.compare_digest(app.token, token)), None
        )

    def user(self, user_id: str) -> User:
        try:
            return self.users[str(user_id)]
        except KeyError:
            raise errors.unknown("User") from None

    def guild_channel(self, channel_id: str) -> tuple[Guild, Channel]:
        for guild in self.guilds.values():
            channel = guild.channel_by_id(str(channel_id))
            if channel is not None:
                return guild, channel
        raise errors.unknown("Channel")

    def member(self, guild: Guild, user_id: str) -> Member:
        try:
            return guild.members[str(user_id)]
        except KeyError:
            raise errors.unknown("Member") from None

    def bot_member(self, guild: Guild, app: Application) -> Member:
        """The bot's member in ``guild``; 403 Missing Access when the bot is not in it."""
        member = guild.members.get(app.bot.id)
        if member is None or app.id not in guild.application_ids:
            raise errors.missing_access()
        return member

    def message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        message = self.messages_by_id.get(str(message_id))
        if (
            message is None
            or message["channel_id"] != str(channel_id)
            or message["id"] in self.deleted_message_ids
        ):
            raise errors.unknown("Message")
        return message

    def live_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.messages_by_channel.get(str(channel_id), [])
            if m["id"] not in self.deleted_message_ids
        ]

    def guilds_of(self, app: Application) -> list[Guild]:
        return [g for g in self.guilds.values() if app.id in g.application_ids]

    def store_message(self, message: dict[str, Any]) -> None:
        self.messages_by_channel.setdefault(message["channel_id"], []).append(message)
        self.messages_by_id[message["id"]] = message
