"""Routes of proactive messages in the dashboard; included under ``discord/``."""

from __future__ import annotations

from django.urls import path

from integrations.discordbot import proactive_views

urlpatterns = [
    path(
        "servers/<int:server_id>/proactive/",
        proactive_views.proactive_history,
        name="discord_proactive",
    ),
    path(
        "servers/<int:server_id>/proactive/panel/",
        proactive_views.proactive_panel,
        name="discord_proactive_panel",
    ),
    path(
        "servers/<int:server_id>/proactive/preview/",
        proactive_views.proactive_preview,
        name="discord_proactive_preview",
    ),
    path(
        "servers/<int:server_id>/proactive/send/",
        proactive_views.proactive_send,
        name="discord_proactive_send",
    ),
]
