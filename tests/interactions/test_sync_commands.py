"""Registering /ask with Discord (the simulator), from the management command and the job."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.commands import ASK_COMMAND, sync_application_commands, sync_commands_for
from integrations.discordbot.models import BotApplication
from tests.interactions.conftest import CUSTOM_ID, CUSTOM_TOKEN, SHARED_ID, SHARED_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def discord_settings(sim: DiscordSimulator, settings: Any) -> Any:
    sim.add_application(SHARED_ID, SHARED_TOKEN)
    sim.add_application(CUSTOM_ID, CUSTOM_TOKEN, bot_name="Custom")
    settings.DISCORD_APPLICATION_ID = SHARED_ID
    settings.DISCORD_BOT_TOKEN = SHARED_TOKEN
    settings.DISCORD_PUBLIC_KEY = sim.state.application(SHARED_ID).public_key
    settings.DISCORD_API_BASE_URL = sim.api_base_url
    settings.DISCORD_GATEWAY_URL = sim.gateway_url
    return settings


async def _sync_all() -> str:
    out = StringIO()
    await sync_to_async(call_command)("discord_sync_commands", stdout=out)
    return out.getvalue()


async def test_it_registers_ask_for_server_installs_used_in_servers(
    sim: DiscordSimulator, discord_settings: Any
) -> None:
    output = await _sync_all()
    commands = sim.state.application(SHARED_ID).global_commands
    assert [c["name"] for c in commands] == ["ask"]
    assert commands[0]["integration_types"] == [0]
    assert commands[0]["contexts"] == [0]
    assert commands[0]["options"] == ASK_COMMAND["options"]
    assert f"shared application {SHARED_ID}: ok" in output


async def test_it_registers_ask_for_every_custom_bot(sim: DiscordSimulator, discord_settings: Any) -> None:
    await BotApplication.objects.acreate(application_id=CUSTOM_ID, bot_token=CUSTOM_TOKEN, name="Bakery")
    output = await _sync_all()
    assert [c["name"] for c in sim.state.application(CUSTOM_ID).global_commands] == ["ask"]
    assert f"custom bot {CUSTOM_ID} (Bakery): ok" in output


async def test_it_reports_a_refused_token_and_fails(sim: DiscordSimulator, discord_settings: Any) -> None:
    await BotApplication.objects.acreate(application_id=CUSTOM_ID, bot_token="revoked-token")
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2"):
        await sync_to_async(call_command)("discord_sync_commands", stdout=out)
    assert f"custom bot {CUSTOM_ID}: failed: Discord refused the bot token" in out.getvalue()
    assert f"shared application {SHARED_ID}: ok" in out.getvalue()
    assert sim.state.application(CUSTOM_ID).global_commands == []


async def test_it_reports_a_token_of_another_application(
    sim: DiscordSimulator, discord_settings: Any
) -> None:
    app = await BotApplication.objects.acreate(application_id=CUSTOM_ID, bot_token=SHARED_TOKEN)
    error = await sync_to_async(sync_commands_for)(app)
    assert error is not None and error.startswith("Discord refused to register the commands")


async def test_the_job_registers_ask_for_one_application(
    sim: DiscordSimulator, discord_settings: Any
) -> None:
    app = await BotApplication.objects.acreate(application_id=CUSTOM_ID, bot_token=CUSTOM_TOKEN)
    await sync_to_async(sync_application_commands.call_local)(app.pk)
    assert [c["name"] for c in sim.state.application(CUSTOM_ID).global_commands] == ["ask"]
    assert sim.state.application(SHARED_ID).global_commands == []


def test_an_application_without_a_token_is_reported_without_calling_discord() -> None:
    app = BotApplication(application_id=CUSTOM_ID)
    assert sync_commands_for(app) == "no bot token is set"
