"""The simulator's control API: what the dashboard's sandbox page uses to act as a member.

Served beside the REST API under ``/_sandbox/`` when the simulator is given a control key,
and refused (401) without ``Authorization: Sandbox <key>``. Everything is scoped to a
guild in the path, so a channel or member of another guild is not found (404).

- ``GET  /_sandbox/guilds/{guild}``: the guild's name, text channels and members;
- ``GET  /_sandbox/guilds/{guild}/channels/{channel}/messages``: the channel's messages,
  oldest first, deleted ones marked (what moderation removed stays visible as such);
- ``POST /_sandbox/guilds/{guild}/channels/{channel}/messages`` with ``author_id``,
  ``content`` and ``mention_bot``: a member's message, stored and dispatched as
  MESSAGE_CREATE to the guild's bots exactly as :meth:`DiscordSimulator.post_message` does;
- ``POST /_sandbox/guilds/{guild}/channels/{channel}/messages/{message}/clicks`` with
  ``author_id`` and ``custom_id``: a member clicks one of the buttons of a bot's message,
  dispatched as INTERACTION_CREATE exactly as :meth:`DiscordSimulator.click_button` does.

:func:`seed_sandbox` builds the sandbox world (ids fixed, so conversations continue
across restarts of the simulator).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors
from . import permissions as perms
from .messages import EPHEMERAL
from .state import Channel, Guild, Member, now_iso
from .web_helpers import json_response

if TYPE_CHECKING:
    from .server import DiscordSimulator

PREFIX = "/_sandbox"
SIMULATOR: web.AppKey[DiscordSimulator] = web.AppKey("simulator")
CONTROL_KEY = web.AppKey("control_key", str)
# Messages a channel listing returns at most (the newest).
MESSAGES_SHOWN = 100
MAX_CONTENT = 2000


@dataclass(frozen=True)
class SandboxMember:
    name: str
    moderator: bool = False


# The sandbox server's people: a regular member, one who will ask for a person, a moderator.
SANDBOX_MEMBERS = (SandboxMember("sam"), SandboxMember("riley"), SandboxMember("morgan", moderator=True))
SANDBOX_CHANNELS = ("general", "help")


def install(app: web.Application, simulator: DiscordSimulator, key: str) -> None:
    """Adds the control routes to the simulator's web application."""
    app[SIMULATOR] = simulator
    app[CONTROL_KEY] = key
    app.middlewares.append(require_key)
    app.router.add_get(PREFIX + "/guilds/{guild_id}", _guild)
    app.router.add_get(PREFIX + "/guilds/{guild_id}/channels/{channel_id}/messages", _messages)
    app.router.add_post(PREFIX + "/guilds/{guild_id}/channels/{channel_id}/messages", _post)
    app.router.add_post(
        PREFIX + "/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}/clicks", _click
    )


def seed_sandbox(simulator: DiscordSimulator, *, application_id: str, token: str, guild_id: str) -> Guild:
    """The sandbox world: the bot's application, and a guild with #general and #help, the bot
    (allowed to moderate), and the members of ``SANDBOX_MEMBERS``. Ids derive from
    ``guild_id``, so every start builds the same world."""
    simulator.add_application(application_id, token, bot_name="Guildmind")
    guild = simulator.add_guild(
        "Sandbox server",
        channels=(),
        bot_tokens=(token,),
        guild_id=guild_id,
        bot_permissions=perms.BOT_DEFAULT | perms.MODERATOR,
    )
    state, base = simulator.state, int(guild_id)
    for position, name in enumerate(SANDBOX_CHANNELS):
        channel = Channel(id=str(base + 10 + position), guild_id=guild.id, name=name, position=position)
        guild.channels[name] = channel
        state.messages_by_channel[channel.id] = []
    moderator_role = state.create_role(guild, "Moderator", perms.MODERATOR, 1)
    for offset, person in enumerate(SANDBOX_MEMBERS):
        user = state.create_user(person.name, user_id=str(base + 20 + offset))
        roles = [moderator_role.id] if person.moderator else []
        guild.members[user.id] = Member(user=user, role_ids=roles, joined_at=now_iso())
    return guild


@web.middleware
async def require_key(request: web.Request, handler: Any) -> web.StreamResponse:
    """Refuses control requests without the key (the REST API authenticates on its own)."""
    if request.path.startswith(PREFIX + "/"):
        key = request.app.get(CONTROL_KEY)
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if not key or scheme != "Sandbox" or not secrets.compare_digest(given.strip(), key):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
    return await handler(request)


