"""Slash-command interactions: gateway delivery, callbacks, deferred responses, follow-ups, signing."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
from nacl.signing import VerifyKey

from devtools.discord_simulator import DiscordSimulator
from tests.simulator.conftest import APP_ID, StartClient, World


def _interaction_args(world: World) -> tuple[str, str, str, str]:
    return APP_ID, world.guild.id, world.general, world.member.id


async def test_an_interaction_answered_at_once_becomes_a_message(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        question = data["options"][0]["value"]
        await interaction.response.send_message(f"You asked: {question}")

    payload = await world.sim.send_interaction(
        *_interaction_args(world), "ask", {"question": "opening hours?"}
    )

    reply = await world.sim.wait_for_message(world.general, timeout=2)
    assert reply["content"] == "You asked: opening hours?"
    assert reply["interaction_metadata"]["id"] == payload["id"]


async def test_a_deferred_interaction_counts_once_its_response_is_edited(
    world: World, start_client: StartClient
) -> None:
    client = await start_client()

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="Here is the answer.")
        await interaction.followup.send("And a source.")

    await world.sim.send_interaction(*_interaction_args(world), "ask", {"question": "refunds?"})

    first = await world.sim.wait_for_message(world.general, timeout=2)
    second = await world.sim.wait_for_message(world.general, timeout=2)
    assert (first["content"], second["content"]) == ("Here is the answer.", "And a source.")


async def test_a_second_callback_is_already_acknowledged(world: World) -> None:
    payload = world.sim.build_interaction(*_interaction_args(world), "ask", {"question": "hi"})
    url = f"{world.sim.api_base_url}/interactions/{payload['id']}/{payload['token']}/callback"
    answer = {"type": 4, "data": {"content": "hello"}}

    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=answer) as first:
            assert first.status == 204
        async with session.post(url, json=answer) as second:
            assert second.status == 400
            assert (await second.json())["code"] == 40060


async def test_signed_interactions_verify_with_the_application_public_key(sim: DiscordSimulator) -> None:
    app = sim.add_application(APP_ID, "token")
    body = b'{"type":1}'

    headers = sim.sign_interaction(APP_ID, body, "1700000000")

    verify_key = VerifyKey(bytes.fromhex(app.public_key))
    verify_key.verify(b"1700000000" + body, bytes.fromhex(headers["X-Signature-Ed25519"]))
    assert headers["X-Signature-Timestamp"] == "1700000000"


async def test_command_tree_sync_registers_global_commands(world: World, start_client: StartClient) -> None:
    client = await start_client()
    tree = discord.app_commands.CommandTree(client)

    @tree.command(name="ask", description="Ask the knowledge base")
    async def ask(interaction: discord.Interaction, question: str) -> None:
        return None

    synced = await tree.sync()

    assert [c.name for c in synced] == ["ask"]
    app = world.sim.state.application(APP_ID)
    assert [c["name"] for c in app.global_commands] == ["ask"]
