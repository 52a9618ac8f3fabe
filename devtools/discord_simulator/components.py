"""Message components (action rows of buttons) and a member clicking a button.

Validation follows Discord's documented rules for the classic layout: top-level components
are action rows (type 1) of one to five buttons (type 2); a button has a style 1 to 5, a label
(at most 80 characters) or an emoji, and, unless it is a link (style 5), a ``custom_id`` of
at most 100 characters, unique within the message. A click is a MESSAGE_COMPONENT
interaction (type 3) carrying ``data.custom_id``, ``data.component_type`` and the message.
Discord only delivers clicks on buttons that exist, so :func:`build_click` refuses others.
"""

from __future__ import annotations

import secrets
from typing import Any

from . import errors
from . import permissions as perms
from .actions import Backend
from .interactions import InteractionRecord
from .messages import wire
from .payloads import channel_payload, member_payload

ACTION_ROW, BUTTON = 1, 2
LINK = 5
MESSAGE_COMPONENT = 3


def validate_components(components: Any) -> None:
    """Raises Discord's 400 for components it would refuse."""
    if not isinstance(components, list) or len(components) > 5:
        raise errors.invalid_form("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for r, row in enumerate(components):
        where = f"components.{r}"
        if not isinstance(row, dict) or row.get("type") != ACTION_ROW:
            raise errors.invalid_form(f"{where}.type", "UNION_TYPE_CHOICES", "Value must be an action row.")
        children = row.get("components")
        if not isinstance(children, list) or not 1 <= len(children) <= 5:
            raise errors.invalid_form(
                f"{where}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
            )
        for b, button in enumerate(children):
            _validate_button(button, f"{where}.components.{b}", seen)


def _validate_button(button: Any, where: str, seen: set[str]) -> None:
    if not isinstance(button, dict) or button.get("type") != BUTTON:
        raise errors.invalid_form(f"{where}.type", "UNION_TYPE_CHOICES", "Only buttons are modelled.")
    style = button.get("style")
    if style not in (1, 2, 3, 4, 5):
        raise errors.invalid_form(
            f"{where}.style", "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4, 5)."
        )
    label = button.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 80):
        raise errors.invalid_form(f"{where}.label", "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
    if not label and not button.get("emoji"):
        raise errors.invalid_form(where, "BUTTON_COMPONENT_INVALID", "A button needs a label or an emoji.")
    if style == LINK:
        return
    custom_id = button.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        raise errors.invalid_form(
            f"{where}.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    if custom_id in seen:
        raise errors.invalid_form(
            f"{where}.custom_id",
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated.",
        )
    seen.add(custom_id)


def custom_ids(message: dict[str, Any]) -> list[str]:
    """The custom ids of the message's buttons, in order."""
    return [
        str(button["custom_id"])
        for row in message.get("components") or []
        for button in row.get("components") or []
        if button.get("custom_id")
    ]


def build_click(backend: Backend, message_id: str, user_id: str, custom_id: str) -> dict[str, Any]:
    """Registers and returns the MESSAGE_COMPONENT interaction of ``user_id`` clicking the
    button ``custom_id`` of the bot's message ``message_id`` (its token works for callbacks)."""
    state = backend.state
    message = state.messages_by_id.get(str(message_id))
    if message is None or message["id"] in state.deleted_message_ids:
        raise errors.unknown("Message")
    if custom_id not in custom_ids(message):
        raise ValueError(f"message {message_id} has no button {custom_id!r}")
    application_id = str(message.get("application_id") or message["author"]["id"])
    app = state.application(application_id)
    guild = state.guild(str(message["guild_id"]))
    channel = guild.channel_by_id(str(message["channel_id"]))
    if channel is None:
        raise errors.unknown("Channel")
    member = state.member(guild, str(user_id))
    member_perms = perms.member_permissions(guild, member)
    interaction_id = state.snowflakes.next()
    token = f"sim-interaction-{secrets.token_urlsafe(48)}"
    payload: dict[str, Any] = {
        "id": interaction_id,
        "application_id": app.id,
        "type": MESSAGE_COMPONENT,
        "data": {"custom_id": custom_id, "component_type": BUTTON},
        "message": wire(message),
        "guild_id": guild.id,
        "guild": {"id": guild.id, "locale": "en-US", "features": []},
        "guild_locale": "en-US",
        "channel_id": channel.id,
        "channel": {**channel_payload(channel), "permissions": str(member_perms)},
        "member": {**member_payload(member), "permissions": str(member_perms)},
        "token": token,
        "version": 1,
        "app_permissions": str(perms.member_permissions(guild, state.bot_member(guild, app))),
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": guild.id},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    state.interactions[interaction_id] = InteractionRecord(
        interaction_id, token, app.id, guild.id, channel.id, member.id, "", payload
    )
    return payload