def _place(request: web.Request) -> tuple[DiscordSimulator, Guild, Channel | None]:
    simulator = request.app[SIMULATOR]
    guild = simulator.state.guilds.get(request.match_info["guild_id"])
    if guild is None:
        raise web.HTTPNotFound()
    channel_id = request.match_info.get("channel_id")
    channel = guild.channel_by_id(channel_id) if channel_id else None
    if channel_id and channel is None:
        raise web.HTTPNotFound()
    return simulator, guild, channel


async def _guild(request: web.Request) -> web.Response:
    _, guild, _ = _place(request)
    moderators = {r.id for r in guild.roles.values() if r.permissions & perms.MODERATOR and not r.managed}
    members = [
        {
            "id": m.id,
            "name": m.user.username,
            "moderator": bool(moderators & set(m.role_ids)),
            "timed_out_until": m.communication_disabled_until,
        }
        for m in guild.members.values()
        if not m.user.bot and m.id != guild.owner_id
    ]
    channels = [
        {"id": c.id, "name": c.name} for c in sorted(guild.channels.values(), key=lambda c: c.position)
    ]
    return json_response({"id": guild.id, "name": guild.name, "channels": channels, "members": members})


async def _messages(request: web.Request) -> web.Response:
    simulator, _, channel = _place(request)
    assert channel is not None
    state = simulator.state
    shown = [m for m in state.messages_by_channel.get(channel.id, []) if not m["flags"] & EPHEMERAL]
    return json_response({"messages": [_summary(simulator, m) for m in shown[-MESSAGES_SHOWN:]]})


async def _post(request: web.Request) -> web.Response:
    simulator, guild, channel = _place(request)
    assert channel is not None
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return json_response({"message": "a JSON object is expected", "code": 0}, 400)
    content = str(body.get("content") or "").strip()
    author_id = str(body.get("author_id") or "")
    member = guild.members.get(author_id)
    if not content or len(content) > MAX_CONTENT:
        return json_response({"message": f"content must be 1 to {MAX_CONTENT} characters", "code": 0}, 400)
    if member is None or member.user.bot:
        raise web.HTTPNotFound()
    bot_of = next(iter(sorted(guild.application_ids)), None) if body.get("mention_bot") else None
    try:
        message = await simulator.post_message(
            guild.id, channel.id, author_id, content, mention_bot_of=bot_of
        )
    except errors.ApiError as error:
        return json_response(error.body(), error.status)
    return json_response(_summary(simulator, message), 201)


async def _click(request: web.Request) -> web.Response:
    simulator, guild, channel = _place(request)
    assert channel is not None
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return json_response({"message": "a JSON object is expected", "code": 0}, 400)
    member = guild.members.get(str(body.get("author_id") or ""))
    message_id, custom_id = request.match_info["message_id"], str(body.get("custom_id") or "")
    message = next(
        (m for m in simulator.state.messages_by_channel.get(channel.id, []) if m["id"] == message_id), None
    )
    if member is None or member.user.bot or message is None or simulator.is_deleted(message_id):
        raise web.HTTPNotFound()
    if custom_id not in {b["custom_id"] for b in _buttons(message)}:
        return json_response({"message": "the message has no such button", "code": 0}, 400)
    interaction = await simulator.click_button(message_id, member.id, custom_id)
    return json_response({"interaction_id": interaction["id"]}, 202)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message's buttons that can be clicked (not links, not disabled)."""
    return [
        {
            "custom_id": component["custom_id"],
            "label": component.get("label") or "",
            "emoji": (component.get("emoji") or {}).get("name") or "",
        }
        for row in message.get("components") or []
        for component in row.get("components") or []
        if component.get("type") == 2 and component.get("custom_id") and not component.get("disabled")
    ]


def _summary(simulator: DiscordSimulator, message: dict[str, Any]) -> dict[str, Any]:
    author = message["author"]
    reference = message.get("message_reference") or {}
    return {
        "id": message["id"],
        "author": {"id": author["id"], "name": author.get("global_name") or author["username"]},
        "bot": bool(author.get("bot")),
        "content": message.get("content") or "",
        "timestamp": message.get("timestamp"),
        "reply_to": reference.get("message_id"),
        "deleted": simulator.is_deleted(message["id"]),
        "buttons": _buttons(message),
    }
