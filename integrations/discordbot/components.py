"""Clicks on the buttons under the bot's answers (Discord's MESSAGE_COMPONENT interactions),
from the HTTP endpoint and the gateway alike: checked against the server's connected bot
and workspace, then handed to ``pipeline.feedback``; the answer is the interaction
response (an ephemeral message, seen by the member who clicked only)."""

from __future__ import annotations

import logging
from typing import Any

from integrations.discordbot.feedback_buttons import PERSON, UP, parse_click, person_button
from integrations.discordbot.models import DiscordServer
from pipeline import feedback
from pipeline.ask import NOT_THIS_BOT

log = logging.getLogger(__name__)

MESSAGE_COMPONENT = 3
CHANNEL_MESSAGE = 4
EPHEMERAL = 1 << 6
NOT_OURS = "This button isn't one of this bot's."


def click_from_payload(payload: dict[str, Any]) -> tuple[str, str, str]:
    """(guild id, member's user id, custom_id) of a component interaction; empty strings
    where the payload lacks them."""
    member = payload.get("member") or {}
    user = member.get("user") or payload.get("user") or {}
    data = payload.get("data") or {}
    return (
        str(payload.get("guild_id") or ""),
        str(user.get("id") or "") if isinstance(user, dict) else "",
        str(data.get("custom_id") or "") if isinstance(data, dict) else "",
    )


def answer_click(application_id: str, guild_id: str, user_id: str, custom_id: str) -> dict[str, Any]:
    """The interaction response to a click delivered to (and signed for) ``application_id``.
    Sync (database); never raises for a stranger's payload."""
    click = parse_click(custom_id)
    if click is None or not guild_id.isdigit() or not user_id.isdigit():
        return ephemeral(NOT_OURS)
    server = (
        DiscordServer.objects.filter(guild_id=guild_id)
        .values("application__application_id", "workspace_id", "connected")
        .first()
    )
    if server is None or server["workspace_id"] is None or not server["connected"]:
        return ephemeral(NOT_OURS)
    if server["application__application_id"] != application_id:
        # Signed by a real application, but not the one this server is connected to:
        # nothing of the server's workspace is read or written.
        log.info("click of application %s in guild %s, connected to another bot", application_id, guild_id)
        return ephemeral(NOT_THIS_BOT)
    workspace_id = int(server["workspace_id"])
    if click.choice == PERSON:
        result = feedback.ask_for_person(workspace_id, guild_id, click.question_id, user_id)
    else:
        result = feedback.rate(workspace_id, guild_id, click.question_id, user_id, helpful=click.choice == UP)
    return ephemeral(result.text, person_button(click.question_id) if result.offer_person else None)


def ephemeral(text: str, components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"content": text, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}}
    if components:
        data["components"] = components
    return {"type": CHANNEL_MESSAGE, "data": data}
