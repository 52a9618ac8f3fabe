"""The server settings offer forums and categories beside text channels (their threads
included), and the thread-per-question option."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.test import Client

from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.models import DiscordServer
from tests.web.test_discord_setup import discord_settings, install, page, settings_data, sim, with_simulator

__all__ = ["discord_settings", "sim"]  # the fixtures these tests share


@with_simulator
async def test_a_forum_and_a_category_can_be_chosen_with_thread_per_question(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    guild = sim.add_guild("Alice's Guild", channels=("general",))
    forum = sim.add_forum(guild.id, "help", tags=("question",))
    category = sim.add_category(guild.id, "Support desk")
    response = await install(alice_client, sim, guild.id)
    text = page(await sync_to_async(alice_client.get)(response["Location"]))
    assert "#help (forum: its posts)" in text and "Support desk (category: its channels)" in text
    data = settings_data(response_mode="all", channels=[forum.id, category.id], thread_per_question="on")
    saved = await sync_to_async(alice_client.post)(response["Location"], data)
    assert saved.status_code == 302
    server = await DiscordServer.objects.aget(guild_id=guild.id)
    assert (server.channel_ids, server.thread_per_question) == ([forum.id, category.id], True)


@with_simulator
async def test_proactive_posts_cannot_go_to_a_forum(alice_client: Client, sim: DiscordSimulator) -> None:
    guild = sim.add_guild("Alice's Guild", channels=("general",))
    sim.add_forum(guild.id, "help")
    response = await install(alice_client, sim, guild.id)
    data: dict[str, Any] = settings_data(
        proactive_enabled="on", proactive_channel="help", proactive_topic="Tips"
    )
    refused = await sync_to_async(alice_client.post)(response["Location"], data)
    assert "no text channel named #help (its channels: #general)" in page(refused)


@with_simulator
async def test_the_solved_tag_name_and_closing_are_saved(alice_client: Client, sim: DiscordSimulator) -> None:
    guild = sim.add_guild("Alice's Guild", channels=("general",))
    response = await install(alice_client, sim, guild.id)
    text = page(await sync_to_async(alice_client.get)(response["Location"]))
    assert "Solved tag name" in text and "Close the post when solved" in text
    data = settings_data(solved_tag_name="  Answered   by us ", close_on_solved="on")
    saved = await sync_to_async(alice_client.post)(response["Location"], data)
    assert saved.status_code == 302
    server = await DiscordServer.objects.aget(guild_id=guild.id)
    assert (server.solved_tag_name, server.close_on_solved) == ("Answered by us", True)


@with_simulator
async def test_a_solved_tag_name_longer_than_discord_allows_is_refused(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    guild = sim.add_guild("Alice's Guild", channels=("general",))
    response = await install(alice_client, sim, guild.id)
    data = settings_data(solved_tag_name="x" * 21)
    refused = await sync_to_async(alice_client.post)(response["Location"], data)
    assert "at most 20 characters" in page(refused)
    assert (await DiscordServer.objects.aget(guild_id=guild.id)).solved_tag_name == "Solved"
