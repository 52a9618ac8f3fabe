"""An agent's message posted in Discord: the sender conversations.tasks looks up for
"discord" (registered by this app when Django starts)."""

from __future__ import annotations

from conversations.models import Message
from conversations.tasks import Undeliverable, team_text
from integrations.discordbot.models import DiscordServer
from integrations.discordbot.ports import REST_CLIENTS, ClientPort
from pipeline.port import ActionError

POST_TIMEOUT_SECONDS = 30.0
# Discord's answers that trying again cannot change.
REFUSALS = {400, 401, 403, 404}


def post_agent_message(message: Message) -> str:
    """Post in the conversation's channel through the server's bot (a REST-only discord.py
    client, as /ask answers are). A reply to the member's latest message, so it reads as an
    answer to them: it pings that member only, never @everyone or roles. Returns its id."""
    conversation = message.conversation
    server = (
        DiscordServer.objects.select_related("application")
        .filter(guild_id=conversation.place_id, workspace_id=conversation.workspace_id, connected=True)
        .first()
    )
    if server is None or not server.application.bot_token:
        raise Undeliverable("gone")
    app, channel_id, text = server.application, conversation.channel_id, team_text(message)
    answered = (
        conversation.messages.filter(
            role=Message.Role.MEMBER, id__lt=message.pk, external_id__regex=r"^[0-9]+$"
        )
        .order_by("-id")
        .values_list("external_id", flat=True)
        .first()
    )

    async def work() -> str:
        port = ClientPort(await REST_CLIENTS.client(app.application_id, app.bot_token))
        try:
            if answered:
                return await port.reply(channel_id, answered, text)
            return await port.send(channel_id, text)
        except ActionError as exc:
            if exc.status in REFUSALS:
                raise Undeliverable(str(exc.status)) from exc
            raise

    return REST_CLIENTS.run(work, timeout=POST_TIMEOUT_SECONDS)
