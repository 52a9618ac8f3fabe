"""Slash-command interactions: building Discord's payload, and the callback/webhook follow-up flow.

An interaction is registered when built, so its token works for callbacks whether the payload was
delivered over the gateway or (signed) over HTTP to the bot's interactions endpoint.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import errors
from . import permissions as perms
from .actions import Backend
from .messages import EPHEMERAL, TYPE_CHAT_INPUT_COMMAND, build_message, validate_body, wire
from .payloads import channel_payload, member_payload, user_payload

LOADING = 1 << 7
TYPE_REPLY_TO_COMPONENT = 19  # Discord shows a button's response as a reply
CHANNEL_MESSAGE_WITH_SOURCE = 4
DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
_CALLBACK_TYPES = {1, 4, 5, 6, 7, 8, 9, 10, 12}

Options = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


@dataclass
class InteractionRecord:
    id: str
    token: str
    application_id: str
    guild_id: str
    channel_id: str
    user_id: str
    command_name: str
    payload: dict[str, Any]
    responses: list[dict[str, Any]] = field(default_factory=list)  # callback bodies, in order
    original_message_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)


def build_interaction(
    backend: Backend,
    application_id: str,
    guild_id: str,
    channel_id: str,
    user_id: str,
    command_name: str,
    options: Options = None,
) -> InteractionRecord:
    """Registers and returns a CHAT_INPUT application-command interaction shaped like Discord's.

    ``options`` is Discord's option list, or a ``{name: value}`` mapping whose types are inferred.
    """
    state = backend.state
    app = state.application(application_id)
    guild = state.guild(guild_id)
    channel = guild.channel_by_id(str(channel_id))
    if channel is None:
        raise errors.unknown("Channel")
    member = state.member(guild, user_id)
    bot = state.bot_member(guild, app)
    interaction_id = state.snowflakes.next()
    token = f"sim-interaction-{secrets.token_urlsafe(48)}"
    member_perms = perms.member_permissions(guild, member)
    payload: dict[str, Any] = {
        "id": interaction_id,
        "application_id": app.id,
        "type": 2,
        "data": {
            "id": _command_id(backend, app.id, guild.id, command_name),
            "name": command_name,
            "type": 1,
            "options": _options(options),
            "guild_id": guild.id,
        },
        "guild_id": guild.id,
        "guild": {"id": guild.id, "locale": "en-US", "features": []},
        "guild_locale": "en-US",
        "channel_id": channel.id,
        "channel": {**channel_payload(channel), "permissions": str(member_perms)},
        "member": {**member_payload(member), "permissions": str(member_perms)},
        "token": token,
        "version": 1,
        "app_permissions": str(perms.member_permissions(guild, bot)),
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": guild.id},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    record = InteractionRecord(
        interaction_id, token, app.id, guild.id, channel.id, member.id, command_name, payload
    )
    state.interactions[interaction_id] = record
    return record


def respond(
    backend: Backend, interaction_id: str, token: str, body: dict[str, Any], *, with_response: bool
) -> dict[str, Any] | None:
    """``POST /interactions/{id}/{token}/callback``; returns the callback resource when asked for."""
    record = backend.state.interactions.get(interaction_id)
    if record is None or not secrets.compare_digest(record.token, token):
        raise errors.unknown("Interaction")
    if record.responses:
        raise errors.already_acknowledged()
    callback_type = body.get("type")
    if callback_type not in _CALLBACK_TYPES:
        raise errors.invalid_form(
            "type", "BASE_TYPE_CHOICES", f"Value must be one of {sorted(_CALLBACK_TYPES)}."
        )
    data = dict(body.get("data") or {})
    message = None
    if callback_type == CHANNEL_MESSAGE_WITH_SOURCE:
        validate_body(data)
        message = _publish(backend, record, data)
    elif callback_type == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
        data = {"content": "", "flags": LOADING | (int(data.get("flags") or 0) & EPHEMERAL)}
        message = _publish(backend, record, data)
    record.responses.append(dict(body))
    if message is not None:
        record.original_message_id = message["id"]
    backend.recorder.notify()
    if not with_response:
        return None
    flags = message["flags"] if message else 0
    summary: dict[str, Any] = {"id": record.id, "type": 2}
    resource: dict[str, Any] = {"type": callback_type}
    if message is not None:
        summary.update(
            response_message_id=message["id"],
            response_message_loading=bool(flags & LOADING),
            response_message_ephemeral=bool(flags & EPHEMERAL),
        )
        resource["message"] = wire(message)
    return {"interaction": summary, "resource": resource}


def by_webhook(backend: Backend, application_id: str, token: str) -> InteractionRecord:
    for record in backend.state.interactions.values():
        if record.application_id == application_id and secrets.compare_digest(record.token, token):
            return record
    raise errors.unknown("Webhook")


def original_message(backend: Backend, record: InteractionRecord) -> dict[str, Any]:
    if record.original_message_id is None:
        raise errors.unknown("Message")
    return backend.state.message(record.channel_id, record.original_message_id)


def followup_message(backend: Backend, record: InteractionRecord, message_id: str) -> dict[str, Any]:
    if message_id == "@original":
        return original_message(backend, record)
    if message_id not in record.followup_ids:
        raise errors.unknown("Message")
    return backend.state.message(record.channel_id, message_id)


def edit_webhook_message(backend: Backend, message: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Edits an interaction message; the first edit of a deferred response ends its loading state."""
    message["flags"] &= ~LOADING
    edit = {k: v for k, v in body.items() if k != "flags"}
    if edit.get("components") is not None:
        from .components import validate_components

        validate_components(edit["components"])
    guild = backend.state.guilds.get(message.get("guild_id") or "")
    backend.edit_message(guild, message, edit)
    return message


