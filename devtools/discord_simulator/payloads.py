"""Discord JSON shapes for the simulator's objects (REST responses and gateway events)."""

from __future__ import annotations

from typing import Any

from .state import Application, Channel, DMChannel, Guild, Member, Role, User, now_iso


def user_payload(user: User) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "public_flags": 0,
        "avatar_decoration_data": None,
    }
    if user.bot:
        payload["bot"] = True
    return payload


def current_user_payload(user: User) -> dict[str, Any]:
    """``GET /users/@me`` and READY's ``user``."""
    return {**user_payload(user), "verified": True, "mfa_enabled": False, "flags": 0, "email": None}


def member_payload(member: Member, *, with_user: bool = True) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "roles": list(member.role_ids),
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "joined_at": member.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": member.communication_disabled_until,
    }
    if with_user:
        payload["user"] = user_payload(member.user)
    return payload


def role_payload(role: Role) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": role.id,
        "name": role.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": False,
        "flags": 0,
    }
    if role.bot_id is not None:
        payload["tags"] = {"bot_id": role.bot_id}
    return payload


def channel_payload(channel: Channel) -> dict[str, Any]:
    if channel.thread is not None:
        return thread_payload(channel)
    payload = {
        "id": channel.id,
        "type": channel.type,
        "guild_id": channel.guild_id,
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [],
        "topic": channel.topic,
        "nsfw": False,
        "last_message_id": channel.last_message_id,
        "rate_limit_per_user": 0,
        "parent_id": channel.parent_id,
        "flags": 0,
    }
    if channel.type == 15:  # a forum
        payload.update(
            available_tags=list(channel.available_tags),
            default_reaction_emoji=None,
            default_thread_rate_limit_per_user=0,
            default_sort_order=None,
            default_forum_layout=0,
        )
    return payload


def thread_payload(thread: Channel) -> dict[str, Any]:
    """A thread channel object (with ``thread_metadata``), as in THREAD_CREATE and REST."""
    info = thread.thread
    assert info is not None
    metadata: dict[str, Any] = {
        "archived": info.archived,
        "auto_archive_duration": info.auto_archive_duration,
        "archive_timestamp": info.archive_timestamp or info.created_at,
        "locked": info.locked,
        "create_timestamp": info.created_at,
    }
    if thread.type == 12:
        metadata["invitable"] = info.invitable
    return {
        "id": thread.id,
        "type": thread.type,
        "guild_id": thread.guild_id,
        "parent_id": thread.parent_id,
        "owner_id": info.owner_id,
        "name": thread.name,
        "last_message_id": thread.last_message_id,
        "rate_limit_per_user": 0,
        "message_count": info.message_count,
        "member_count": min(len(info.member_ids), 50),
        "total_message_sent": info.message_count,
        "thread_metadata": metadata,
        "applied_tags": list(info.applied_tags),
        "flags": 0,
    }


def thread_member_payload(thread: Channel, user_id: str) -> dict[str, Any]:
    assert thread.thread is not None
    return {
        "id": thread.id,
        "user_id": user_id,
        "join_timestamp": thread.thread.member_ids.get(user_id) or now_iso(),
        "flags": 0,
    }


def dm_channel_payload(channel: DMChannel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "type": 1,
        "last_message_id": channel.last_message_id,
        "recipients": [user_payload(channel.recipient)],
        "flags": 0,
    }


def guild_payload(guild: Guild) -> dict[str, Any]:
    """The REST guild object (``GET /guilds/{id}``, OAuth2 bot-scope token responses)."""
    system_channel = next(iter(guild.channels.values()), None)
    return {
        "id": guild.id,
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": guild.owner_id,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": system_channel.id if system_channel else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "max_members": 500000,
        "approximate_member_count": len(guild.members),
        "approximate_presence_count": 0,
    }


def gateway_guild_payload(
    guild: Guild, bot_member: Member | None, *, newly_joined: bool = False
) -> dict[str, Any]:
    """GUILD_CREATE: the guild with channels, roles and member_count; ``members`` holds only the bot.

    Discord marks the GUILD_CREATEs that fill in READY's unavailable guilds with ``unavailable:
    false`` and omits the key when the bot has just joined (libraries tell joins apart that way).
    """
    payload = guild_payload(guild)
    if not newly_joined:
        payload["unavailable"] = False
    payload.update(
        {
            "large": False,
            "member_count": len(guild.members),
            "joined_at": bot_member.joined_at if bot_member else now_iso(),
            "channels": [
                {k: v for k, v in channel_payload(c).items() if k != "guild_id"}
                for c in guild.channels.values()
            ],
            "threads": [
                thread_payload(t)
                for t in guild.threads.values()
                if t.thread is not None and not t.thread.archived and t.type != 12
            ],
            "members": [member_payload(bot_member)] if bot_member else [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
    )
    return payload


def application_payload(app: Application, owner: User) -> dict[str, Any]:
    """``GET /oauth2/applications/@me``."""
    return {
        "id": app.id,
        "name": app.name,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": app.public_key,
        "flags": app.flags,
        "owner": user_payload(owner),
        "team": None,
        "bot": user_payload(app.bot),
        "interactions_endpoint_url": app.interactions_endpoint_url,
        "redirect_uris": [],
        "tags": [],
        "approximate_guild_count": 0,
    }
