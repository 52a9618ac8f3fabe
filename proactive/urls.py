"""Routes of proactive messages in the dashboard; included under ``discord/`` (they are a
server's pages)."""

from __future__ import annotations

from django.urls import path

from proactive import views

urlpatterns = [
    path(
        "servers/<int:server_id>/proactive/",
        views.proactive_history,
        name="discord_proactive",
    ),
    path(
        "servers/<int:server_id>/proactive/panel/",
        views.proactive_panel,
        name="discord_proactive_panel",
    ),
    path(
        "servers/<int:server_id>/proactive/preview/",
        views.proactive_preview,
        name="discord_proactive_preview",
    ),
    path(
        "servers/<int:server_id>/proactive/send/",
        views.proactive_send,
        name="discord_proactive_send",
    ),
]
