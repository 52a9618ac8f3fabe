"""Answering an /ask that Discord delivered: the worker's job body for the HTTP endpoint
(``answer_ask``, run by ``tasks.answer_interaction``), and the claims the gateway records
when /ask arrives over its connection. Both answer through ``pipeline.ask.handle_ask``
and record each interaction once."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.discordbot.commands import ASK
from integrations.discordbot.models import BotApplication, DiscordServer, Interaction
from integrations.discordbot.ports import REST_CLIENTS, InteractionResponder
from integrations.discordbot.servers import settings_of
from pipeline.ask import AskRequest, handle_ask
from pipeline.servers import ServerSettings

log = logging.getLogger(__name__)

# Discord lets an interaction token edit its response for 15 minutes.
TOKEN_LIFETIME = timedelta(minutes=15)
# Not worth starting an answer that could not be delivered before the token expires.
TOKEN_MARGIN = timedelta(seconds=30)


class MalformedInteraction(ValueError):
    """The payload is not an interaction we can read (the endpoint answers 400)."""


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
    return settings_of(row) if row is not None else None


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
