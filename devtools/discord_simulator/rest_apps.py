"""Application routes: slash-command registration, interaction callbacks and webhooks, OAuth2 tokens."""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from aiohttp import web

from . import errors
from . import interactions as flows
from .messages import wire
from .payloads import guild_payload
from .state import Application
from .web_helpers import API_PREFIX, BODY, backend, body, bot_app, json_response, no_content, public

routes = web.RouteTableDef()

APP_COMMANDS = API_PREFIX + "/applications/{application_id}/commands"
GUILD_COMMANDS = API_PREFIX + "/applications/{application_id}/guilds/{guild_id}/commands"
WEBHOOK = API_PREFIX + "/webhooks/{application_id}/{token}"
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


# --- application commands ----------------------------------------------------------------


def _commands(request: web.Request) -> tuple[Application, list[dict[str, Any]], str | None]:
    """The authenticated app (which must own the URL's application) and the command list addressed."""
    app = bot_app(request)
    if request.match_info["application_id"] != app.id:
        raise errors.missing_access()
    guild_id = request.match_info.get("guild_id")
    if guild_id is None:
        return app, app.global_commands, None
    guild = backend(request).state.guild(guild_id)
    if app.id not in guild.application_ids:
        raise errors.missing_access()
    return app, app.guild_commands.setdefault(guild.id, []), guild.id


def _command(request: web.Request, app: Application, guild_id: str | None, data: Any, existing: list) -> dict:
    if not isinstance(data, dict) or not _COMMAND_NAME.match(str(data.get("name", ""))):
        raise errors.invalid_form("name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    command_type = int(data.get("type") or 1)
    if command_type == 1 and not 1 <= len(str(data.get("description") or "")) <= 100:
        raise errors.invalid_form(
            "description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    previous = next((c for c in existing if c["name"] == data["name"] and c["type"] == command_type), None)
    state = backend(request).state
    command = {
        "options": [],
        "default_member_permissions": None,
        "dm_permission": True,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        **data,
        "id": previous["id"] if previous else state.snowflakes.next(),
        "application_id": app.id,
        "type": command_type,
        "description": data.get("description") or "",
        "version": state.snowflakes.next(),
    }
    if guild_id is not None:
        command["guild_id"] = guild_id
    return command


@routes.get(APP_COMMANDS)
@routes.get(GUILD_COMMANDS)
async def list_commands(request: web.Request) -> web.Response:
    _, commands, _ = _commands(request)
    return json_response(commands)


@routes.put(APP_COMMANDS)
@routes.put(GUILD_COMMANDS)
async def overwrite_commands(request: web.Request) -> web.Response:
    app, commands, guild_id = _commands(request)
    data = request.get(BODY) or []
    if not isinstance(data, list):
        raise errors.invalid_form("_root", "LIST_TYPE_CONVERT", "Must be an array.")
    new = [_command(request, app, guild_id, item, commands) for item in data]
    commands[:] = new
    return json_response(new)


@routes.post(APP_COMMANDS)
@routes.post(GUILD_COMMANDS)
async def upsert_command(request: web.Request) -> web.Response:
    app, commands, guild_id = _commands(request)
    command = _command(request, app, guild_id, body(request), commands)
    replaced = [i for i, c in enumerate(commands) if c["id"] == command["id"]]
    if replaced:
        commands[replaced[0]] = command
    else:
        commands.append(command)
    return json_response(command, 200 if replaced else 201)


@routes.delete(APP_COMMANDS + "/{command_id}")
@routes.delete(GUILD_COMMANDS + "/{command_id}")
async def delete_command(request: web.Request) -> web.Response:
    _, commands, _ = _commands(request)
    kept = [c for c in commands if c["id"] != request.match_info["command_id"]]
    if len(kept) == len(commands):
        raise errors.unknown("application command")
    commands[:] = kept
    return no_content()


# --- interactions ------------------------------------------------------------------------


@routes.post(API_PREFIX + "/interactions/{interaction_id}/{token}/callback")
@public
async def interaction_callback(request: web.Request) -> web.Response:
    with_response = request.query.get("with_response", "").lower() in {"1", "true"}
    result = flows.respond(
        backend(request),
        request.match_info["interaction_id"],
        request.match_info["token"],
        body(request),
        with_response=with_response,
    )
    return no_content() if result is None else json_response(result)


def _record(request: web.Request) -> flows.InteractionRecord:
    return flows.by_webhook(
        backend(request), request.match_info["application_id"], request.match_info["token"]
    )


@routes.get(WEBHOOK + "/messages/{message_id}")
@public
async def get_webhook_message(request: web.Request) -> web.Response:
    message = flows.followup_message(backend(request), _record(request), request.match_info["message_id"])
    return json_response(wire(message))


@routes.patch(WEBHOOK + "/messages/{message_id}")
@public
async def edit_webhook_message(request: web.Request) -> web.Response:
    sim = backend(request)
    message = flows.followup_message(sim, _record(request), request.match_info["message_id"])
    return json_response(wire(flows.edit_webhook_message(sim, message, body(request))))


@routes.delete(WEBHOOK + "/messages/{message_id}")
@public
async def delete_webhook_message(request: web.Request) -> web.Response:
    sim = backend(request)
    sim.delete_message(flows.followup_message(sim, _record(request), request.match_info["message_id"]))
    return no_content()


@routes.post(WEBHOOK)
@public
async def send_followup(request: web.Request) -> web.Response:
    message = flows.send_followup(backend(request), _record(request), body(request))
    if request.query.get("wait", "").lower() in {"1", "true"}:
        return json_response(wire(message))
    return no_content()


# --- OAuth2 ------------------------------------------------------------------------------


@routes.post(API_PREFIX + "/oauth2/token")
@public
async def oauth_token(request: web.Request) -> web.Response:
    """The authorization-code grant; a bot-scope code answers with the guild, like Discord."""
    form = body(request)
    client_id, client_secret = _client_credentials(request, form)
    state = backend(request).state
    app = state.applications.get(client_id or "")
    if app is None or not secrets.compare_digest(app.client_secret, client_secret or ""):
        return json_response({"error": "invalid_client"}, 401)
    if form.get("grant_type") != "authorization_code":
        return json_response({"error": "unsupported_grant_type"}, 400)
    code = state.oauth_codes.get(str(form.get("code", "")))
    if code is None or code.application_id != app.id or code.redirect_uri != form.get("redirect_uri"):
        return json_response(
            {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'}, 400
        )
    del state.oauth_codes[code.code]  # codes are single-use
    token = {
        "token_type": "Bearer",
        "access_token": secrets.token_urlsafe(24),
        "expires_in": 604800,
        "refresh_token": secrets.token_urlsafe(24),
        "scope": code.scope,
    }
    if "bot" in code.scope.split():
        token["guild"] = guild_payload(state.guild(code.guild_id))
    return json_response(token)


def _client_credentials(request: web.Request, form: dict[str, Any]) -> tuple[str | None, str | None]:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Basic" and encoded:
        try:
            basic_id, _, basic_secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return None, None
        return basic_id, basic_secret
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    return (str(form_id) if form_id else None), (str(form_secret) if form_secret else None)
