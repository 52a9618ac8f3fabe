"""Slash commands (/ask), whichever way Discord delivers them: the HTTP interactions
endpoint (``webhook.py``) or the gateway (``gateway.py``). Both call ``accept_interaction``
and both end in the same job, ``tasks.answer_interaction``."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.discordbot.models import BotApplication, DiscordServer, Interaction
from integrations.discordbot.pipeline import AskRequest, handle_ask
from integrations.discordbot.responder import REST_CLIENTS, InteractionResponder
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
    if not payload.get("guild_id"):
        return _ephemeral("/ask works in servers, not in direct messages.")
    _record_and_enqueue(app, payload)
    return {"type": DEFERRED_CHANNEL_MESSAGE}


def _ephemeral(text: str) -> dict[str, Any]:
    return {
        "type": CHANNEL_MESSAGE,
        "data": {"content": text, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}},
    }


def _record_and_enqueue(app: BotApplication, payload: dict[str, Any]) -> None:
    from integrations.discordbot.tasks import answer_interaction

    user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
    try:
        with transaction.atomic():
            Interaction.objects.create(
                interaction_id=payload["id"],
                application=app,
                guild_id=str(payload.get("guild_id") or ""),
                channel_id=str(payload.get("channel_id") or (payload.get("channel") or {}).get("id") or ""),
                user_id=str(user.get("id") or ""),
                command=ASK,
                received_at=timezone.now(),
            )
            transaction.on_commit(lambda: answer_interaction(payload))
    except IntegrityError:
        log.info("interaction %s delivered again; it is answered once", payload["id"])


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


def answer_ask(payload: dict[str, Any]) -> None:
    """The worker's side of an /ask acknowledged by the HTTP endpoint: answer it through
    the interaction webhook with a REST-only discord.py client. Sync; never raises.

    An interaction whose token has expired is dropped with a log line, one already
    answered (a duplicate job) is skipped."""
    interaction = (
        Interaction.objects.select_related("application").filter(interaction_id=payload.get("id")).first()
    )
    if interaction is None:
        log.warning("no record of interaction %s; not answering it", payload.get("id"))
        return
    age = timezone.now() - interaction.received_at
    if age >= TOKEN_LIFETIME - TOKEN_MARGIN:
        Interaction.objects.filter(pk=interaction.pk, state=Interaction.State.QUEUED).update(
            state=Interaction.State.EXPIRED, finished_at=timezone.now()
        )
        log.warning(
            "dropping /ask %s: received %s ago, its token has expired", interaction.interaction_id, age
        )
        return
    claimed = Interaction.objects.filter(pk=interaction.pk, state=Interaction.State.QUEUED).update(
        state=Interaction.State.ANSWERING
    )
    if not claimed:
        log.info("interaction %s is already being answered", interaction.interaction_id)
        return
    app = interaction.application
    try:
        ask = ask_from_payload(payload, bot_name=app.name or "Guildmind")
        server = server_settings(ask.guild_id)

        async def work() -> str:
            client = await REST_CLIENTS.client(app.application_id, app.bot_token)
            port = InteractionResponder(client, app.application_id, str(payload["token"]))
            return await handle_ask(ask, server, port)

        outcome = REST_CLIENTS.run(work, timeout=(TOKEN_LIFETIME - age).total_seconds())
    except Exception as exc:
        log.exception("/ask %s could not be answered", interaction.interaction_id)
        _finish(interaction, Interaction.State.FAILED, repr(exc))
        return
    failed = outcome == "failed"
    _finish(interaction, Interaction.State.FAILED if failed else Interaction.State.ANSWERED, "")


def claim_gateway_interaction(app_id: str, ask: AskRequest) -> bool:
    """Record an /ask that arrived over the gateway (answered in the gateway process);
    False when it was already recorded."""
    app = BotApplication.objects.filter(application_id=app_id).first()
    if app is None:
        return False
    try:
        with transaction.atomic():
            Interaction.objects.create(
                interaction_id=ask.interaction_id,
                application=app,
                guild_id=str(ask.guild_id),
                channel_id=str(ask.channel_id),
                user_id=str(ask.user_id),
                command=ASK,
                state=Interaction.State.ANSWERING,
                received_at=timezone.now(),
            )
    except IntegrityError:
        return False
    return True


def finish_interaction(interaction_id: str, outcome: str) -> None:
    state = Interaction.State.FAILED if outcome == "failed" else Interaction.State.ANSWERED
    Interaction.objects.filter(interaction_id=interaction_id).update(state=state, finished_at=timezone.now())


def _finish(interaction: Interaction, state: str, error: str) -> None:
    Interaction.objects.filter(pk=interaction.pk).update(state=state, error=error, finished_at=timezone.now())
