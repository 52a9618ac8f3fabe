"""Message objects: validation, mention resolution under ``allowed_mentions``, and content visibility.

Stored messages are Discord's gateway shape plus one simulator-only key, ``allowed_mentions`` (what
the sender asked for, or None), so tests can assert "no @everyone/role pings". :func:`wire` strips it.
"""

from __future__ import annotations

import re
from typing import Any

from . import errors
from .payloads import member_payload, user_payload
from .state import Guild, Member, SimState, User, now_iso

MAX_CONTENT = 2000
SIM_ONLY_KEYS = ("allowed_mentions",)
EPHEMERAL = 1 << 6

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)\b")

TYPE_DEFAULT = 0
TYPE_REPLY = 19
TYPE_CHAT_INPUT_COMMAND = 20


def validate_body(body: dict[str, Any], *, attachments: int = 0) -> None:
    """Raises Discord's 400s for over-long or empty messages."""
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise errors.invalid_form("content", "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    if content is not None and len(content) > MAX_CONTENT:
        raise errors.invalid_form(
            "content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length."
        )
    if body.get("components") is not None:
        from .components import validate_components

        validate_components(body["components"])
    if len(body.get("embeds") or []) > 10:
        raise errors.invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    if not (
        content or body.get("embeds") or body.get("sticker_ids") or body.get("components") or attachments
    ):
        raise errors.empty_message()


def build_message(
    state: SimState,
    *,
    channel_id: str,
    guild: Guild | None,
    author: User,
    body: dict[str, Any],
    referenced: dict[str, Any] | None = None,
    message_type: int | None = None,
) -> dict[str, Any]:
    """A new message dict (not stored) from a request-like ``body``, resolving its mentions."""
    content = body.get("content") or ""
    allowed = body.get("allowed_mentions")
    mentions, role_ids, everyone = _resolve_mentions(state, guild, content, allowed, referenced)
    member = guild.members.get(author.id) if guild is not None else None
    message: dict[str, Any] = {
        "id": state.snowflakes.next(),
        "type": message_type if message_type is not None else (TYPE_REPLY if referenced else TYPE_DEFAULT),
        "channel_id": channel_id,
        "author": user_payload(author),
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": everyone,
        "mentions": [_mention_payload(guild, user) for user in mentions],
        "mention_roles": role_ids,
        "attachments": list(body.get("attachments") or []),
        "embeds": list(body.get("embeds") or []),
        "components": list(body.get("components") or []),
        "pinned": False,
        "flags": int(body.get("flags") or 0),
        "allowed_mentions": allowed,
    }
    if body.get("nonce") is not None:
        message["nonce"] = body["nonce"]
    if guild is not None:
        message["guild_id"] = guild.id
    if member is not None:
        message["member"] = member_payload(member, with_user=False)
    if referenced is not None:
        message["message_reference"] = {
            "type": 0,
            "channel_id": referenced["channel_id"],
            "message_id": referenced["id"],
            **({"guild_id": guild.id} if guild is not None else {}),
        }
        message["referenced_message"] = wire(referenced)
    return message


def apply_edit(state: SimState, guild: Guild | None, message: dict[str, Any], body: dict[str, Any]) -> None:
    """Applies a PATCH body (content, embeds, components, flags, allowed_mentions) in place."""
    for key in ("content", "embeds", "components", "attachments"):
        if key in body and body[key] is not None:
            message[key] = body[key]
    if "flags" in body and body["flags"] is not None:
        message["flags"] = int(body["flags"])
    if "allowed_mentions" in body:
        message["allowed_mentions"] = body["allowed_mentions"]
    mentions, role_ids, everyone = _resolve_mentions(
        state, guild, message["content"], message["allowed_mentions"], None
    )
    message["mentions"] = [_mention_payload(guild, user) for user in mentions]
    message["mention_roles"] = role_ids
    message["mention_everyone"] = everyone
    message["edited_timestamp"] = now_iso()


def wire(message: dict[str, Any]) -> dict[str, Any]:
    """The message as Discord sends it (without simulator-only keys)."""
    return {k: v for k, v in message.items() if k not in SIM_ONLY_KEYS}


def visible_to(message: dict[str, Any], bot_id: str, *, has_content_intent: bool) -> dict[str, Any]:
    """The message as a bot sees it: content-like fields empty unless it has the MESSAGE_CONTENT
    intent, is mentioned, or wrote the message (Discord's rule)."""
    payload = wire(message)
    mentioned = any(m["id"] == bot_id for m in message["mentions"])
    if has_content_intent or mentioned or message["author"]["id"] == bot_id:
        return payload
    payload.update(content="", embeds=[], attachments=[], components=[])
    payload.pop("poll", None)
    return payload


def _resolve_mentions(
    state: SimState,
    guild: Guild | None,
    content: str,
    allowed: dict[str, Any] | None,
    referenced: dict[str, Any] | None,
) -> tuple[list[User], list[str], bool]:
    """Users, role ids and @everyone that actually ping, honouring ``allowed_mentions``.

    Without ``allowed_mentions`` everything in the content pings and so does the replied-to author;
    with it, only what ``parse``/``users``/``roles`` allow, and the replied-to author only when
    ``replied_user`` is true.
    """
    parse = set(allowed.get("parse") or []) if allowed is not None else {"users", "roles", "everyone"}
    allowed_users = {str(u) for u in (allowed.get("users") or [])} if allowed is not None else set()
    allowed_roles = {str(r) for r in (allowed.get("roles") or [])} if allowed is not None else set()
    replied_user = bool(allowed.get("replied_user", False)) if allowed is not None else True

    users: list[User] = []
    for user_id in dict.fromkeys(_USER_MENTION.findall(content)):
        if ("users" in parse or user_id in allowed_users) and user_id in state.users:
            users.append(state.users[user_id])
    if referenced is not None and replied_user:
        author = state.users.get(referenced["author"]["id"])
        if author is not None and author not in users:
            users.append(author)
    role_ids = [
        role_id
        for role_id in dict.fromkeys(_ROLE_MENTION.findall(content))
        if guild is not None and role_id in guild.roles and ("roles" in parse or role_id in allowed_roles)
    ]
    everyone = "everyone" in parse and _EVERYONE.search(content) is not None
    return users, role_ids, everyone


def _mention_payload(guild: Guild | None, user: User) -> dict[str, Any]:
    payload = user_payload(user)
    member: Member | None = guild.members.get(user.id) if guild is not None else None
    if member is not None:
        payload["member"] = member_payload(member, with_user=False)
    return payload
