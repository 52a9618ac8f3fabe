"""Threads and forum channels through the simulator, as discord.py sees and uses them."""

from __future__ import annotations

import discord
import pytest

from devtools.discord_simulator import permissions as perms
from devtools.discord_simulator.state import PRIVATE_THREAD
from devtools.discord_simulator.threads import HAS_THREAD
from tests.simulator.conftest import APP_ID, StartClient, World

MEMBERS_INTENTS = discord.Intents(guilds=True, guild_messages=True, message_content=True, members=True)


async def test_a_members_thread_on_a_message_reaches_discord_py_with_its_parent(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    created = client.wait_for("thread_create", timeout=2)
    start = await world.sim.post_message(world.guild.id, world.general, world.member.id, "refund?")
    thread = await world.sim.start_thread(
        world.guild.id, world.general, world.member.id, "refund", message_id=start["id"]
    )
    seen = await created
    assert isinstance(seen, discord.Thread) and seen.id == int(start["id"]) == int(thread.id)
    assert seen.parent_id == int(world.general) and seen.owner_id == int(world.member.id)
    assert world.sim.state.messages_by_id[start["id"]]["flags"] & HAS_THREAD
    received = client.wait_for("message", timeout=2)
    await world.sim.post_message(world.guild.id, thread.id, world.member.id, "still waiting")
    message = await received
    assert message.channel == seen and thread.thread is not None and thread.thread.message_count == 1


async def test_a_bot_starts_a_thread_on_a_message_and_answers_in_it(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    start = await world.sim.post_message(world.guild.id, world.general, world.member.id, "refund?")
    channel = client.get_channel(int(world.general))
    assert isinstance(channel, discord.TextChannel)
    thread = await channel.get_partial_message(int(start["id"])).create_thread(name="refund")
    await thread.send("5 business days.")
    (answer,) = world.sim.messages(str(thread.id))
    assert answer["content"] == "5 business days." and answer["author"]["id"] == APP_ID
    with pytest.raises(discord.HTTPException, match="already been created"):
        await channel.get_partial_message(int(start["id"])).create_thread(name="again")


async def test_sending_in_a_thread_needs_send_messages_in_threads(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    thread = await world.sim.start_thread(world.guild.id, world.general, world.member.id, "help")
    guild = world.sim.state.guild(world.guild.id)
    everyone = guild.everyone_role
    world.sim.set_role_permissions(
        guild.id, everyone.id, everyone.permissions & ~perms.SEND_MESSAGES_IN_THREADS
    )
    with pytest.raises(discord.Forbidden):
        await client.http.send_message(
            int(thread.id), params=discord.http.handle_message_parameters(content="hi")
        )
    await client.http.send_message(
        int(world.general), params=discord.http.handle_message_parameters(content="ok")
    )


async def test_a_message_unarchives_a_thread_but_a_locked_one_refuses_the_bot(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    thread = await world.sim.start_thread(world.guild.id, world.general, world.member.id, "help")
    await world.sim.edit_thread(world.guild.id, thread.id, archived=True)
    send = discord.http.handle_message_parameters(content="back")
    await client.http.send_message(int(thread.id), params=send)
    assert thread.thread is not None and not thread.thread.archived
    await world.sim.edit_thread(world.guild.id, thread.id, locked=True, archived=True)
    with pytest.raises(discord.HTTPException, match="archived"):
        await client.http.send_message(
            int(thread.id), params=discord.http.handle_message_parameters(content="x")
        )


async def test_a_private_thread_is_hidden_from_a_bot_that_is_not_in_it(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    thread = await world.sim.start_thread(
        world.guild.id, world.general, world.member.id, "secret", thread_type=PRIVATE_THREAD
    )
    await world.sim.post_message(world.guild.id, thread.id, world.member.id, "just us")
    with pytest.raises(discord.Forbidden):
        await client.http.logs_from(int(thread.id), limit=5)
    joined = client.wait_for("thread_join", timeout=2)
    await world.sim.join_thread(world.guild.id, thread.id, APP_ID)
    await joined
    assert len(await client.http.logs_from(int(thread.id), limit=5)) == 1


async def test_a_forum_post_has_tags_a_title_and_a_starter_message(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    forum = world.sim.add_forum(world.guild.id, "help", tags=("question", "solved"))
    created = client.wait_for("thread_create", timeout=2)
    post, starter = await world.sim.post_in_forum(
        world.guild.id, forum.id, world.member.id, "Refunds", "How long?", tags=("question",)
    )
    seen = await created
    assert isinstance(seen.parent, discord.ForumChannel)
    assert [t.name for t in seen.parent.available_tags] == ["question", "solved"]
    assert [t.name for t in seen.applied_tags] == ["question"] and seen.name == "Refunds"
    assert starter["id"] == post.id and starter["channel_id"] == post.id
    solved = seen.parent.get_tag(int(world.sim.forum_tag_id(forum, "solved")))
    assert solved is not None
    with pytest.raises(discord.Forbidden):  # neither the post's author nor a thread manager
        await seen.edit(applied_tags=[solved])
    world.sim.set_bot_permissions(world.guild.id, APP_ID, perms.BOT_DEFAULT | perms.MANAGE_THREADS)
    updated = client.wait_for("thread_update", timeout=2)
    await seen.edit(applied_tags=[solved], archived=True)
    _, after = await updated
    assert [t.name for t in after.applied_tags] == ["solved"] and after.archived


async def test_a_bot_posts_in_a_forum_with_a_starter_message(world: World, start_client: StartClient) -> None:
    client = await start_client()
    announced = client.wait_for("guild_channel_create", timeout=2)
    forum = world.sim.add_forum(world.guild.id, "help")
    channel = await announced
    assert isinstance(channel, discord.ForumChannel)
    post = await channel.create_thread(name="Release notes", content="Version 2 is out.")
    assert post.thread.name == "Release notes" and post.message.id == post.thread.id
    assert world.sim.messages(str(post.thread.id))[0]["content"] == "Version 2 is out."
    with pytest.raises(discord.HTTPException):
        await client.http.send_message(
            int(forum.id), params=discord.http.handle_message_parameters(content="x")
        )


async def test_deleting_a_thread_needs_manage_threads_and_tells_the_bot(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    thread = await world.sim.start_thread(world.guild.id, world.general, world.member.id, "help")
    with pytest.raises(discord.Forbidden):
        await client.http.delete_channel(int(thread.id))
    world.sim.set_bot_permissions(world.guild.id, APP_ID, perms.BOT_DEFAULT | perms.MANAGE_THREADS)
    deleted = client.wait_for("raw_thread_delete", timeout=2)
    await client.http.delete_channel(int(thread.id))
    assert (await deleted).thread_id == int(thread.id)
    assert world.sim.threads_of(world.guild.id, world.general) == []
