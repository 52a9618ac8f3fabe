"""Routes of the Sandbox page; included under ``discord/``."""

from __future__ import annotations

from django.urls import path

from integrations.discordbot import sandbox_views

urlpatterns = [
    path("sandbox/", sandbox_views.sandbox, name="sandbox"),
    path("sandbox/post/", sandbox_views.sandbox_post, name="sandbox_post"),
    path("sandbox/click/", sandbox_views.sandbox_click, name="sandbox_click"),
    path("sandbox/messages/", sandbox_views.sandbox_messages, name="sandbox_messages"),
]
