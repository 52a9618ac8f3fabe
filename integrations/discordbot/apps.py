from __future__ import annotations

from django.apps import AppConfig


class DiscordBotConfig(AppConfig):
    name = "integrations.discordbot"
    label = "discordbot"
    verbose_name = "Discord"

    def ready(self) -> None:
        # The core reaches Discord through ports it looks up by source; this app brings
        # Discord's (the core never imports the Discord integration's code).
        from integrations.discordbot.ports import ProactivePoster
        from proactive.port import POSTERS

        POSTERS["discord"] = ProactivePoster
