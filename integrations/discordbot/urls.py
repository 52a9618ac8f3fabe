from __future__ import annotations

from django.urls import include, path

from integrations.discordbot import webhook

urlpatterns = [
    path("webhook/", webhook.interactions_webhook, name="discord_webhook"),
    path("", include("integrations.discordbot.setup_urls")),
    path("", include("integrations.discordbot.custom_bot_urls")),
    path("", include("integrations.discordbot.sandbox_urls")),
]
