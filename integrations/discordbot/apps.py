from django.apps import AppConfig


class DiscordBotConfig(AppConfig):
    name = "integrations.discordbot"
    label = "discordbot"
    verbose_name = "Discord"
