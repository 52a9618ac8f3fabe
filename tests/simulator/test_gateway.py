"""discord.py connecting to the simulator's gateway: READY, guilds, shards, resume, compression."""

from __future__ import annotations

import json
import zlib

import aiohttp

from devtools.discord_simulator import DiscordSimulator
from tests.simulator.conftest import APP_ID, TOKEN, FastShardedClient, StartClient, World


def _guild_id_on_shard(shard_id: int, shard_count: int, n: int = 1_000_000) -> str:
    # Discord routes a guild to shard (guild_id >> 22) % shard_count.
    timestamp = n * shard_count + shard_id
    return str(timestamp << 22 | 7)


async def test_a_plain_client_gets_ready_with_the_guild(world: World, start_client: StartClient) -> None:
    client = await start_client()

    guild = client.get_guild(int(world.guild.id))
    assert guild is not None
    assert {c.name for c in guild.text_channels} == {"general", "support"}
    assert guild.me is not None and guild.me.id == int(APP_ID)
    assert world.sim.connected(APP_ID)


async def test_an_auto_sharded_client_connects_one_session_per_shard(
    sim: DiscordSimulator, start_client: StartClient
) -> None:
    app = sim.add_application(APP_ID, TOKEN)
    app.recommended_shards = 2  # the client asks GET /gateway/bot how many shards to run
    first = sim.add_guild("Shard zero", bot_tokens=(TOKEN,), guild_id=_guild_id_on_shard(0, 2))
    second = sim.add_guild("Shard one", bot_tokens=(TOKEN,), guild_id=_guild_id_on_shard(1, 2))

    client = await start_client(cls=FastShardedClient)

    assert sorted(sim.shards(APP_ID)) == [[0, 2], [1, 2]]  # type: ignore[type-var]
    assert client.get_guild(int(first.id)).shard_id == 0  # type: ignore[union-attr]
    assert client.get_guild(int(second.id)).shard_id == 1  # type: ignore[union-attr]


async def test_a_resumed_session_replays_a_message_posted_while_disconnected(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()
    resumed = client.wait_for("resumed", timeout=3)
    received = client.wait_for("message", timeout=3)

    await world.sim.disconnect(APP_ID)
    await world.sim.post_message(world.guild.id, world.general, world.member.id, "did you miss me?")

    await resumed
    message = await received
    assert message.content == "did you miss me?"
    assert [e.detail for e in world.sim.gateway_events if e.kind == "resume"] == [1]


async def test_an_invalidated_session_identifies_again(world: World, start_client: StartClient) -> None:
    client = await start_client()
    ready_again = client.wait_for("ready", timeout=3)

    await world.sim.disconnect(APP_ID, invalidate=True)

    await ready_again
    kinds = [e.kind for e in world.sim.gateway_events]
    assert kinds.count("identify") == 2
    assert "invalid_session" in kinds


async def test_a_bot_added_to_a_guild_later_receives_it(world: World, start_client: StartClient) -> None:
    client = await start_client()
    joined = client.wait_for("guild_join", timeout=3)
    other = world.sim.add_guild("Bob's Bakery")

    await world.sim.add_bot_to_guild(other.id, APP_ID)

    guild = await joined
    assert guild.id == int(other.id)


async def test_a_bot_removed_from_a_guild_loses_it(world: World, start_client: StartClient) -> None:
    client = await start_client()
    removed = client.wait_for("guild_remove", timeout=3)

    await world.sim.remove_bot_from_guild(world.guild.id, APP_ID)

    guild = await removed
    assert guild.id == int(world.guild.id)
    assert client.get_guild(int(world.guild.id)) is None


async def test_the_gateway_sends_zlib_stream_frames_when_asked(sim: DiscordSimulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(sim.gateway_url + "?v=10&encoding=json&compress=zlib-stream") as ws,
    ):
        frame = await ws.receive(timeout=2)

    assert frame.type is aiohttp.WSMsgType.BINARY
    assert frame.data.endswith(b"\x00\x00\xff\xff")  # Z_SYNC_FLUSH, what discord.py waits for
    hello = json.loads(zlib.decompressobj().decompress(frame.data))
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250


async def test_identifying_with_an_unknown_token_closes_with_4004(sim: DiscordSimulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(sim.gateway_url + "?v=10&encoding=json") as ws,
    ):
        await ws.receive(timeout=2)  # HELLO, uncompressed text
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 513, "properties": {}}})
        closing = await ws.receive(timeout=2)

    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert closing.data == 4004


async def test_heartbeats_are_acknowledged(sim: DiscordSimulator) -> None:
    url = sim.gateway_url + "?v=10&encoding=json"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive(timeout=2)  # HELLO
        await ws.send_json({"op": 1, "d": None})
        ack = await ws.receive_json(timeout=2)

    assert ack["op"] == 11
