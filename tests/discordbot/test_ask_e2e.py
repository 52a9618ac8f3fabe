"""/ask end to end: the simulator delivers a signed interaction to the running web
endpoint (no gateway), the worker answers it through discord.py's REST client."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from huey import Huey
from huey.contrib.djhuey import HUEY

from assistant.providers.base import Answer
from conversations.models import Conversation, Message
from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.models import BotApplication, DiscordServer, Interaction
from integrations.discordbot.ports import DiscordActionError
from integrations.discordbot.tasks import answer_interaction
from integrations.discordbot.webhook import clear_caches
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from pipeline.ask import SORRY
from tests.discordbot.conftest import APP_ID, FAQ, TOKEN
from usage.models import UsageEvent, UsageMonth

pytestmark = pytest.mark.django_db(transaction=True)


def fresh_worker_queue() -> Huey:
    """The queue as a restarted worker sees it: a new connection to the same storage
    (the SQLite file or Redis), nothing carried over in memory."""
    HUEY.storage = HUEY.create_storage()
    return HUEY


def run_worker(queue: Huey) -> int:
    done = 0
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
        done += 1
    return done


class World:
    def __init__(self, sim: DiscordSimulator, endpoint: str, guild: Any, member: Any) -> None:
        self.sim, self.endpoint, self.guild, self.member = sim, endpoint, guild, member
        self.channel = guild.channels["general"].id

    def interaction(self, question: str) -> dict[str, Any]:
        return self.sim.build_interaction(
            APP_ID, self.guild.id, self.channel, self.member.user.id, "ask", {"question": question}
        )

    async def deliver(self, interaction: dict[str, Any]) -> tuple[int, Any]:
        return await self.sim.deliver_interaction(self.endpoint, interaction)

    async def work(self) -> int:
        return await asyncio.to_thread(run_worker, fresh_worker_queue())

    async def response(self, timeout: float = 5.0) -> dict[str, Any]:
        return await self.sim.wait_for_message(self.channel, author_id=APP_ID, timeout=timeout)


@pytest.fixture
async def world(live_server: Any, workspace: Any, settings: Any) -> Any:
    sim = DiscordSimulator()
    await sim.start()
    settings.DISCORD_API_BASE_URL, settings.DISCORD_GATEWAY_URL = sim.api_base_url, sim.gateway_url
    from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints

    previous = current_discord_endpoints()
    configure_discord_endpoints(sim.api_base_url, sim.gateway_url)
    registered = sim.add_application(APP_ID, TOKEN)
    app = await BotApplication.objects.acreate(
        application_id=APP_ID, is_shared=True, bot_token=TOKEN, public_key=registered.public_key
    )
    source = await sync_to_async(add_text_source)(workspace, title="Help Center", text=FAQ, enqueue=False)
    await sync_to_async(ingest_source)(source.pk)
    guild = sim.add_guild("Alice's Guild", bot_tokens=[TOKEN])
    await DiscordServer.objects.acreate(
        guild_id=guild.id, workspace=workspace, application=app, name=guild.name
    )
    member = sim.add_member(guild.id, "mia")
    await sync_to_async(HUEY.flush)()
    clear_caches()  # keys of earlier tests' applications with the same id
    try:
        yield World(sim, live_server.url + "/discord/webhook/", guild, member)
    finally:
        configure_discord_endpoints(*previous)
        await sim.stop()


async def test_ask_is_deferred_then_answered_by_the_worker_with_no_gateway(world: World) -> None:
    status, body = await world.deliver(world.interaction("How long do refunds take?"))
    assert (status, body) == (200, {"type": 5})
    assert not world.sim.connected(APP_ID)
    assert await world.work() == 1
    response = await world.response()
    assert "5 business days" in response["content"] and "Help Center" in response["content"]
    assert response["allowed_mentions"]["parse"] == []
    interaction = await Interaction.objects.aget()
    assert interaction.state == "answered"
    roles = [m.role async for m in Message.objects.order_by("id")]
    assert roles == ["member", "assistant"]


async def test_a_queued_ask_is_answered_after_the_worker_restarts(world: World) -> None:
    await world.deliver(world.interaction("Where do orders ship from?"))
    assert await sync_to_async(fresh_worker_queue().pending_count)() == 1  # stored, no worker running
    with pytest.raises(TimeoutError):
        await world.response(timeout=0.3)
    assert await world.work() == 1  # a new worker process picks it up
    assert "Lisbon" in (await world.response())["content"]


async def test_an_ask_older_than_its_token_is_dropped_with_a_log_line(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    app = await BotApplication.objects.aget(application_id=APP_ID)
    sixteen_minutes_ago = time.time() - 16 * 60
    await sync_to_async(answer_interaction)(
        world.interaction("Where do orders ship from?"), app.pk, sixteen_minutes_ago
    )
    with caplog.at_level(logging.WARNING):
        assert await world.work() == 1
    assert (await Interaction.objects.aget()).state == "expired"
    assert "token has expired" in caplog.text
    assert not world.sim.calls or all("@original" not in call[1] for call in world.sim.calls)


async def test_the_same_interaction_delivered_twice_is_answered_once(world: World) -> None:
    interaction = world.interaction("How long do refunds take?")
    assert (await world.deliver(interaction))[0] == 200
    assert (await world.deliver(interaction))[0] == 200
    assert await world.work() == 2  # the redelivery's job finds it claimed
    await world.response()
    edits = [call for call in world.sim.calls if call[0] == "PATCH" and "@original" in call[1]]
    assert len(edits) == 1
    assert await Interaction.objects.acount() == 1


async def test_a_failing_provider_ends_in_a_polite_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Any, request: Any) -> Answer:
        raise TimeoutError("the provider timed out")

    monkeypatch.setattr("assistant.providers.local.LocalProvider.answer", broken)
    await world.deliver(world.interaction("How long do refunds take?"))
    await world.work()
    content = (await world.response())["content"]
    assert "sorry" in content.lower()


async def test_a_failure_in_our_own_code_still_ends_the_thinking(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(**kwargs: Any) -> Answer:
        raise RuntimeError("bug")

    monkeypatch.setattr("assistant.answering.answer_question", crash)
    await world.deliver(world.interaction("How long do refunds take?"))
    await world.work()
    assert (await world.response())["content"] == SORRY
    assert (await Interaction.objects.aget()).state == "failed"


async def test_a_long_answer_continues_in_follow_ups(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    async def long_answer(**kwargs: Any) -> Answer:
        return Answer(text="Refunds are simple. " * 250)

    monkeypatch.setattr("assistant.answering.answer_question", long_answer)
    await world.deliver(world.interaction("Tell me everything about refunds"))
    await world.work()
    pieces = [await world.response(), await world.response(), await world.response()]
    assert all(0 < len(p["content"]) <= 2000 for p in pieces)
    assert sum(len(p["content"]) for p in pieces) >= len("Refunds are simple. " * 250) - 10


CUSTOM_ID, CUSTOM_TOKEN = "710000000000000077", "custom-bot-token"


async def test_an_ask_of_another_workspaces_bot_is_refused_and_reads_nothing(
    world: World, other_workspace: Any
) -> None:
    # Bob's workspace has its own bot and knowledge; the guild is connected to Alice's.
    registered = world.sim.add_application(CUSTOM_ID, CUSTOM_TOKEN, bot_name="Bob's bot")
    await BotApplication.objects.acreate(
        application_id=CUSTOM_ID,
        workspace=other_workspace,
        bot_token=CUSTOM_TOKEN,
        public_key=registered.public_key,
    )
    await world.sim.add_bot_to_guild(world.guild.id, CUSTOM_ID)
    interaction = world.sim.build_interaction(
        CUSTOM_ID, world.guild.id, world.channel, world.member.user.id, "ask", {"question": "Refunds?"}
    )
    status, body = await world.deliver(interaction)
    assert status == 200
    assert body["type"] == 4 and body["data"]["flags"] == 64  # ephemeral, at once
    assert "isn't connected to this bot" in body["data"]["content"]
    assert await world.work() == 0  # no job: nothing is answered from Alice's knowledge
    assert not await Interaction.objects.aexists()
    assert not await Conversation.objects.aexists()
    assert not await UsageEvent.objects.aexists()


async def test_an_ask_acknowledged_before_its_server_changed_bots_is_refused_by_the_worker(
    world: World, other_workspace: Any
) -> None:
    registered = world.sim.add_application(CUSTOM_ID, CUSTOM_TOKEN, bot_name="Bob's bot")
    custom = await BotApplication.objects.acreate(
        application_id=CUSTOM_ID,
        workspace=other_workspace,
        bot_token=CUSTOM_TOKEN,
        public_key=registered.public_key,
    )
    await world.sim.add_bot_to_guild(world.guild.id, CUSTOM_ID)
    server = await DiscordServer.objects.aget(guild_id=world.guild.id)
    await DiscordServer.objects.filter(pk=server.pk).aupdate(application=custom, workspace=other_workspace)
    interaction = world.sim.build_interaction(
        CUSTOM_ID, world.guild.id, world.channel, world.member.user.id, "ask", {"question": "Refunds?"}
    )
    assert (await world.deliver(interaction))[1] == {"type": 5}
    # Before the worker runs, the server goes back to Alice's workspace and bot.
    await DiscordServer.objects.filter(pk=server.pk).aupdate(
        application=server.application_id, workspace=server.workspace_id
    )
    assert await world.work() == 1
    edit = await world.sim.wait_for_message(world.channel, author_id=CUSTOM_ID)
    assert "isn't connected to this bot" in edit["content"]
    assert not await Conversation.objects.aexists()
    assert not await UsageEvent.objects.aexists()


async def test_an_ask_whose_answer_cannot_be_delivered_gives_its_message_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(self: Any, text: str, **_: Any) -> None:
        raise DiscordActionError("Discord answered 503 Service Unavailable", status=503)

    monkeypatch.setattr("integrations.discordbot.ports.InteractionResponder.edit_response", refuse)
    await world.deliver(world.interaction("How long do refunds take?"))
    assert await world.work() == 1
    assert (await Interaction.objects.aget()).state == "failed"
    assert not await UsageEvent.objects.aexists()  # reserved, then released
    assert await UsageMonth.objects.filter(used__gt=0).acount() == 0
