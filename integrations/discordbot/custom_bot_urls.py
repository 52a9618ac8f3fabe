"""Routes of the custom bot section; included under ``discord/``."""

from __future__ import annotations

from django.urls import path

from integrations.discordbot import custom_bot_views

urlpatterns = [
    path("custom-bot/", custom_bot_views.custom_bot, name="discord_custom_bot"),
    path("custom-bot/remove/", custom_bot_views.custom_bot_remove, name="discord_custom_bot_remove"),
]
