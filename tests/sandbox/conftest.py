"""The sandbox's simulator, served from a thread of its own so Django's test client (sync)
can reach its control API exactly as the web process does."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devtools.discord_simulator import DiscordSimulator
from devtools.discord_simulator.control import seed_sandbox
from devtools.discord_simulator.state import Guild
from integrations.discordbot.sandbox import SANDBOX_APPLICATION_ID, SANDBOX_GUILD_ID, ensure_sandbox

KEY = "test-sandbox-key"


@dataclass
class ThreadedSandbox:
    sim: DiscordSimulator
    guild: Guild
    server: Any

    def channel(self, name: str) -> str:
        return self.guild.channels[name].id

    def member(self, name: str) -> str:
        return next(m.id for m in self.guild.members.values() if m.user.username == name)

    def messages(self, name: str) -> list[dict[str, Any]]:
        return self.sim.messages(self.channel(name))


@pytest.fixture
def sandbox(settings: Any, workspace: Any) -> Iterator[ThreadedSandbox]:
    """The simulator with the sandbox world on a free port, its key in settings, and the
    sandbox server connected to ``workspace``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sim = DiscordSimulator(control_key=KEY)
    asyncio.run_coroutine_threadsafe(sim.start(), loop).result(10)
    guild = seed_sandbox(sim, application_id=SANDBOX_APPLICATION_ID, token=KEY, guild_id=SANDBOX_GUILD_ID)
    settings.SANDBOX_URL, settings.SANDBOX_KEY = f"http://127.0.0.1:{sim.port}", KEY
    settings.DISCORD_APPLICATION_ID = settings.DISCORD_BOT_TOKEN = ""
    server = ensure_sandbox(workspace, KEY)
    try:
        yield ThreadedSandbox(sim, guild, server)
    finally:
        asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
