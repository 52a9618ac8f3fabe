"""The interactions endpoint's side of slash commands (/ask) and of clicks on the answers'
feedback buttons (``components.answer_click``) and on forum posts' Solved buttons
(``solving``, answered by ``tasks.solve_post``): ``accept_interaction``
acknowledges at once (``webhook.py`` calls it) and enqueues ``tasks.answer_interaction``,
whose body is ``answers.answer_ask``. An /ask over the gateway is answered in
``gateway.py`` through the same ``answers`` claims."""

from __future__ import annotations

import logging
import time
from typing import Any

from integrations.discordbot import tasks
from integrations.discordbot.answers import MalformedInteraction
from integrations.discordbot.commands import ASK
from integrations.discordbot.components import MESSAGE_COMPONENT, answer_click, click_from_payload
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.solving import DEFERRED_EPHEMERAL, is_solve, solve_click
from pipeline.ask import NOT_THIS_BOT
from pipeline.solved import SolveClick

log = logging.getLogger(__name__)

PING, APPLICATION_COMMAND = 1, 2
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 1, 4, 5
EPHEMERAL = 1 << 6
# guild id -> (monotonic expiry, id of the application it is connected to, or None)
_guild_applications: dict[str, tuple[float, str | None]] = {}
GUILD_CACHE_SECONDS = 5.0
GUILD_CACHE_MAX_ENTRIES = 65536


def accept_interaction(app: BotApplication, payload: dict[str, Any]) -> dict[str, Any]:
    """Acknowledge an interaction at once; the answer follows from a job.

    Returns the interaction response body. Raises MalformedInteraction for a payload
    that is not an interaction. A redelivered interaction is acknowledged again but
    answered once. A PING does no I/O (the endpoint answers it on the event loop)."""
    kind = payload.get("type")
    if kind == PING:
        return {"type": PONG}
    if kind == MESSAGE_COMPONENT:
        click_guild, clicker, custom_id = click_from_payload(payload)
        if is_solve(custom_id):
            # Tagging a forum post takes REST calls: a job does it, the member waits in private.
            click = solve_click(app.application_id, payload)
            if not isinstance(click, SolveClick):
                return click
            tasks.solve_post(payload, app.pk)
            return DEFERRED_EPHEMERAL
        # A click on an answer's feedback buttons: answered here, it is a quick write.
        return answer_click(app.application_id, click_guild, clicker, custom_id)
    if kind != APPLICATION_COMMAND:
        raise MalformedInteraction(f"unsupported interaction type {kind!r}")
    data = payload.get("data")
    interaction_id = payload.get("id")
    if not isinstance(data, dict) or not isinstance(interaction_id, str) or not payload.get("token"):
        raise MalformedInteraction("an application command needs id, token and data")
    if data.get("name") != ASK:
        return _ephemeral(f"I don't know the command /{data.get('name')}.")
    guild_id = payload.get("guild_id")
    if not guild_id:
        return _ephemeral("/ask works in servers, not in direct messages.")
    connected = _connected_application(str(guild_id))
    if connected is not None and connected != app.application_id:
        # Signed by a real application, but not the one this server is connected to: the
        # server's workspace is not read, nothing is recorded or counted.
        log.info("/ask of application %s in guild %s, which is connected to another bot", app.pk, guild_id)
        return _ephemeral(NOT_THIS_BOT)
    # No database write here: the worker records the interaction when it claims it, which
    # is also where a redelivery is recognised (measured: the write set /ask's p99).
    tasks.answer_interaction(payload, app.pk, time.time())
    return {"type": DEFERRED_CHANNEL_MESSAGE}


def _connected_application(guild_id: str) -> str | None:
    """The application id of the bot this guild is connected to (None for a guild no
    workspace has), cached for a few seconds: Discord may send many /ask in a burst."""
    now = time.monotonic()
    entry = _guild_applications.get(guild_id)
    if entry is not None and entry[0] > now:
        return entry[1]
    application_id = (
        DiscordServer.objects.filter(guild_id=guild_id)
        .values_list("application__application_id", flat=True)
        .first()
    )
    if len(_guild_applications) >= GUILD_CACHE_MAX_ENTRIES:
        _guild_applications.clear()  # crude, but keeps the cache bounded
    _guild_applications[guild_id] = (now + GUILD_CACHE_SECONDS, application_id)
    return application_id


def clear_guild_cache() -> None:
    _guild_applications.clear()


def _ephemeral(text: str) -> dict[str, Any]:
    return {
        "type": CHANNEL_MESSAGE,
        "data": {"content": text, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}},
    }
