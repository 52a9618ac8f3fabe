"""Messages between members and a discord.py bot through the simulator."""

from __future__ import annotations

import io

import discord
import pytest

from tests.simulator.conftest import APP_ID, StartClient, World

GUILD_MESSAGES_ONLY = discord.Intents(guilds=True, guild_messages=True)


def _channel(client: discord.Client, channel_id: str) -> discord.TextChannel:
    channel = client.get_channel(int(channel_id))
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_the_bot_receives_a_member_message_with_its_content(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    received = client.wait_for("message", timeout=2)

    await world.sim.post_message(
        world.guild.id, world.general, world.member.id, "How do I reset my password?"
    )

    message = await received
    assert message.content == "How do I reset my password?"
    assert message.author.id == int(world.member.id)
    assert message.channel.id == int(world.general)


async def test_a_reply_reaches_the_simulator_with_its_reference_and_allowed_mentions(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author != client.user:
            await message.reply(
                "Settings → Account → Reset.", allowed_mentions=discord.AllowedMentions.none()
            )

    posted = await world.sim.post_message(world.guild.id, world.general, world.member.id, "reset password?")

    reply = await world.sim.wait_for_message(world.general, author_id=APP_ID, timeout=2)
    assert reply["message_reference"]["message_id"] == posted["id"]
    assert reply["allowed_mentions"] == {"parse": []}
    assert reply["mentions"] == []  # the member is not pinged by the reply


async def test_content_is_hidden_from_a_bot_without_the_message_content_intent(
    world: World, start_client: StartClient
) -> None:
    client = await start_client(intents=GUILD_MESSAGES_ONLY)
    received = client.wait_for("message", timeout=2)

    await world.sim.post_message(world.guild.id, world.general, world.member.id, "secret words")

    assert (await received).content == ""


async def test_content_is_visible_without_the_intent_when_the_bot_is_mentioned(
    world: World, start_client: StartClient
) -> None:
    client = await start_client(intents=GUILD_MESSAGES_ONLY)
    received = client.wait_for("message", timeout=2)

    await world.sim.post_message(
        world.guild.id, world.general, world.member.id, "help", mention_bot_of=APP_ID
    )

    message = await received
    assert message.content == f"<@{APP_ID}> help"
    assert client.user in message.mentions


async def test_allowed_mentions_none_keeps_everyone_and_roles_silent(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    role = world.sim.add_role(world.guild.id, "Support", 0, 1)

    await _channel(client, world.general).send(
        f"@everyone <@&{role.id}> hi", allowed_mentions=discord.AllowedMentions.none()
    )

    sent = await world.sim.wait_for_message(world.general, timeout=2)
    assert sent["mention_everyone"] is False
    assert sent["mention_roles"] == []


async def test_a_rate_limited_send_is_retried_and_succeeds(world: World, start_client: StartClient) -> None:
    client = await start_client()
    world.sim.fail_next("POST", r"^/channels/\d+/messages$", 429, retry_after=0.05)

    sent = await _channel(client, world.general).send("hello")

    assert sent.content == "hello"
    assert len(world.sim.injected_failures) == 1
    assert [m["content"] for m in world.sim.messages(world.general)] == ["hello"]


async def test_a_server_error_reaches_the_bot_as_discord_server_error(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    world.sim.fail_next("POST", r"/messages$", 503)

    with pytest.raises(discord.DiscordServerError):
        await _channel(client, world.general).send("hello")


async def test_a_message_over_2000_characters_is_rejected_with_code_50035(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()

    with pytest.raises(discord.HTTPException) as caught:
        await _channel(client, world.general).send("x" * 2001)

    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert world.sim.messages(world.general) == []


async def test_an_uploaded_file_is_stored_as_an_attachment(world: World, start_client: StartClient) -> None:
    client = await start_client()
    upload = discord.File(io.BytesIO(b"hello"), "log.txt")

    sent = await _channel(client, world.general).send("log", file=upload)

    assert [(a.filename, a.size) for a in sent.attachments] == [("log.txt", 5)]


async def test_the_bot_can_warn_a_member_by_direct_message(world: World, start_client: StartClient) -> None:
    client = await start_client()
    user = await client.fetch_user(int(world.member.id))

    sent = await user.send("Please keep it friendly.")

    assert [m["content"] for m in world.sim.messages(str(sent.channel.id))] == ["Please keep it friendly."]


async def test_history_comes_newest_first(world: World, start_client: StartClient) -> None:
    client = await start_client()
    for text in ("one", "two", "three"):
        await world.sim.post_message(world.guild.id, world.general, world.member.id, text)

    history = [m.content async for m in _channel(client, world.general).history(limit=10)]

    assert history == ["three", "two", "one"]
