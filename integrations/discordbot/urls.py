from __future__ import annotations

from django.urls import path

from integrations.discordbot import webhook

urlpatterns = [
    path("webhook/", webhook.interactions_webhook, name="discord_webhook"),
]
