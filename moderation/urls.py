"""Routes of the moderation pages; included under ``discord/`` (they are a server's pages)."""

from __future__ import annotations

from django.urls import path

from moderation import views

urlpatterns = [
    path("servers/<int:server_id>/moderation/", views.moderation_log, name="moderation_log"),
]
