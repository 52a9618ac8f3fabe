"""What the gateway records of the bot's permissions in a guild (discord.py connected to
the simulator for real) reaches the server settings page: an enabled action the bot
lacks the permission for is named there, in Discord's words."""

from __future__ import annotations

import html
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from devtools.discord_simulator import DiscordSimulator
from devtools.discord_simulator.permissions import BOT_DEFAULT, MODERATOR
from integrations.discordbot.models import DiscordServer
from integrations.discordbot.supervisor import Supervisor
from tests.discordbot.conftest import TOKEN
from tests.discordbot.test_supervisor_e2e import eventually, supervised

__all__ = ["supervised"]  # the fixture these tests share

pytestmark = pytest.mark.django_db(transaction=True)


async def recorded(sim: DiscordSimulator, workspace: Any, permissions: int) -> DiscordServer:
    """A guild the bot joins with ``permissions``, once the gateway recorded them, in
    ``workspace`` with moderation on and kicks enabled."""
    guild = sim.add_guild("Facts", bot_tokens=[TOKEN], bot_permissions=permissions)

    async def facts() -> DiscordServer | None:
        return await DiscordServer.objects.filter(guild_id=guild.id, facts_at__isnull=False).afirst()

    await eventually(facts)
    server = await facts()
    assert server is not None
    await DiscordServer.objects.filter(pk=server.pk).aupdate(
        workspace=workspace,
        moderation_enabled=True,
        moderation_rules="No spam.",
        moderation_delete=True,
        moderation_kick=True,
    )
    return server


async def settings_page(alice: Any, server: DiscordServer) -> str:
    client = Client()
    await sync_to_async(client.force_login)(alice)
    response = await sync_to_async(client.get)(reverse("discord_server_settings", args=[server.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


async def test_a_bot_without_kick_members_is_warned_about_on_the_settings_page(
    sim: DiscordSimulator, supervised: Supervisor, workspace: Any, alice: Any
) -> None:
    server = await recorded(sim, workspace, BOT_DEFAULT)
    text = await settings_page(alice, server)
    assert 'id="lacking-permissions"' in text
    assert "The bot lacks “Manage Messages”, “Kick Members” in this server" in text


async def test_a_bot_with_its_moderation_permissions_gets_no_warning(
    sim: DiscordSimulator, supervised: Supervisor, workspace: Any, alice: Any
) -> None:
    server = await recorded(sim, workspace, BOT_DEFAULT | MODERATOR)
    text = await settings_page(alice, server)
    assert 'id="lacking-permissions"' not in text
    assert "The bot lacks" not in text
