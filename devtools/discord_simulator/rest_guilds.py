"""Guild routes: guild, channels, roles, members (timeout, nick, kick), bans, leaving a guild."""

from __future__ import annotations

from aiohttp import web

from . import errors
from .payloads import channel_payload, guild_payload, member_payload, role_payload, user_payload
from .state import Guild
from .web_helpers import API_PREFIX, audit_reason, backend, body, bot_app, json_response, no_content

routes = web.RouteTableDef()

GUILD = API_PREFIX + "/guilds/{guild_id}"


def _guild_of_bot(request: web.Request) -> Guild:
    """The guild in the URL, provided the authenticated bot is in it (else 403 Missing Access)."""
    state = backend(request).state
    guild = state.guild(request.match_info["guild_id"])
    state.bot_member(guild, bot_app(request))
    return guild


@routes.get(GUILD)
async def get_guild(request: web.Request) -> web.Response:
    return json_response(guild_payload(_guild_of_bot(request)))


@routes.get(GUILD + "/channels")
async def guild_channels(request: web.Request) -> web.Response:
    return json_response([channel_payload(c) for c in _guild_of_bot(request).channels.values()])


@routes.get(GUILD + "/roles")
async def guild_roles(request: web.Request) -> web.Response:
    roles = sorted(_guild_of_bot(request).roles.values(), key=lambda r: r.position)
    return json_response([role_payload(r) for r in roles])


@routes.get(GUILD + "/members")
async def list_members(request: web.Request) -> web.Response:
    guild = _guild_of_bot(request)
    limit = max(1, min(1000, int(request.query.get("limit", "1"))))
    after = int(request.query.get("after", "0"))
    members = sorted((m for m in guild.members.values() if int(m.id) > after), key=lambda m: int(m.id))
    return json_response([member_payload(m) for m in members[:limit]])


@routes.patch(GUILD + "/members/@me")
async def edit_own_member(request: web.Request) -> web.Response:
    app = bot_app(request)
    guild = _guild_of_bot(request)
    nick_only = {k: v for k, v in body(request).items() if k == "nick"}
    member = backend(request).edit_member(app, guild.id, app.bot.id, nick_only, audit_reason(request))
    return json_response(member_payload(member))


@routes.get(GUILD + "/members/{user_id}")
async def get_member(request: web.Request) -> web.Response:
    guild = _guild_of_bot(request)
    return json_response(member_payload(backend(request).state.member(guild, request.match_info["user_id"])))


@routes.patch(GUILD + "/members/{user_id}")
async def edit_member(request: web.Request) -> web.Response:
    member = backend(request).edit_member(
        bot_app(request),
        request.match_info["guild_id"],
        request.match_info["user_id"],
        body(request),
        audit_reason(request),
    )
    return json_response(member_payload(member))


@routes.delete(GUILD + "/members/{user_id}")
async def kick_member(request: web.Request) -> web.Response:
    backend(request).kick(
        bot_app(request), request.match_info["guild_id"], request.match_info["user_id"], audit_reason(request)
    )
    return no_content()


@routes.get(GUILD + "/bans/{user_id}")
async def get_ban(request: web.Request) -> web.Response:
    guild = _guild_of_bot(request)
    user_id = request.match_info["user_id"]
    if user_id not in guild.bans:
        raise errors.unknown("Ban")
    user = backend(request).state.user(user_id)
    return json_response({"user": user_payload(user), "reason": guild.bans[user_id]})


@routes.put(GUILD + "/bans/{user_id}")
async def ban_member(request: web.Request) -> web.Response:
    data = body(request)
    seconds = data.get("delete_message_seconds")
    if seconds is None:  # the deprecated form, still accepted by Discord
        seconds = int(data.get("delete_message_days") or 0) * 86400
    backend(request).ban(
        bot_app(request),
        request.match_info["guild_id"],
        request.match_info["user_id"],
        int(seconds),
        audit_reason(request),
    )
    return no_content()


@routes.delete(GUILD + "/bans/{user_id}")
async def unban_member(request: web.Request) -> web.Response:
    backend(request).unban(
        bot_app(request), request.match_info["guild_id"], request.match_info["user_id"], audit_reason(request)
    )
    return no_content()


@routes.delete(API_PREFIX + "/users/@me/guilds/{guild_id}")
async def leave_guild(request: web.Request) -> web.Response:
    guild = _guild_of_bot(request)
    backend(request).remove_bot(guild.id, bot_app(request).id)
    return no_content()
