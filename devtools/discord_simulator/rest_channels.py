"""Channel and message routes: read channels, send/read/edit/delete messages, typing, DM channels."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import errors, threads
from .messages import wire
from .payloads import channel_payload, dm_channel_payload
from .state import Application
from .web_helpers import API_PREFIX, FILES, audit_reason, backend, body, bot_app, json_response, no_content

routes = web.RouteTableDef()

CHANNEL = API_PREFIX + "/channels/{channel_id}"


def _check_channel_access(request: web.Request, app: Application, channel_id: str) -> None:
    state = backend(request).state
    dm = state.dm_channels.get(channel_id)
    if dm is not None:
        if dm.bot_id != app.bot.id:
            raise errors.missing_access()
        return
    guild, channel = state.guild_channel(channel_id)
    if not threads.can_see(guild, state.bot_member(guild, app), channel):
        raise errors.missing_access()


@routes.get(CHANNEL)
async def get_channel(request: web.Request) -> web.Response:
    app = bot_app(request)
    channel_id = request.match_info["channel_id"]
    _check_channel_access(request, app, channel_id)
    state = backend(request).state
    if channel_id in state.dm_channels:
        return json_response(dm_channel_payload(state.dm_channels[channel_id]))
    return json_response(channel_payload(state.guild_channel(channel_id)[1]))


@routes.get(CHANNEL + "/messages")
async def list_messages(request: web.Request) -> web.Response:
    app = bot_app(request)
    channel_id = request.match_info["channel_id"]
    _check_channel_access(request, app, channel_id)
    messages = backend(request).state.live_messages(channel_id)
    query = request.query
    limit = max(1, min(100, int(query.get("limit", "50"))))
    if "after" in query:
        after = int(query["after"])
        picked = [m for m in messages if int(m["id"]) > after][:limit]
    elif "around" in query:
        around = int(query["around"])
        older = [m for m in messages if int(m["id"]) <= around][-(limit // 2 + 1) :]
        newer = [m for m in messages if int(m["id"]) > around][: limit - len(older)]
        picked = older + newer
    else:
        before = int(query.get("before", str(1 << 63)))
        picked = [m for m in messages if int(m["id"]) < before][-limit:]
    # Discord returns newest first.
    return json_response([wire(m) for m in sorted(picked, key=lambda m: int(m["id"]), reverse=True)])


@routes.post(CHANNEL + "/messages")
async def create_message(request: web.Request) -> web.Response:
    app = bot_app(request)
    channel_id = request.match_info["channel_id"]
    payload = dict(body(request))
    files = request.get(FILES) or []
    if files:
        payload["attachments"] = _attachments(request, channel_id, files)
    message = backend(request).send_as_bot(app, channel_id, payload, attachments=len(files))
    return json_response(wire(message))


@routes.get(CHANNEL + "/messages/{message_id}")
async def get_message(request: web.Request) -> web.Response:
    app = bot_app(request)
    channel_id = request.match_info["channel_id"]
    _check_channel_access(request, app, channel_id)
    return json_response(wire(backend(request).state.message(channel_id, request.match_info["message_id"])))


@routes.patch(CHANNEL + "/messages/{message_id}")
async def edit_message(request: web.Request) -> web.Response:
    app = bot_app(request)
    message = backend(request).edit_as_bot(
        app, request.match_info["channel_id"], request.match_info["message_id"], body(request)
    )
    return json_response(wire(message))


@routes.delete(CHANNEL + "/messages/{message_id}")
async def delete_message(request: web.Request) -> web.Response:
    app = bot_app(request)
    backend(request).delete_as_bot(
        app, request.match_info["channel_id"], request.match_info["message_id"], audit_reason(request)
    )
    return no_content()


@routes.post(CHANNEL + "/typing")
async def trigger_typing(request: web.Request) -> web.Response:
    _check_channel_access(request, bot_app(request), request.match_info["channel_id"])
    return no_content()


@routes.post(API_PREFIX + "/users/@me/channels")
async def open_dm(request: web.Request) -> web.Response:
    app = bot_app(request)
    state = backend(request).state
    recipient = state.user(str(body(request).get("recipient_id")))
    return json_response(dm_channel_payload(state.dm_channel_for(app, recipient)))


def _attachments(request: web.Request, channel_id: str, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    state = backend(request).state
    attachments = []
    for file in files:
        attachment_id = state.snowflakes.next()
        url = f"http://{request.host}/attachments/{channel_id}/{attachment_id}/{file['filename']}"
        attachments.append(
            {
                "id": attachment_id,
                "filename": file["filename"],
                "size": file["size"],
                "url": url,
                "proxy_url": url,
                "content_type": file["content_type"],
            }
        )
    return attachments
