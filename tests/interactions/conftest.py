"""Fixtures for the interactions endpoint: applications whose keys the Discord simulator
holds, and a sender that signs requests exactly as Discord does."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot import webhook
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints
from integrations.discordbot.models import BotApplication

SHARED_ID, SHARED_TOKEN = "730000000000000001", "shared-bot-token"
CUSTOM_ID, CUSTOM_TOKEN = "730000000000000002", "custom-bot-token"
URL = "/discord/webhook/"
UNAUTHORIZED = {"error": "invalid request signature"}


@dataclass
class Discord:
    """Sends requests to the endpoint the way Discord does, signed by the simulator."""

    sim: DiscordSimulator
    client: Client
    guild_id: str
    channel_id: str
    member_id: str

    def ask(self, question: str, application_id: str = SHARED_ID) -> dict[str, Any]:
        return self.sim.build_interaction(
            application_id, self.guild_id, self.channel_id, self.member_id, "ask", {"question": question}
        )

    def headers(
        self, body: bytes, application_id: str = SHARED_ID, timestamp: str | None = None
    ) -> dict[str, str]:
        return self.sim.sign_interaction(application_id, body, timestamp or str(int(time.time())))

    def post(self, body: bytes, headers: dict[str, str]) -> Any:
        return self.client.post(URL, data=body, content_type="application/json", headers=headers)

    def send(self, payload: dict[str, Any], application_id: str = SHARED_ID) -> Any:
        body = json.dumps(payload).encode()
        return self.post(body, self.headers(body, application_id))


def ping(application_id: str = SHARED_ID) -> dict[str, Any]:
    return {
        "id": "740000000000000001",
        "application_id": application_id,
        "type": 1,
        "token": "t",
        "version": 1,
    }


@pytest.fixture(autouse=True)
def _fresh_webhook_caches() -> Iterator[None]:
    # Test databases reuse primary keys after rollback; a cached key or stamp time could
    # belong to an application of an earlier test.
    webhook.clear_caches()
    yield
    webhook.clear_caches()


@pytest.fixture
def offline_sim() -> DiscordSimulator:
    """The simulator's world only (keys, guilds, payloads); no server is started."""
    sim = DiscordSimulator()
    sim.add_application(SHARED_ID, SHARED_TOKEN)
    sim.add_application(CUSTOM_ID, CUSTOM_TOKEN, bot_name="Custom")
    return sim


@pytest.fixture
def discord(offline_sim: DiscordSimulator) -> Discord:
    guild = offline_sim.add_guild("Alice's Guild", bot_tokens=[SHARED_TOKEN, CUSTOM_TOKEN])
    member = offline_sim.add_member(guild.id, "mia")
    return Discord(offline_sim, Client(), guild.id, guild.channels["general"].id, member.user.id)


def _application(sim: DiscordSimulator, application_id: str, token: str, *, shared: bool) -> BotApplication:
    return BotApplication.objects.create(
        application_id=application_id,
        is_shared=shared,
        public_key=sim.state.application(application_id).public_key,
        bot_token=token,
    )


@pytest.fixture
def shared_app(db: None, offline_sim: DiscordSimulator) -> BotApplication:
    return _application(offline_sim, SHARED_ID, SHARED_TOKEN, shared=True)


@pytest.fixture
def custom_app(db: None, offline_sim: DiscordSimulator, workspace: Any) -> BotApplication:
    app = _application(offline_sim, CUSTOM_ID, CUSTOM_TOKEN, shared=False)
    app.workspace = workspace
    app.save(update_fields=["workspace"])
    return app


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSimulator]:
    """A running simulator; discord.py's endpoints are put back afterwards."""
    simulator = DiscordSimulator()
    await simulator.start()
    previous = current_discord_endpoints()
    yield simulator
    configure_discord_endpoints(*previous)
    await simulator.stop()
