"""Moderation through the simulator: Discord's permission and hierarchy rules, and what it records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from devtools.discord_simulator import permissions
from tests.simulator.conftest import APP_ID, StartClient, World


def _guild(client: discord.Client, world: World) -> discord.Guild:
    guild = client.get_guild(int(world.guild.id))
    assert guild is not None
    return guild


def _grant(world: World, bits: int) -> None:
    world.sim.set_bot_permissions(world.guild.id, APP_ID, permissions.BOT_DEFAULT | bits)


async def test_kicking_without_the_permission_is_forbidden(world: World, start_client: StartClient) -> None:
    client = await start_client()

    with pytest.raises(discord.Forbidden) as caught:
        await _guild(client, world).kick(discord.Object(int(world.member.id)))

    assert caught.value.code == 50013
    assert world.sim.member(world.guild.id, world.member.id) is not None


async def test_kicking_with_the_permission_removes_the_member_and_logs_the_reason(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    _grant(world, permissions.KICK_MEMBERS)

    await _guild(client, world).kick(discord.Object(int(world.member.id)), reason="spam links")

    assert world.sim.member(world.guild.id, world.member.id) is None
    [entry] = world.sim.audit_log(world.guild.id)
    assert (entry["action"], entry["target_id"], entry["reason"]) == (
        "member_kick",
        world.member.id,
        "spam links",
    )


async def test_kicking_the_guild_owner_is_forbidden_even_with_the_permission(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    _grant(world, permissions.ADMINISTRATOR)

    with pytest.raises(discord.Forbidden):
        await _guild(client, world).kick(discord.Object(int(world.guild.owner_id)))


async def test_kicking_a_member_with_a_higher_role_is_forbidden(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    _grant(world, permissions.KICK_MEMBERS)
    top = max(r.position for r in world.guild.roles.values())
    world.sim.add_role(world.guild.id, "Moderators", 0, top + 1)
    moderator = world.sim.add_member(world.guild.id, "dave", roles=("Moderators",))

    with pytest.raises(discord.Forbidden):
        await _guild(client, world).kick(discord.Object(int(moderator.id)))


async def test_banning_records_the_ban_and_removes_the_member(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    _grant(world, permissions.BAN_MEMBERS)

    await _guild(client, world).ban(
        discord.Object(int(world.member.id)), reason="raid", delete_message_seconds=0
    )

    assert world.guild.bans == {world.member.id: "raid"}
    assert world.sim.member(world.guild.id, world.member.id) is None


async def test_a_timeout_sets_communication_disabled_until(world: World, start_client: StartClient) -> None:
    client = await start_client()
    _grant(world, permissions.MODERATE_MEMBERS)
    member = await _guild(client, world).fetch_member(int(world.member.id))

    await member.timeout(timedelta(minutes=10), reason="cool down")

    until = world.member.communication_disabled_until
    assert until is not None
    assert timedelta(minutes=9) < datetime.fromisoformat(until) - datetime.now(UTC) <= timedelta(minutes=10)


async def test_timing_out_an_administrator_is_forbidden(world: World, start_client: StartClient) -> None:
    client = await start_client()
    _grant(world, permissions.MODERATE_MEMBERS)
    admin = world.sim.add_member(world.guild.id, "erin", administrator=True)
    member = await _guild(client, world).fetch_member(int(admin.id))

    with pytest.raises(discord.Forbidden):
        await member.timeout(timedelta(minutes=10))


async def test_deleting_a_member_message_without_manage_messages_is_forbidden(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    posted = await world.sim.post_message(world.guild.id, world.general, world.member.id, "buy cheap gold")
    channel = client.get_channel(int(world.general))
    assert isinstance(channel, discord.TextChannel)

    with pytest.raises(discord.Forbidden):
        await channel.get_partial_message(int(posted["id"])).delete()

    assert not world.sim.is_deleted(posted["id"])


async def test_deleting_a_member_message_with_manage_messages_removes_it(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    _grant(world, permissions.MANAGE_MESSAGES)
    posted = await world.sim.post_message(world.guild.id, world.general, world.member.id, "buy cheap gold")
    channel = client.get_channel(int(world.general))
    assert isinstance(channel, discord.TextChannel)

    await channel.get_partial_message(int(posted["id"])).delete()

    assert world.sim.is_deleted(posted["id"])
    assert world.sim.messages(world.general) == []
