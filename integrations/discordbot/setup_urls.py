"""Routes of the Discord setup pages; included under ``discord/``."""

from __future__ import annotations

from django.urls import path

from integrations.discordbot import setup

urlpatterns = [
    path("servers/", setup.servers, name="discord_servers"),
    path("setup/", setup.setup, name="discord_setup"),
    path("install/", setup.install, name="discord_install"),
    path("callback/", setup.callback, name="discord_install_callback"),
    path("servers/<int:server_id>/settings/", setup.server_settings, name="discord_server_settings"),
    path("servers/<int:server_id>/disconnect/", setup.server_disconnect, name="discord_server_disconnect"),
]
