"""Slash commands (/ask), whichever way Discord delivers them: the HTTP interactions
endpoint (``webhook.py``) or the gateway (``gateway.py``). Both call ``accept_interaction``
and both end in the same job, ``tasks.answer_interaction``."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.discordbot.models import BotApplication, DiscordServer, Interaction
from integrations.discordbot.pipeline import NOT_THIS_BOT, AskRequest, handle_ask
from integrations.discordbot.ports import REST_CLIENTS, InteractionResponder
from integrations.discordbot.servers import ServerSettings

log = logging.getLogger(__name__)

PING, APPLICATION_COMMAND = 1, 2
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 1, 4, 5
EPHEMERAL = 1 << 6
# Discord lets an interaction token edit its response for 15 minutes.
TOKEN_LIFETIME = timedelta(minutes=15)
# Not worth starting an answer that could not be delivered before the token expires.
TOKEN_MARGIN = timedelta(seconds=30)
ASK = "ask"
# guild id -> (monotonic expiry, id of the application it is connected to, or None)
_guild_applications: dict[str, tuple[float, str | None]] = {}
GUILD_CACHE_SECONDS = 5.0
GUILD_CACHE_MAX_ENTRIES = 65536


class MalformedInteraction(ValueError):
    """The payload is not an interaction we can read (the endpoint answers 400)."""


def accept_interaction(app: BotApplication, payload: dict[str, Any]) -> dict[str, Any]:
    """Acknowledge an interaction at once; the answer follows from a job.

    Returns the interaction response body. Raises MalformedInteraction for a payload
    that is not an interaction. A redelivered interaction is acknowledged again but
    answered once. A PING does no I/O (the endpoint answers it on the event loop)."""
    kind = payload.get("type")
    if kind == PING:
        return {"type": PONG}
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
    from integrations.discordbot.tasks import answer_interaction

    # No database write here: the worker records the interaction when it claims it, which
    # is also where a redelivery is recognised (measured: the write set /ask's p99).
    answer_interaction(payload, app.pk, time.time())
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


def ask_from_payload(payload: dict[str, Any], *, bot_name: str = "Guildmind") -> AskRequest:
    """The /ask carried by an interaction payload (raises MalformedInteraction)."""
    try:
        member = payload.get("member") or {}
        user = member.get("user") or payload.get("user") or {}
        options = {o["name"]: o.get("value") for o in (payload.get("data") or {}).get("options") or []}
        channel_id = payload.get("channel_id") or (payload.get("channel") or {}).get("id")
        return AskRequest(
            interaction_id=str(payload["id"]),
            application_id=str(payload["application_id"]),
            guild_id=int(payload["guild_id"]),
            channel_id=int(str(channel_id)),
            user_id=int(user["id"]),
            user_name=str(member.get("nick") or user.get("global_name") or user.get("username") or ""),
            question=str(options.get("question") or ""),
            bot_name=bot_name,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedInteraction(f"cannot read the /ask interaction: {exc!r}") from exc


def server_settings(guild_id: int) -> ServerSettings | None:
    row = (
        DiscordServer.objects.select_related("application", "workspace")
        .filter(guild_id=str(guild_id))
        .first()
    )
    return ServerSettings.from_row(row) if row is not None else None


def answer_ask(payload: dict[str, Any], application_pk: int, received_at: float) -> None:
    """The worker's side of an /ask acknowledged by the HTTP endpoint at ``received_at``
    (epoch seconds): answer it through the interaction webhook with a REST-only discord.py
    client. Sync; never raises.

    The worker claims the interaction by recording it: a redelivered one (already
    recorded) is skipped, and one whose token has expired is dropped with a log line."""
    app = BotApplication.objects.filter(pk=application_pk).first()
    if app is None:
        log.warning("application %s is gone; not answering interaction %s", application_pk, payload.get("id"))
        return
    try:
        ask = ask_from_payload(payload, bot_name=app.name or "Guildmind")
    except MalformedInteraction:
        log.exception("cannot answer interaction %s", payload.get("id"))
        return
    age = timedelta(seconds=max(0.0, time.time() - received_at))
    expired = age >= TOKEN_LIFETIME - TOKEN_MARGIN
    state = Interaction.State.EXPIRED if expired else Interaction.State.ANSWERING
    interaction = _claim(app, ask, state, received_at)
    if interaction is None:
        log.info("interaction %s was delivered again; it is answered once", ask.interaction_id)
        return
    if expired:
        log.warning("dropping /ask %s: received %s ago, its token has expired", ask.interaction_id, age)
        return
    try:
        server = server_settings(ask.guild_id)

        async def work() -> str:
            client = await REST_CLIENTS.client(app.application_id, app.bot_token)
            port = InteractionResponder(client, app.application_id, str(payload["token"]))
            return await handle_ask(ask, server, port)

        outcome = REST_CLIENTS.run(work, timeout=(TOKEN_LIFETIME - age).total_seconds())
    except Exception as exc:
        log.exception("/ask %s could not be answered", ask.interaction_id)
        _finish(interaction, Interaction.State.FAILED, repr(exc))
        return
    _finish(interaction, _final_state(outcome), "")


def _claim(app: BotApplication, ask: AskRequest, state: str, received_at: float) -> Interaction | None:
    """Record the interaction in ``state``; None when it was already recorded."""
    try:
        with transaction.atomic():
            return Interaction.objects.create(
                interaction_id=ask.interaction_id,
                application=app,
                guild_id=str(ask.guild_id),
                channel_id=str(ask.channel_id),
                user_id=str(ask.user_id),
                command=ASK,
                state=state,
                received_at=datetime.fromtimestamp(received_at, tz=UTC),
            )
    except IntegrityError:
        return None


def claim_gateway_interaction(app_id: str, ask: AskRequest) -> bool:
    """Record an /ask that arrived over the gateway (answered in the gateway process);
    False when it was already recorded."""
    app = BotApplication.objects.filter(application_id=app_id).first()
    if app is None:
        return False
    return _claim(app, ask, Interaction.State.ANSWERING, time.time()) is not None


def finish_interaction(interaction_id: str, outcome: str) -> None:
    Interaction.objects.filter(interaction_id=interaction_id).update(
        state=_final_state(outcome), finished_at=timezone.now()
    )


def _final_state(outcome: str) -> str:
    # "failed" (an apology) and "failed:deliver" (Discord refused the answer) alike.
    return Interaction.State.FAILED if outcome.startswith("failed") else Interaction.State.ANSWERED


def _finish(interaction: Interaction, state: str, error: str) -> None:
    Interaction.objects.filter(pk=interaction.pk).update(state=state, error=error, finished_at=timezone.now())
