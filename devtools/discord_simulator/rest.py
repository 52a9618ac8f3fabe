"""The REST API under ``/api/v10``: the middleware every route shares, plus users and gateway routes.

The middleware parses the body once, authenticates ``Authorization: Bot <token>``, records the call,
applies injected failures, renders :class:`errors.ApiError` as Discord's JSON, and adds Discord's
rate-limit headers to every response.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from aiohttp import BodyPartReader, web

from . import errors, rest_apps, rest_channels, rest_guilds, rest_threads
from .actions import Backend
from .payloads import application_payload, current_user_payload, user_payload
from .permissions import member_permissions
from .recorder import Call, FailureRule
from .state import Application
from .web_helpers import (
    API_PREFIX,
    BACKEND,
    BODY,
    BOT_APP,
    FILES,
    Handler,
    backend,
    bot_app,
    error_response,
    is_public,
    json_response,
    public,
    ratelimit_headers,
)

routes = web.RouteTableDef()


def build_app(sim_backend: Backend) -> web.Application:
    app = web.Application(middlewares=[_discord_api], client_max_size=32 * 1024 * 1024)
    app[BACKEND] = sim_backend
    app.router.add_get("/gateway", sim_backend.hub.handle)
    app.router.add_get("/gateway/", sim_backend.hub.handle)
    for table in (routes, rest_channels.routes, rest_guilds.routes, rest_apps.routes, rest_threads.routes):
        app.add_routes(table)
    return app


@web.middleware
async def _discord_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX + "/"):
        return await handler(request)
    if request.match_info.http_exception is not None:
        status = request.match_info.http_exception.status
        return json_response(
            {"message": f"{status}: {request.match_info.http_exception.reason}", "code": 0}, status
        )
    sim = backend(request)
    try:
        await _parse_body(request)
    except ValueError:
        return error_response(errors.ApiError(400, 50109, "The request body contains invalid JSON."))
    app = _authenticated_app(sim, request)
    request[BOT_APP] = app
    call = Call(
        request.method, request.path[len(API_PREFIX) :], request.get(BODY), app.bot.id if app else None
    )
    sim.recorder.record(call)
    bucket = hashlib.md5(f"{request.method} {request.match_info.route.resource}".encode()).hexdigest()  # noqa: S324
    rule = sim.recorder.take_failure(call)
    if rule is not None:
        return _injected_failure(rule, bucket)
    if app is None and not is_public(request):
        response: web.StreamResponse = error_response(errors.unauthorized())
    else:
        try:
            response = await handler(request)
        except errors.ApiError as error:
            response = error_response(error)
    response.headers.update(ratelimit_headers(bucket))
    return response


def _authenticated_app(sim: Backend, request: web.Request) -> Application | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bot" or not token:
        return None
    return sim.state.application_by_token(token.strip())


async def _parse_body(request: web.Request) -> None:
    """Stores the parsed body in ``request["body"]`` and uploaded files in ``request["files"]``."""
    files: list[dict[str, Any]] = []
    parsed: Any = None
    if request.content_type == "application/json":
        text = await request.text()
        parsed = json.loads(text) if text else None
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                parsed = json.loads(await part.text())
            elif part.filename:
                data = await part.read()
                files.append(
                    {
                        "filename": part.filename,
                        "size": len(data),
                        "content_type": part.headers.get("Content-Type"),
                    }
                )
    elif request.content_type == "application/x-www-form-urlencoded":
        parsed = dict(await request.post())
    request[BODY] = parsed
    request[FILES] = files


def _injected_failure(rule: FailureRule, bucket: str) -> web.Response:
    if rule.status == 429:
        headers = ratelimit_headers(bucket, remaining=0, reset_after=rule.retry_after)
        headers.update({"Retry-After": str(math.ceil(rule.retry_after)), "X-RateLimit-Scope": "user"})
        body = {"message": "You are being rate limited.", "retry_after": rule.retry_after, "global": False}
        return json_response(body, 429, headers)
    reason = web.Response(status=rule.status).reason
    return json_response(
        {"message": f"{rule.status}: {reason}", "code": 0}, rule.status, ratelimit_headers(bucket)
    )


@routes.get(API_PREFIX + "/users/@me")
async def current_user(request: web.Request) -> web.Response:
    return json_response(current_user_payload(bot_app(request).bot))


@routes.get(API_PREFIX + "/users/@me/guilds")
async def current_user_guilds(request: web.Request) -> web.Response:
    app = bot_app(request)
    guilds = backend(request).state.guilds_of(app)
    return json_response(
        [
            {
                "id": g.id,
                "name": g.name,
                "icon": None,
                "banner": None,
                "owner": False,
                "permissions": str(member_permissions(g, g.members[app.bot.id])),
                "features": [],
            }
            for g in guilds
            if app.bot.id in g.members
        ]
    )


@routes.get(API_PREFIX + "/users/{user_id}")
async def get_user(request: web.Request) -> web.Response:
    bot_app(request)
    return json_response(user_payload(backend(request).state.user(request.match_info["user_id"])))


@routes.get(API_PREFIX + "/oauth2/applications/@me")
async def current_application(request: web.Request) -> web.Response:
    app = bot_app(request)
    return json_response(application_payload(app, app.owner))


@routes.get(API_PREFIX + "/gateway")
@public
async def gateway(request: web.Request) -> web.Response:
    return json_response({"url": backend(request).hub.gateway_url})


@routes.get(API_PREFIX + "/gateway/bot")
async def gateway_bot(request: web.Request) -> web.Response:
    app = bot_app(request)
    limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
    return json_response(
        {
            "url": backend(request).hub.gateway_url,
            "shards": app.recommended_shards,
            "session_start_limit": limit,
        }
    )
