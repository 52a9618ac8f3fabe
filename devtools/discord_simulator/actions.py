"""State changes shared by the REST routes and the test API: messages, moderation, bots joining.

Every change is stored, dispatched to the gateway sessions that should see it, and announced to
waiting tests. Functions taking an ``app`` act as that bot and enforce Discord's permission rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import errors, threads
from . import permissions as perms
from .gateway import (
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    GUILD_MODERATION,
    MESSAGE_CONTENT,
    GatewayHub,
)
from .messages import EPHEMERAL, apply_edit, build_message, validate_body, visible_to, wire
from .payloads import member_payload, user_payload
from .recorder import Recorder
from .state import Application, Guild, Member, Role, SimState, now_iso

MAX_TIMEOUT = timedelta(days=28)


@dataclass
class Backend:
    state: SimState
    hub: GatewayHub
    recorder: Recorder

    # --- messages -------------------------------------------------------------------------

    def publish_message(self, message: dict[str, Any], *, by_bot: bool) -> None:
        """Stores a new message and dispatches MESSAGE_CREATE (ephemeral ones are never dispatched)."""
        self.state.store_message(message)
        if by_bot:
            self.state.bot_message_ids.add(message["id"])
        channel_id = message["channel_id"]
        guild_id = message.get("guild_id")
        if guild_id is not None:
            guild, channel = self.state.guild_channel(channel_id)
            channel.last_message_id = message["id"]
            threads.note_message(self, guild, channel, message["author"]["id"])
        elif channel_id in self.state.dm_channels:
            self.state.dm_channels[channel_id].last_message_id = message["id"]
        if not message["flags"] & EPHEMERAL:
            self._dispatch_message_event("MESSAGE_CREATE", message)
        self.recorder.notify()

    def send_as_bot(
        self, app: Application, channel_id: str, body: dict[str, Any], attachments: int = 0
    ) -> dict[str, Any]:
        """``POST /channels/{id}/messages`` for ``app``'s bot."""
        validate_body(body, attachments=attachments)
        if channel_id in self.state.dm_channels:
            dm = self.state.dm_channels[channel_id]
            if dm.bot_id != app.bot.id:
                raise errors.missing_access()
            message = build_message(self.state, channel_id=channel_id, guild=None, author=app.bot, body=body)
            self.publish_message(message, by_bot=True)
            return message
        guild, channel = self.state.guild_channel(channel_id)
        bot = self.state.bot_member(guild, app)
        threads.check_can_send(guild, bot, channel)
        referenced = self._referenced_message(guild, bot, channel_id, body.get("message_reference"))
        message = build_message(
            self.state, channel_id=channel.id, guild=guild, author=app.bot, body=body, referenced=referenced
        )
        if not perms.has_permission(guild, bot, perms.MENTION_EVERYONE):
            message["mention_everyone"] = False
        self.publish_message(message, by_bot=True)
        return message

    def edit_as_bot(
        self, app: Application, channel_id: str, message_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        message = self.state.message(channel_id, message_id)
        if message["author"]["id"] != app.bot.id:
            raise errors.cannot_edit_others_message()
        guild = self.state.guilds.get(message.get("guild_id") or "")
        self.edit_message(guild, message, body)
        return message

    def edit_message(self, guild: Guild | None, message: dict[str, Any], body: dict[str, Any]) -> None:
        if body.get("content") is not None:
            validate_body({"content": body["content"]})
        apply_edit(self.state, guild, message, body)
        if not message["flags"] & EPHEMERAL:
            self._dispatch_message_event("MESSAGE_UPDATE", message)
        self.recorder.notify()

    def delete_as_bot(self, app: Application, channel_id: str, message_id: str, reason: str | None) -> None:
        message = self.state.message(channel_id, message_id)
        guild_id = message.get("guild_id")
        if guild_id is None and message["author"]["id"] != app.bot.id:
            raise errors.missing_permissions()  # nobody deletes the other side's direct messages
        if guild_id is not None and message["author"]["id"] != app.bot.id:
            guild = self.state.guild(guild_id)
            if not perms.has_permission(guild, self.state.bot_member(guild, app), perms.MANAGE_MESSAGES):
                raise errors.missing_permissions()
            self._audit(guild, app, "message_delete", message["author"]["id"], reason)
        self.delete_message(message)

    def delete_message(self, message: dict[str, Any]) -> None:
        self.state.deleted_message_ids.add(message["id"])
        guild_id = message.get("guild_id")
        payload = {"id": message["id"], "channel_id": message["channel_id"]}
        if guild_id is not None:
            payload["guild_id"] = guild_id
            apps = self.state.guilds[guild_id].application_ids
            self.hub.dispatch(apps, guild_id, "MESSAGE_DELETE", payload, intent=GUILD_MESSAGES)
        self.recorder.notify()

    def _referenced_message(
        self, guild: Guild, bot: Member, channel_id: str, reference: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        if not reference or reference.get("message_id") is None:
            return None
        if not perms.has_permission(guild, bot, perms.READ_MESSAGE_HISTORY):
            raise errors.missing_permissions()
        try:
            return self.state.message(
                str(reference.get("channel_id") or channel_id), str(reference["message_id"])
            )
        except errors.ApiError:
            if reference.get("fail_if_not_exists", True) is False:
                return None
            raise errors.invalid_form(
                "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
            ) from None

    def _dispatch_message_event(self, event: str, message: dict[str, Any]) -> None:
        guild_id = message.get("guild_id")
        if guild_id is None:
            dm = self.state.dm_channels.get(message["channel_id"])
            if dm is not None:
                self.hub.dispatch([dm.bot_id], None, event, wire(message), intent=DIRECT_MESSAGES)
            return

        def shaped(session: Any) -> dict[str, Any]:
            has_intent = bool(session.intents & MESSAGE_CONTENT)
            return visible_to(message, session.app.bot.id, has_content_intent=has_intent)

        guild, channel = self.state.guild_channel(message["channel_id"])
        apps = threads.apps_seeing(self, guild, channel)
        self.hub.dispatch(apps, guild_id, event, shaped, intent=GUILD_MESSAGES)

    # --- moderation -----------------------------------------------------------------------

    def kick(self, app: Application, guild_id: str, user_id: str, reason: str | None) -> None:
        guild, target = self._moderation_target(app, guild_id, user_id, perms.KICK_MEMBERS)
        self._remove_member(guild, target)
        self._audit(guild, app, "member_kick", target.id, reason)

    def ban(
        self, app: Application, guild_id: str, user_id: str, delete_seconds: int, reason: str | None
    ) -> None:
        guild = self.state.guild(guild_id)
        bot = self.state.bot_member(guild, app)
        if not perms.has_permission(guild, bot, perms.BAN_MEMBERS):
            raise errors.missing_permissions()
        user = self.state.user(user_id)
        target = guild.members.get(user.id)
        if user.id == guild.owner_id or (target is not None and not perms.outranks(guild, bot, target)):
            raise errors.missing_permissions()
        if not 0 <= delete_seconds <= 604800:
            raise errors.invalid_form(
                "delete_message_seconds",
                "NUMBER_TYPE_MAX",
                "int value should be less than or equal to 604800.",
            )
        guild.bans[user.id] = reason
        if target is not None:
            self._remove_member(guild, target)
        self._delete_recent_messages(guild, user.id, delete_seconds)
        self.hub.dispatch(
            guild.application_ids,
            guild.id,
            "GUILD_BAN_ADD",
            {"guild_id": guild.id, "user": user_payload(user)},
            intent=GUILD_MODERATION,
        )
        self._audit(guild, app, "member_ban_add", user.id, reason)

    def unban(self, app: Application, guild_id: str, user_id: str, reason: str | None) -> None:
        guild = self.state.guild(guild_id)
        if not perms.has_permission(guild, self.state.bot_member(guild, app), perms.BAN_MEMBERS):
            raise errors.missing_permissions()
        if guild.bans.pop(str(user_id), "missing") == "missing":
            raise errors.unknown("Ban")
        self._audit(guild, app, "member_ban_remove", str(user_id), reason)

    def edit_member(
        self, app: Application, guild_id: str, user_id: str, body: dict[str, Any], reason: str | None
    ) -> Member:
        """``PATCH /guilds/{gid}/members/{uid}``: timeouts (communication_disabled_until) and nicknames."""
        guild = self.state.guild(guild_id)
        target = self.state.member(guild, user_id)
        if "communication_disabled_until" in body:
            self._moderation_target(app, guild_id, user_id, perms.MODERATE_MEMBERS)
            if perms.member_permissions(guild, target) & perms.ADMINISTRATOR:
                raise errors.missing_permissions()
            target.communication_disabled_until = _timeout_until(body["communication_disabled_until"])
            self._audit(
                guild, app, "member_update", target.id, reason, timeout=target.communication_disabled_until
            )
        if "nick" in body:
            if target.id != app.bot.id:
                self._moderation_target(app, guild_id, user_id, perms.MANAGE_NICKNAMES)
            target.nick = body["nick"] or None
        payload = {**member_payload(target), "guild_id": guild.id}
        self.hub.dispatch(
            guild.application_ids, guild.id, "GUILD_MEMBER_UPDATE", payload, intent=GUILD_MEMBERS
        )
        self.recorder.notify()
        return target

    def _moderation_target(
        self, app: Application, guild_id: str, user_id: str, needed: int
    ) -> tuple[Guild, Member]:
        guild = self.state.guild(guild_id)
        bot = self.state.bot_member(guild, app)
        target = self.state.member(guild, user_id)
        if not perms.has_permission(guild, bot, needed) or not perms.outranks(guild, bot, target):
            raise errors.missing_permissions()
        return guild, target

    def _remove_member(self, guild: Guild, member: Member) -> None:
        guild.members.pop(member.id, None)
        payload = {"guild_id": guild.id, "user": user_payload(member.user)}
        self.hub.dispatch(
            guild.application_ids, guild.id, "GUILD_MEMBER_REMOVE", payload, intent=GUILD_MEMBERS
        )
        self.recorder.notify()

    def _delete_recent_messages(self, guild: Guild, user_id: str, seconds: int) -> None:
        if seconds <= 0:
            return
        since = datetime.now(UTC) - timedelta(seconds=seconds)
        for channel in [*guild.channels.values(), *guild.threads.values()]:
            for message in self.state.live_messages(channel.id):
                if (
                    message["author"]["id"] == user_id
                    and datetime.fromisoformat(message["timestamp"]) >= since
                ):
                    self.delete_message(message)

    def _audit(
        self, guild: Guild, app: Application, action: str, target_id: str, reason: str | None, **extra: Any
    ) -> None:
        entry = {"guild_id": guild.id, "action": action, "target_id": target_id, "user_id": app.bot.id}
        self.state.audit_log.append({**entry, "reason": reason, **extra})
        self.recorder.notify()

    # --- bots joining and leaving ---------------------------------------------------------

    def add_bot(self, guild_id: str, application_id: str, permission_bits: int) -> Role:
        """Adds the app's bot with its own managed role at the top of the role list, and announces
        the guild to the bot's sessions (GUILD_CREATE). Returns the bot's role."""
        guild = self.state.guild(guild_id)
        app = self.state.application(application_id)
        role = next((r for r in guild.roles.values() if r.bot_id == app.bot.id), None)
        if role is not None:  # already in the guild: approving it again only updates its permissions
            role.permissions = permission_bits
            return role
        top = max((r.position for r in guild.roles.values()), default=0)
        role = self.state.create_role(guild, app.name, permission_bits, top + 1)
        role.managed, role.bot_id = True, app.bot.id
        guild.members[app.bot.id] = Member(user=app.bot, role_ids=[role.id], joined_at=now_iso())
        guild.application_ids.add(app.id)
        self.hub.dispatch_guild_create(app.id, guild.id)
        self.recorder.notify()
        return role

    def remove_bot(self, guild_id: str, application_id: str) -> None:
        guild = self.state.guild(guild_id)
        app = self.state.application(application_id)
        guild.application_ids.discard(app.id)
        guild.members.pop(app.bot.id, None)
        for role in [r for r in guild.roles.values() if r.bot_id == app.bot.id]:
            del guild.roles[role.id]
        self.hub.dispatch([app.id], guild.id, "GUILD_DELETE", {"id": guild.id, "unavailable": False})
        self.recorder.notify()


def _timeout_until(value: Any) -> str | None:
    if value is None:
        return None
    try:
        until = datetime.fromisoformat(str(value))
    except ValueError:
        raise errors.invalid_form(
            "communication_disabled_until", "DATE_TIME_TYPE_PARSE", "Could not parse date."
        ) from None
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    if until - datetime.now(UTC) > MAX_TIMEOUT:
        raise errors.invalid_form(
            "communication_disabled_until", "BASE_TYPE_BAD_TIME", "Timeouts can last at most 28 days."
        )
    return until.isoformat()
