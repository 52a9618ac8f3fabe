"""Thread routes: start a thread (from a message or not, forum posts included), edit (archive,
lock, tags) and delete one, join and leave it, list a guild's active threads."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import errors, threads
from . import permissions as perms
from .messages import validate_body, wire
from .payloads import thread_member_payload, thread_payload
from .state import GUILD_FORUM, PRIVATE_THREAD, Application, Channel, Guild
from .web_helpers import API_PREFIX, backend, body, bot_app, json_response, no_content

routes = web.RouteTableDef()

CHANNEL = API_PREFIX + "/channels/{channel_id}"


def _channel(request: web.Request, app: Application) -> tuple[Guild, Channel]:
    state = backend(request).state
    guild, channel = state.guild_channel(request.match_info["channel_id"])
    bot = state.bot_member(guild, app)
    if not threads.can_see(guild, bot, channel):
        raise errors.missing_access()
    return guild, channel


def _thread(request: web.Request, app: Application) -> tuple[Guild, Channel]:
    guild, channel = _channel(request, app)
    if channel.thread is None:
        raise errors.ApiError(400, 50024, "Cannot execute action on this channel type")
    return guild, channel


def _archive_duration(data: dict[str, Any]) -> int:
    return int(data.get("auto_archive_duration") or 1440)


@routes.post(CHANNEL + "/messages/{message_id}/threads")
async def start_thread_from_message(request: web.Request) -> web.Response:
    app = bot_app(request)
    guild, parent = _channel(request, app)
    message = backend(request).state.message(parent.id, request.match_info["message_id"])
    data = body(request) or {}
    thread = threads.start_thread(
        backend(request),
        guild,
        parent,
        app.bot,
        str(data.get("name") or ""),
        from_message=message,
        auto_archive_duration=_archive_duration(data),
    )
    return json_response(thread_payload(thread), 201)


@routes.post(CHANNEL + "/threads")
async def start_thread_without_message(request: web.Request) -> web.Response:
    app = bot_app(request)
    guild, parent = _channel(request, app)
    data = body(request) or {}
    sim = backend(request)
    starter = data.get("message")
    if parent.type == GUILD_FORUM:
        if not isinstance(starter, dict):
            raise errors.invalid_form("message", "BASE_TYPE_REQUIRED", "This field is required")
        validate_body(starter)
    thread = threads.start_thread(
        sim,
        guild,
        parent,
        app.bot,
        str(data.get("name") or ""),
        thread_type=int(data.get("type") or PRIVATE_THREAD),  # Discord's default without a type
        auto_archive_duration=_archive_duration(data),
        invitable=bool(data.get("invitable", True)),
        applied_tags=list(data.get("applied_tags") or []),
    )
    payload = thread_payload(thread)
    if parent.type == GUILD_FORUM and isinstance(starter, dict):
        payload["message"] = wire(threads.post_forum_starter(sim, guild, thread, app.bot, starter))
    return json_response(payload, 201)


@routes.patch(CHANNEL)
async def edit_thread(request: web.Request) -> web.Response:
    app = bot_app(request)
    guild, thread = _thread(request, app)
    bot = backend(request).state.bot_member(guild, app)
    threads.update_thread(backend(request), guild, thread, dict(body(request) or {}), bot)
    return json_response(thread_payload(thread))


@routes.delete(CHANNEL)
async def delete_thread(request: web.Request) -> web.Response:
    app = bot_app(request)
    guild, thread = _thread(request, app)
    if not perms.has_permission(guild, backend(request).state.bot_member(guild, app), perms.MANAGE_THREADS):
        raise errors.missing_permissions()
    threads.delete_thread(backend(request), guild, thread)
    return json_response(thread_payload(thread))


@routes.put(CHANNEL + "/thread-members/{user_id}")
async def join_thread(request: web.Request) -> web.Response:
    app = bot_app(request)
    guild, thread = _thread(request, app)
    user_id = request.match_info["user_id"]
    user_id = app.bot.id if user_id == "@me" else user_id
    assert thread.thread is not None
    if thread.thread.archived:
        raise errors.ApiError(400, 50083, "Thread is archived")
    backend(request).state.member(guild, user_id)
    threads.add_member(backend(request), guild, thread, user_id)
    return no_content()


@routes.delete(CHANNEL + "/thread-members/{user_id}")
async def leave_thread(request: web.Request) -> web.Response:
    app = bot_app(request)
    guild, thread = _thread(request, app)
    user_id = request.match_info["user_id"]
    user_id = app.bot.id if user_id == "@me" else user_id
    if user_id != app.bot.id and not perms.has_permission(
        guild, backend(request).state.bot_member(guild, app), perms.MANAGE_THREADS
    ):
        raise errors.missing_permissions()
    threads.remove_member(backend(request), guild, thread, user_id)
    return no_content()


@routes.get(CHANNEL + "/thread-members")
async def list_thread_members(request: web.Request) -> web.Response:
    _, thread = _thread(request, bot_app(request))
    assert thread.thread is not None
    return json_response([thread_member_payload(thread, user_id) for user_id in thread.thread.member_ids])


@routes.get(API_PREFIX + "/guilds/{guild_id}/threads/active")
async def active_threads(request: web.Request) -> web.Response:
    app = bot_app(request)
    state = backend(request).state
    guild = state.guild(request.match_info["guild_id"])
    bot = state.bot_member(guild, app)
    listed = [
        t
        for t in guild.threads.values()
        if t.thread and not t.thread.archived and threads.can_see(guild, bot, t)
    ]
    members = [thread_member_payload(t, bot.id) for t in listed if t.thread and bot.id in t.thread.member_ids]
    return json_response({"threads": [thread_payload(t) for t in listed], "members": members})
