from __future__ import annotations

from django.apps import AppConfig


class DiscordBotConfig(AppConfig):
    name = "integrations.discordbot"
    label = "discordbot"
    verbose_name = "Discord"

    def ready(self) -> None:
        # The core reaches Discord through ports it looks up by source; this app brings
        # Discord's (the core never imports the Discord integration's code).
        from conversations.tasks import SENDERS
        from integrations.discordbot.agent_messages import post_agent_message
        from integrations.discordbot.ports import ProactivePoster
        from proactive.port import POSTERS

        SENDERS["discord"] = post_agent_message
        POSTERS["discord"] = ProactivePoster
