"""Threads and forum posts end to end: discord.py connected to the simulator, members posting
in threads and forums, the bot answering (or not) where they asked."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from conversations import tasks
from conversations.actions import record_agent_message, take_over
from conversations.models import Conversation, Message
from devtools.discord_simulator import permissions as perms
from devtools.discord_simulator.gateway import GUILDS
from devtools.discord_simulator.payloads import role_payload
from devtools.discord_simulator.state import PRIVATE_THREAD, Channel
from integrations.discordbot.diagnostics import diagnose
from integrations.discordbot.install import fetch_text_channels
from integrations.discordbot.models import DiscordServer
from moderation.models import ModerationEntry
from tests.discordbot.conftest import APP_ID, Running

pytestmark = pytest.mark.django_db(transaction=True)

SPAM = "Join my server discord.gg/freenitro for free nitro!!!"


async def configure(running: Running, **settings: Any) -> None:
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(**settings)
    await sync_to_async(running.bot.pipeline.servers.refresh)()


async def say(running: Running, channel_id: str, content: str, **kwargs: Any) -> dict[str, Any]:
    author_id = kwargs.pop("author_id", running.member.user.id)
    message = await running.sim.post_message(running.guild.id, channel_id, author_id, content, **kwargs)
    await running.settle(message)
    return message


def bot_messages(running: Running, channel_id: str) -> list[dict[str, Any]]:
    return [m for m in running.sim.messages(channel_id) if m["author"]["id"] == APP_ID]


async def thread_in(running: Running, channel_id: str, name: str = "refund help") -> Channel:
    start = await say(running, channel_id, "starting a thread about my refund")
    return await running.sim.start_thread(
        running.guild.id, channel_id, running.member.user.id, name, message_id=start["id"]
    )


async def forum(running: Running, name: str = "help", **kwargs: Any) -> Channel:
    # CHANNEL_CREATE reaches the bot before anything posted in the forum (one ordered stream).
    return running.sim.add_forum(running.guild.id, name, tags=("question", "solved"), **kwargs)


async def test_a_mention_in_a_thread_is_answered_in_the_thread_with_its_context(running: Running) -> None:
    thread = await thread_in(running, running.general)
    await say(running, running.general, "How much is the Starter plan?", mention_bot_of=APP_ID)
    await say(running, thread.id, "Where do orders ship from?", mention_bot_of=APP_ID)
    (first,) = bot_messages(running, thread.id)
    assert "Lisbon" in first["content"]
    await say(running, thread.id, "And how long does international delivery take?", mention_bot_of=APP_ID)
    second = bot_messages(running, thread.id)[1]
    assert "7 to 12 days" in second["content"]
    assert len(bot_messages(running, running.general)) == 1  # the channel's own question only
    # The thread is its own conversation: its follow-up context is the thread's turns.
    in_thread = await sync_to_async(
        lambda: [m.text for m in Message.objects.filter(conversation__channel_id=thread.id).order_by("pk")]
    )()
    assert len(in_thread) == 4 and "Starter" not in " ".join(in_thread)


async def test_ask_in_a_thread_is_answered_there(running: Running) -> None:
    thread = await thread_in(running, running.general)
    await running.sim.send_interaction(
        APP_ID,
        running.guild.id,
        thread.id,
        running.member.user.id,
        "ask",
        {"question": "Where do orders ship from?"},
    )
    reply = await running.sim.wait_for_message(thread.id, author_id=APP_ID, timeout=10)
    assert "Lisbon" in reply["content"]


async def test_choosing_a_text_channel_includes_its_threads(running: Running) -> None:
    support = running.guild.channels["support"].id
    await configure(running, response_mode="all", smart_mode=True, channel_ids=[support])
    in_support = await thread_in(running, support)
    in_general = await thread_in(running, running.general)
    await say(running, in_general.id, "How long do refunds take?")
    await say(running, in_support.id, "How long do refunds take?")
    assert bot_messages(running, in_general.id) == []
    assert "5 business days" in bot_messages(running, in_support.id)[0]["content"]


async def test_choosing_a_category_includes_its_channels_and_their_threads(running: Running) -> None:
    category = running.sim.add_category(running.guild.id, "Help desk")
    desk = running.sim.add_channel(running.guild.id, "desk", category_id=category.id)
    await configure(running, response_mode="all", smart_mode=True, channel_ids=[category.id])
    thread = await thread_in(running, desk.id)
    await say(running, thread.id, "Where do orders ship from?")
    assert "Lisbon" in bot_messages(running, thread.id)[0]["content"]
    await say(running, running.general, "Where do orders ship from?")
    assert bot_messages(running, running.general) == []


async def test_moderation_deletes_spam_in_a_thread(running: Running) -> None:
    await configure(
        running,
        moderation_enabled=True,
        moderation_rules="1. No spam or advertising.",
        moderation_delete=True,
    )
    thread = await thread_in(running, running.general)
    message = await say(running, thread.id, SPAM)
    assert running.sim.is_deleted(message["id"])
    entry = await ModerationEntry.objects.aget()
    assert entry.channel_id == thread.id


async def test_a_forum_post_is_answered_in_the_post_with_its_title(running: Running) -> None:
    help_forum = await forum(running)
    await configure(running, response_mode="all", smart_mode=True, channel_ids=[help_forum.id])
    post, starter = await running.sim.post_in_forum(
        running.guild.id,
        help_forum.id,
        running.member.user.id,
        "Refunds",
        "How long do they take to arrive?",
        tags=("question",),
    )
    await running.settle(starter)
    (answer,) = bot_messages(running, post.id)
    assert "5 business days" in answer["content"]  # the title says what "they" are
    assert answer["message_reference"]["message_id"] == starter["id"]


async def test_a_forum_post_the_knowledge_base_cannot_help_with_is_left_alone(running: Running) -> None:
    help_forum = await forum(running)
    await configure(running, response_mode="all", smart_mode=True, channel_ids=[help_forum.id])
    post, starter = await running.sim.post_in_forum(
        running.guild.id, help_forum.id, running.member.user.id, "Show off", "look at my new cat pictures lol"
    )
    await running.settle(starter)
    assert bot_messages(running, post.id) == []


async def test_a_forum_post_where_members_are_helping_is_left_alone(running: Running) -> None:
    help_forum = await forum(running)
    await configure(running, response_mode="all", smart_mode=False, channel_ids=[help_forum.id])
    helper = running.sim.add_member(running.guild.id, "noah")
    post, starter = await running.sim.post_in_forum(
        running.guild.id, help_forum.id, running.member.user.id, "Refund timing", "How long do refunds take?"
    )
    await running.settle(starter)
    assert len(bot_messages(running, post.id)) == 1
    await say(running, post.id, "mine took a week, check your bank", author_id=helper.user.id)
    await say(running, post.id, "How long do refunds take for a card?")
    assert len(bot_messages(running, post.id)) == 1  # members are helping: the bot stays out


async def test_the_settings_offer_forums_and_categories(running: Running, settings: Any) -> None:
    settings.DISCORD_API_BASE_URL = running.sim.api_base_url
    help_forum = await forum(running)
    category = running.sim.add_category(running.guild.id, "Help desk")
    server = await DiscordServer.objects.select_related("application").aget(guild_id=running.guild.id)
    channels = await sync_to_async(fetch_text_channels)(server)
    kinds = {c.id: c.kind for c in channels}
    assert kinds[help_forum.id] == "forum" and kinds[category.id] == "category"
    assert kinds[running.general] == "text"


async def test_thread_per_question_answers_in_one_new_thread_and_follows_up_there(running: Running) -> None:
    await configure(running, response_mode="all", smart_mode=True, thread_per_question=True)
    question = await say(running, running.general, "Where do orders ship from?")
    (thread,) = running.sim.threads_of(running.guild.id, running.general)
    assert thread.id == question["id"] and thread.name == "Where do orders ship from?"
    assert bot_messages(running, running.general) == []  # the channel stays readable
    assert "Lisbon" in bot_messages(running, thread.id)[0]["content"]
    await say(running, thread.id, "And how long does international delivery take?")
    assert "7 to 12 days" in bot_messages(running, thread.id)[1]["content"]
    assert len(running.sim.threads_of(running.guild.id, running.general)) == 1
    in_thread = await Message.objects.filter(conversation__channel_id=thread.id).acount()
    assert in_thread == 4  # one conversation: the question, the answer and the follow-up's


async def test_thread_per_question_without_create_public_threads_answers_in_the_channel(
    running: Running,
) -> None:
    guild = running.sim.state.guild(running.guild.id)
    everyone = guild.everyone_role
    without = everyone.permissions & ~perms.CREATE_PUBLIC_THREADS
    running.sim.set_role_permissions(guild.id, everyone.id, without)
    await configure(running, response_mode="all", smart_mode=True, thread_per_question=True)
    await say(running, running.general, "Where do orders ship from?")
    assert running.sim.threads_of(running.guild.id, running.general) == []
    (answer,) = bot_messages(running, running.general)
    assert "Lisbon" in answer["content"]  # the member still gets the answer, in the channel
    server = await DiscordServer.objects.aget(guild_id=running.guild.id)
    assert "Could not start a thread" in server.last_error and "answered in the channel" in server.last_error


async def test_a_takeover_reply_is_posted_in_the_thread(running: Running, settings: Any) -> None:
    settings.DISCORD_API_BASE_URL = running.sim.api_base_url
    agent = await User.objects.acreate(username="sam")
    thread = await thread_in(running, running.general)
    asked = await say(running, thread.id, "Where do orders ship from?", mention_bot_of=APP_ID)
    conversation = await Conversation.objects.aget(channel_id=thread.id)
    await sync_to_async(take_over)(conversation.pk, agent)
    message = await sync_to_async(record_agent_message)(conversation, agent, "Lisbon, and yours left today.")
    await asyncio.to_thread(tasks.deliver, message.pk, last_try=True)
    posted = await running.sim.wait_for_message(
        thread.id, author_id=APP_ID, predicate=lambda m: "yours left today" in m["content"]
    )
    assert posted["message_reference"]["message_id"] == asked["id"]
    assert not [m for m in bot_messages(running, running.general) if "yours left" in m["content"]]


async def test_diagnostics_name_a_missing_thread_permission_in_discords_words(running: Running) -> None:
    guild = running.sim.state.guild(running.guild.id)
    everyone = guild.everyone_role
    without = everyone.permissions & ~perms.SEND_MESSAGES_IN_THREADS & ~perms.CREATE_PUBLIC_THREADS
    running.sim.set_role_permissions(guild.id, everyone.id, without)
    running.sim.hub.dispatch(
        guild.application_ids,
        guild.id,
        "GUILD_ROLE_UPDATE",
        {"guild_id": guild.id, "role": role_payload(everyone)},
        intent=GUILDS,
    )
    for _ in range(200):  # the bot records what it can do when its roles change
        server = await DiscordServer.objects.select_related("workspace").aget(guild_id=guild.id)
        if server.bot_permissions is not None and not server.bot_permissions & perms.SEND_MESSAGES_IN_THREADS:
            break
        await asyncio.sleep(0.02)
    assert server.workspace is not None
    (report,) = (await sync_to_async(diagnose)(server.workspace)).servers
    (problem,) = report.problems
    assert "Send Messages in Threads, Create Public Threads" in problem.title


async def test_a_mention_in_a_private_thread_the_bot_was_added_to_is_answered_there(running: Running) -> None:
    thread = await running.sim.start_thread(
        running.guild.id, running.general, running.member.user.id, "private help", thread_type=PRIVATE_THREAD
    )
    # Before the bot is added, it does not see the thread (Discord's rule for private threads).
    await running.sim.post_message(
        running.guild.id,
        thread.id,
        running.member.user.id,
        "Where do orders ship from?",
        mention_bot_of=APP_ID,
    )
    await running.sim.join_thread(running.guild.id, thread.id, APP_ID)
    asked = await say(running, thread.id, "How long do refunds take?", mention_bot_of=APP_ID)
    (answer,) = bot_messages(running, thread.id)
    assert "5 business days" in answer["content"]
    assert answer["message_reference"]["message_id"] == asked["id"]