def send_followup(backend: Backend, record: InteractionRecord, body: dict[str, Any]) -> dict[str, Any]:
    if not record.responses:
        raise errors.unknown("Webhook")
    validate_body(body)
    message = _publish(backend, record, body)
    record.followup_ids.append(message["id"])
    return message


def _publish(backend: Backend, record: InteractionRecord, data: dict[str, Any]) -> dict[str, Any]:
    state = backend.state
    app = state.application(record.application_id)
    guild = state.guild(record.guild_id)
    message = build_message(
        state,
        channel_id=record.channel_id,
        guild=guild,
        author=app.bot,
        body=data,
        message_type=TYPE_CHAT_INPUT_COMMAND,
    )
    user = state.user(record.user_id)
    kind = int(record.payload.get("type") or 2)
    if kind != 2:  # a button's response: no command behind it
        message.update(webhook_id=app.id, application_id=app.id, type=TYPE_REPLY_TO_COMPONENT)
        message["interaction_metadata"] = {
            "id": record.id,
            "type": kind,
            "user": user_payload(user),
            "authorizing_integration_owners": {"0": guild.id},
            "interacted_message_id": (record.payload.get("message") or {}).get("id"),
        }
        backend.publish_message(message, by_bot=True)
        return message
    message.update(
        webhook_id=app.id,
        application_id=app.id,
        interaction_metadata={
            "id": record.id,
            "type": 2,
            "name": record.command_name,
            "command_type": 1,
            "user": user_payload(user),
            "authorizing_integration_owners": {"0": guild.id},
        },
        interaction={"id": record.id, "type": 2, "name": record.command_name, "user": user_payload(user)},
    )
    backend.publish_message(message, by_bot=True)
    return message


def _command_id(backend: Backend, application_id: str, guild_id: str, name: str) -> str:
    app = backend.state.application(application_id)
    for command in [*app.guild_commands.get(guild_id, []), *app.global_commands]:
        if command["name"] == name:
            return str(command["id"])
    return backend.state.snowflakes.next()


def _options(options: Options) -> list[dict[str, Any]]:
    if options is None:
        return []
    if isinstance(options, Mapping):
        return [
            {"name": name, "type": _option_type(value), "value": value} for name, value in options.items()
        ]
    return [dict(option) for option in options]


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3
