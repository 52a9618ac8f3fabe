"""Fixtures: a fresh Discord simulator per test, a seeded world, and discord.py clients connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest

from devtools.discord_simulator import DiscordSimulator
from devtools.discord_simulator.state import Guild, Member
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints

APP_ID = "1180000000000000001"
TOKEN = "sim-bot-token"
CONTENT_INTENTS = discord.Intents(guilds=True, guild_messages=True, message_content=True)

# Guildmind never uses voice; without this discord.py warns once that davey is missing.
discord.VoiceClient.warn_dave = False


class FastClient(discord.Client):
    """discord.py waits 5 s before every identify after the first (Discord's session start rate
    limit); the simulator has none, and the tests would be slow."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


class FastShardedClient(discord.AutoShardedClient):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


@dataclass
class World:
    sim: DiscordSimulator
    guild: Guild
    member: Member

    @property
    def general(self) -> str:
        return self.guild.channels["general"].id


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSimulator]:
    simulator = DiscordSimulator()
    await simulator.start()
    saved = current_discord_endpoints()
    configure_discord_endpoints(simulator.api_base_url, simulator.gateway_url)
    try:
        yield simulator
    finally:
        configure_discord_endpoints(*saved)
        await simulator.stop()


@pytest.fixture
def world(sim: DiscordSimulator) -> World:
    sim.add_application(APP_ID, TOKEN)
    guild = sim.add_guild("Alice's Workshop", bot_tokens=(TOKEN,))
    member = sim.add_member(guild.id, "carol")
    return World(sim, guild, member)


StartClient = Callable[..., Awaitable[Any]]


@pytest.fixture
async def start_client() -> AsyncIterator[StartClient]:
    """``await start_client(intents=..., cls=FastClient, token=TOKEN, **options)`` returns a
    discord.py client once it is ready; every client is closed (and its task awaited) afterwards."""
    running: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def start(
        *, intents: discord.Intents = CONTENT_INTENTS, cls: type[discord.Client] = FastClient, **options: Any
    ) -> Any:
        token = options.pop("token", TOKEN)
        client = cls(
            intents=intents,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            guild_ready_timeout=0.05,
            **options,
        )
        task = asyncio.create_task(client.start(token))
        running.append((client, task))
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=3.0, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # re-raises why the client stopped
            raise TimeoutError("the discord.py client did not become ready within 3 s")
        return client

    yield start
    for client, task in running:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 2.0)
