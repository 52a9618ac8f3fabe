"""Fixtures that run the real gateway bot (discord.py) against the Discord simulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from assistant.providers.registry import reset_providers
from devtools.discord_simulator import DiscordSimulator
from devtools.discord_simulator.permissions import BOT_DEFAULT, MODERATOR
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints
from integrations.discordbot.gateway import GuildmindBot
from integrations.discordbot.models import BotApplication
from integrations.discordbot.servers import ServerDirectory
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from pipeline.messages import Pipeline

APP_ID = "710000000000000001"
TOKEN = "test-bot-token"

FAQ = """# Billing

## Refunds
Refunds are issued to the original payment method within 5 business days of approval.
To ask for a refund, open a ticket in #support with your order number.

## Plans
The Starter plan costs $39 a month and includes 2,500 messages.

# Shipping
Orders ship from our Lisbon warehouse every weekday. International delivery takes 7 to 12 days.
"""


@dataclass
class Running:
    sim: DiscordSimulator
    bot: GuildmindBot
    guild: Any
    member: Any
    general: str

    async def ask(
        self, content: str, *, author_id: str | None = None, mention: bool = True
    ) -> dict[str, Any]:
        return await self.sim.post_message(
            self.guild.id,
            self.general,
            author_id or self.member.user.id,
            content,
            mention_bot_of=APP_ID if mention else None,
        )

    async def settle(self, message: dict[str, Any], timeout: float = 5.0) -> None:
        """Wait until the bot has received ``message`` (and everything before it) and has
        finished processing: no fixed sleeps that a busy machine can outrun."""
        wanted = int(message["id"])
        for _ in range(int(timeout / 0.01)):
            if self.bot.last_seen_message_id >= wanted:
                break
            await asyncio.sleep(0.01)
        else:
            raise TimeoutError(f"the bot never received message {wanted}")
        await self.bot.drain()

    async def reply_to(self, message: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        return await self.sim.wait_for_message(
            self.general,
            author_id=APP_ID,
            predicate=lambda m: (m.get("message_reference") or {}).get("message_id") == message["id"],
            timeout=timeout,
        )


@pytest.fixture
def slow_answers(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every answer takes 0.6 s: time for something to happen while the AI thinks."""
    monkeypatch.setenv("SLOW_PROVIDER_SECONDS", "0.6")
    settings.AI_PROVIDER = "devtools.slow_provider.SlowProvider"
    reset_providers()
    yield
    reset_providers()


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSimulator]:
    simulator = DiscordSimulator()
    await simulator.start()
    previous = current_discord_endpoints()
    configure_discord_endpoints(simulator.api_base_url, simulator.gateway_url)
    yield simulator
    configure_discord_endpoints(*previous)
    await simulator.stop()


@pytest.fixture
async def running(sim: DiscordSimulator, workspace: Any) -> AsyncIterator[Running]:
    sim.add_application(APP_ID, TOKEN, bot_name="Guildmind")
    await BotApplication.objects.acreate(application_id=APP_ID, is_shared=True, bot_token=TOKEN)
    source = await sync_to_async(add_text_source)(workspace, title="Help Center", text=FAQ, enqueue=False)
    await sync_to_async(ingest_source)(source.pk)
    # The bot may moderate (delete, kick, ban, timeout); its role sits above members'.
    guild = sim.add_guild("Alice's Guild", bot_tokens=[TOKEN], bot_permissions=BOT_DEFAULT | MODERATOR)
    member = sim.add_member(guild.id, "mia")
    servers = ServerDirectory()
    bot = GuildmindBot(pipeline=Pipeline(servers), application_id=APP_ID)
    task = asyncio.create_task(bot.start(TOKEN))
    await sim.wait_until_connected(APP_ID)
    # The guild is recorded on GUILD_CREATE, then loaded into the bot's settings: until
    # then the bot ignores the guild's messages (a busy machine can take a while).
    for _ in range(500):
        if servers.get(int(guild.id)) is not None:
            break
        await asyncio.sleep(0.02)
    try:
        yield Running(sim=sim, bot=bot, guild=guild, member=member, general=guild.channels["general"].id)
    finally:
        await bot.close()
        await bot.drain()
        with contextlib.suppress(asyncio.CancelledError):
            await task
