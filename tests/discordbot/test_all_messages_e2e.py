"""All-messages mode through the simulator: the bot reads every message of the chosen
channels and, with smart mode, answers only what it can help with."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from integrations.discordbot.models import DiscordServer
from integrations.discordbot.supervisor import refresh_settings_forever
from tests.discordbot.conftest import APP_ID, Running

pytestmark = pytest.mark.django_db(transaction=True)


async def set_mode(running: Running, **settings: Any) -> None:
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(response_mode="all", **settings)
    await sync_to_async(running.bot.pipeline.servers.refresh)()


async def say(running: Running, content: str, channel: str | None = None) -> dict[str, Any]:
    message = await running.sim.post_message(
        running.guild.id, channel or running.general, running.member.user.id, content
    )
    await running.settle(message)
    return message


def replies(running: Running, channel: str | None = None) -> list[dict[str, Any]]:
    return [m for m in running.sim.messages(channel or running.general) if m["author"]["id"] == APP_ID]


async def test_smart_mode_skips_chatter_and_answers_a_question(running: Running) -> None:
    await set_mode(running, smart_mode=True)
    await say(running, "hey everyone, good morning!")
    await say(running, "thanks lol")
    assert replies(running) == []
    question = await say(running, "How long do refunds take?")
    (reply,) = replies(running)
    assert reply["message_reference"]["message_id"] == question["id"]
    assert "5 business days" in reply["content"]


async def test_with_smart_mode_off_it_answers_every_message(running: Running) -> None:
    await set_mode(running, smart_mode=False)
    await say(running, "hey everyone, good morning!")
    await say(running, "How long do refunds take?")
    assert len(replies(running)) == 2


async def test_it_listens_only_in_the_chosen_channels(running: Running) -> None:
    support = running.guild.channels["support"].id
    await set_mode(running, smart_mode=False, channel_ids=[support])
    await say(running, "How long do refunds take?")
    await say(running, "How long do refunds take?", channel=support)
    assert replies(running) == []
    assert len(replies(running, support)) == 1


async def test_a_mode_switch_reaches_the_running_gateway_within_seconds(running: Running) -> None:
    refresher = asyncio.create_task(refresh_settings_forever(running.bot.pipeline.servers, every=0.2))
    try:
        await say(running, "How long do refunds take?")
        assert replies(running) == []  # @mention mode: not addressed
        servers = DiscordServer.objects.filter(guild_id=running.guild.id)
        await servers.aupdate(response_mode="all", smart_mode=False, updated_at=timezone.now())
        await asyncio.sleep(0.5)  # the gateway's periodic refresh, not a restart
        await say(running, "Where do orders ship from?")
        assert "Lisbon" in replies(running)[0]["content"]
    finally:
        refresher.cancel()
