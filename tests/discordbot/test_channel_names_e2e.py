"""The gateway keeps channel names for the dashboard: from GUILD_CREATE, and refreshed on
CHANNEL_CREATE and CHANNEL_UPDATE (discord.py connected to the simulator for real)."""

from __future__ import annotations

import asyncio

import pytest

from integrations.discordbot.models import DiscordServer
from tests.discordbot.conftest import Running

pytestmark = pytest.mark.django_db(transaction=True)


async def names_until(running: Running, wanted: dict[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for _ in range(250):
        server = await DiscordServer.objects.aget(guild_id=running.guild.id)
        names = server.channel_names
        if all(names.get(k) == v for k, v in wanted.items()):
            break
        await asyncio.sleep(0.02)
    return names


async def test_the_guilds_channels_are_named_when_it_comes_online(running: Running) -> None:
    channels = running.guild.channels
    wanted = {channels["general"].id: "general", channels["support"].id: "support"}
    assert await names_until(running, wanted) == wanted


async def test_a_new_channel_and_a_renamed_one_are_named(running: Running) -> None:
    added = running.sim.add_channel(running.guild.id, "announcements")
    running.sim.rename_channel(running.guild.id, running.general, "lobby")
    names = await names_until(running, {added.id: "announcements", running.general: "lobby"})
    assert names[added.id] == "announcements"
    assert names[running.general] == "lobby"
