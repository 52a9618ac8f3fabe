"""The gateway bot end to end: discord.py connected to the Discord simulator for real."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Conversation, Message
from integrations.discordbot.models import BotApplication, DiscordServer, Interaction
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from tests.discordbot.conftest import APP_ID, Running
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db(transaction=True)


async def test_it_records_the_server_it_joined_under_the_only_workspace(
    running: Running, workspace: object
) -> None:
    server = await DiscordServer.objects.aget(guild_id=running.guild.id)
    assert server.workspace_id == workspace.pk  # type: ignore[attr-defined]
    assert server.name == "Alice's Guild" and server.connected
    assert server.response_mode == "mention"


async def test_it_answers_a_mention_with_the_answer_and_its_source(running: Running) -> None:
    question = await running.ask("How long do refunds take?")
    reply = await running.reply_to(question)
    assert "5 business days" in reply["content"]
    assert "Help Center" in reply["content"]
    assert reply["allowed_mentions"]["parse"] == []
    assert reply["allowed_mentions"].get("replied_user") is True


async def test_it_understands_a_follow_up_from_the_previous_turn(running: Running) -> None:
    first = await running.ask("Where do orders ship from?")
    assert "Lisbon" in (await running.reply_to(first))["content"]
    follow_up = await running.ask("And how long does international delivery take?")
    assert "7 to 12 days" in (await running.reply_to(follow_up))["content"]


async def test_it_says_it_does_not_know_instead_of_inventing(running: Running) -> None:
    question = await running.ask("What is the airspeed of an unladen swallow?")
    reply = await running.reply_to(question)
    assert "don't know" in reply["content"].lower() or "do not know" in reply["content"].lower()
    assert "Help Center" not in reply["content"]


async def test_it_stays_silent_on_messages_that_do_not_mention_it(running: Running) -> None:
    await running.ask("How long do refunds take?", mention=False)
    mentioned = await running.ask("Where do orders ship from?")
    reply = await running.reply_to(mentioned)
    bot_messages = [m for m in running.sim.messages(running.general) if m["author"]["id"] == APP_ID]
    assert bot_messages == [reply]


async def test_it_ignores_its_own_and_other_bots_messages(running: Running) -> None:
    other_bot = running.sim.add_member(running.guild.id, "otherbot", bot=True)
    await running.ask("How long do refunds take?", author_id=other_bot.user.id)
    mine = await running.sim.post_message(
        running.guild.id, running.general, APP_ID, f"<@{APP_ID}> talking to myself"
    )
    await running.settle(mine)
    await running.bot.drain()
    assert [m for m in running.sim.messages(running.general) if m["author"]["id"] == APP_ID][1:] == []
    assert not await Conversation.objects.aexists()


async def test_it_keeps_the_conversation_in_the_database(running: Running) -> None:
    question = await running.ask("How long do refunds take?")
    await running.reply_to(question)
    await running.bot.drain()
    conversation = await Conversation.objects.aget()
    assert conversation.member_id == running.member.user.id
    assert conversation.place_id == running.guild.id
    messages = [m async for m in Message.objects.filter(conversation=conversation).order_by("id")]
    assert [(m.role, m.external_id) for m in messages] == [("member", question["id"]), ("assistant", None)]
    assert messages[0].text == "How long do refunds take?"
    assert messages[1].sources and messages[1].sources[0]["title"] == "Help Center"


async def test_it_marks_a_server_it_leaves_as_disconnected(running: Running) -> None:
    await running.sim.remove_bot_from_guild(running.guild.id, APP_ID)
    for _ in range(100):
        if not await DiscordServer.objects.filter(guild_id=running.guild.id, connected=True).aexists():
            break
        await asyncio.sleep(0.02)
    server = await DiscordServer.objects.aget(guild_id=running.guild.id)
    assert not server.connected and server.left_at is not None


async def test_ask_over_the_gateway_is_deferred_and_answered_in_process(running: Running) -> None:
    interaction = await running.sim.send_interaction(
        APP_ID,
        running.guild.id,
        running.general,
        running.member.user.id,
        "ask",
        {"question": "Where do orders ship from?"},
    )
    response = await running.sim.wait_for_message(running.general, author_id=APP_ID)
    assert "Lisbon" in response["content"]
    assert running.sim.interaction_responses(interaction["id"])[0]["type"] == 5


async def test_ask_only_mode_ignores_mentions_but_answers_ask(running: Running) -> None:
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(response_mode="ask")
    await sync_to_async(running.bot.pipeline.servers.refresh)()
    await running.ask("Where do orders ship from?")
    await running.sim.send_interaction(
        APP_ID,
        running.guild.id,
        running.general,
        running.member.user.id,
        "ask",
        {"question": "Where do orders ship from?"},
    )
    response = await running.sim.wait_for_message(running.general, author_id=APP_ID)
    assert "Lisbon" in response["content"] and response.get("message_reference") is None
    await running.bot.drain()
    assert len([m for m in running.sim.messages(running.general) if m["author"]["id"] == APP_ID]) == 1


async def test_it_registers_ask_when_it_connects_and_joins_a_server(running: Running) -> None:
    path = f"/applications/{APP_ID}/commands"
    await running.sim.wait_for_call("PUT", path)
    guild = running.sim.add_guild("Second Guild")
    await running.sim.add_bot_to_guild(guild.id, APP_ID)
    for _ in range(100):
        if len([c for c in running.sim.calls if c[0] == "PUT" and c[1].endswith(path)]) >= 2:
            break
        await asyncio.sleep(0.02)
    registrations = [c for c in running.sim.calls if c[0] == "PUT" and c[1].endswith(path)]
    assert len(registrations) == 2
    assert registrations[-1][2][0]["name"] == "ask"
    assert registrations[-1][2][0]["integration_types"] == [0] and registrations[-1][2][0]["contexts"] == [0]


async def test_an_ask_in_a_server_connected_to_another_bot_is_refused_and_reads_nothing(
    running: Running, other_workspace: Any
) -> None:
    # The bot is in the guild, but the guild is connected to Bob's workspace through Bob's
    # own bot: this bot must not answer from Bob's knowledge, record or count anything.
    secret = "The admin password is hunter2."
    source = await sync_to_async(add_text_source)(
        other_workspace, title="Secrets", text=secret, enqueue=False
    )
    await sync_to_async(ingest_source)(source.pk)
    bobs_bot = await BotApplication.objects.acreate(
        application_id="710000000000000088", workspace=other_workspace
    )
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(
        application=bobs_bot, workspace=other_workspace
    )
    await sync_to_async(running.bot.pipeline.servers.refresh)()
    interaction = await running.sim.send_interaction(
        APP_ID,
        running.guild.id,
        running.general,
        running.member.user.id,
        "ask",
        {"question": "admin password?"},
    )
    for _ in range(250):
        if running.sim.interaction_responses(interaction["id"]):
            break
        await asyncio.sleep(0.02)
    [response] = running.sim.interaction_responses(interaction["id"])
    assert response["type"] == 4 and response["data"]["flags"] == 64
    assert "isn't connected to this bot" in response["data"]["content"]
    await running.bot.drain()
    assert "hunter2" not in str(running.sim.messages(running.general))
    assert not await Interaction.objects.aexists()
    assert not await Conversation.objects.aexists()
    assert not await UsageEvent.objects.aexists()


async def test_a_connection_that_stops_answers_the_mentions_it_took_first(
    running: Running, slow_answers: None
) -> None:
    # Its unit moves to another gateway process, or the process stops: no more events come
    # in, and the answer the AI is still thinking about goes out before the REST session
    # closes.
    question = await running.ask("How long do refunds take?")
    for _ in range(500):
        if running.bot.last_seen_message_id >= int(question["id"]):
            break
        await asyncio.sleep(0.01)
    await running.bot.close()
    assert not running.sim.connected(APP_ID)
    reply = await running.reply_to(question, timeout=1)
    assert "5 business days" in reply["content"]
