"""Proactive messages end to end: the worker's tick posts through discord.py's REST client
to the Discord simulator, with the clock chosen by the test (no gateway running)."""

from __future__ import annotations

import asyncio
import copy
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client
from django.utils import timezone
from huey import Huey
from huey.contrib.djhuey import HUEY

from assistant.text import sentences
from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.diagnostics import diagnose
from integrations.discordbot.models import BotApplication, DiscordServer
from knowledge import search
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from proactive import actions as proactive
from proactive.models import ProactivePost
from proactive.tasks import proactive_tick
from tests.discordbot.conftest import APP_ID, TOKEN
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db(transaction=True)
T = TypeVar("T")


TIPS = """# Shipping tips

Orders ship from our Lisbon warehouse every weekday before noon.
Every shipping label carries a tracking number you can follow online.
International shipping takes 7 to 12 days depending on customs.
Express shipping reaches most of Europe within two business days.
Free shipping applies to every order above 50 euros.
"""

T0 = datetime(2030, 1, 6, 9, 0, 30, tzinfo=UTC)
SLOT0 = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)
TWO_HOURS = timedelta(hours=2)


def in_thread(work: Callable[..., T], *args: Any, **kwargs: Any) -> Awaitable[T]:
    """Run sync ``work`` in a worker thread that closes its database connection after."""

    def run() -> T:
        try:
            return work(*args, **kwargs)
        finally:
            connection.close()

    return asyncio.to_thread(run)


class World:
    def __init__(self, sim: DiscordSimulator, guild: Any, server: DiscordServer) -> None:
        self.sim, self.guild, self.server = sim, guild, server
        self.general = guild.channels["general"].id

    async def tick(self, now: datetime) -> list[ProactivePost]:
        """One run of the worker's periodic job, at the test's clock."""
        return await in_thread(proactive.run_due_schedules, now)

    def bot_messages(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.sim.messages(channel_id or self.general) if m["author"]["id"] == APP_ID]

    async def schedule(self) -> DiscordServer:
        return await DiscordServer.objects.aget(pk=self.server.pk)

    async def set(self, **fields: Any) -> None:
        await DiscordServer.objects.filter(pk=self.server.pk).aupdate(**fields)


@pytest.fixture
async def world(workspace: Any, settings: Any) -> AsyncIterator[World]:
    sim = DiscordSimulator()
    await sim.start()
    settings.DISCORD_API_BASE_URL, settings.DISCORD_GATEWAY_URL = sim.api_base_url, sim.gateway_url
    from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints

    previous = current_discord_endpoints()
    configure_discord_endpoints(sim.api_base_url, sim.gateway_url)
    sim.add_application(APP_ID, TOKEN)
    app = await BotApplication.objects.acreate(application_id=APP_ID, is_shared=True, bot_token=TOKEN)
    search._cache.clear()  # ids are reused between tests
    source = await sync_to_async(add_text_source)(workspace, title="Tips", text=TIPS, enqueue=False)
    await sync_to_async(ingest_source)(source.pk)
    guild = sim.add_guild("Alice's Guild", bot_tokens=[TOKEN])
    server = await DiscordServer.objects.acreate(
        guild_id=guild.id,
        workspace=workspace,
        application=app,
        name=guild.name,
        proactive_enabled=True,
        proactive_channel="general",
        proactive_topic="Shipping",
        proactive_frequency="2h",
    )
    try:
        yield World(sim, guild, server)
    finally:
        configure_discord_endpoints(*previous)
        await sim.stop()


async def test_a_schedule_posts_on_time_twice_with_different_content(world: World) -> None:
    (first,) = await world.tick(T0)
    assert first.status == "posted" and first.run_at == SLOT0
    assert await world.tick(SLOT0 + TWO_HOURS - timedelta(minutes=1)) == []  # not yet
    (second,) = await world.tick(SLOT0 + TWO_HOURS + timedelta(seconds=5))
    assert second.status == "posted" and second.run_at == SLOT0 + TWO_HOURS

    messages = world.bot_messages()
    assert [m["content"] for m in messages] == [first.text, second.text]
    assert [m["id"] for m in messages] == [first.message_id, second.message_id]
    assert all(m["allowed_mentions"]["parse"] == [] for m in messages)
    said = [{s.text for s in sentences(m["content"].removeprefix("**Shipping**: "))} for m in messages]
    assert said[0] and said[1] and not said[0] & said[1]
    assert all("shipping" in m["content"].lower() or "ship" in m["content"].lower() for m in messages)
    assert (await world.schedule()).proactive_next_run_at == SLOT0 + 2 * TWO_HOURS
    keys = [e.key async for e in UsageEvent.objects.filter(kind="proactive").order_by("id")]
    assert keys == [proactive.usage_key(first), proactive.usage_key(second)]


async def test_after_downtime_the_schedule_posts_once_and_moves_on(world: World) -> None:
    await world.tick(T0)
    back = SLOT0 + 5 * TWO_HOURS + timedelta(minutes=10)  # four slots missed

    posts = await world.tick(back)

    assert [p.run_at for p in posts] == [SLOT0 + 5 * TWO_HOURS]
    assert len(world.bot_messages()) == 2
    assert (await world.schedule()).proactive_next_run_at == SLOT0 + 6 * TWO_HOURS
    assert await world.tick(back + timedelta(minutes=1)) == []
    assert await UsageEvent.objects.filter(kind="proactive").acount() == 2


def consumer() -> Huey:
    """Another worker process's view of the queue: its own connection to the same storage."""
    queue = copy.copy(HUEY)
    queue.storage = HUEY.create_storage()
    return queue


async def test_two_workers_post_a_due_schedule_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await world.set(
        proactive_next_run_at=timezone.now() - timedelta(minutes=1), proactive_scheduled_frequency="2h"
    )
    await sync_to_async(HUEY.flush)()
    # Each worker process's scheduler enqueues the periodic tick in the same minute.
    await sync_to_async(HUEY.enqueue)(proactive_tick.s())
    await sync_to_async(HUEY.enqueue)(proactive_tick.s())
    both_read = threading.Barrier(2, timeout=10)
    claim = proactive.claim_slot
    claims: list[ProactivePost | None] = []

    def claim_together(server: DiscordServer, now: datetime) -> ProactivePost | None:
        both_read.wait()  # both workers have read the due schedule; now both claim it
        claims.append(claim(server, now))
        return claims[-1]

    monkeypatch.setattr(proactive, "claim_slot", claim_together)

    def work(queue: Huey) -> None:
        task = queue.dequeue()
        assert task is not None
        queue.execute(task)

    await asyncio.gather(in_thread(work, consumer()), in_thread(work, consumer()))

    assert len(claims) == 2 and sum(c is not None for c in claims) == 1
    assert len(world.bot_messages()) == 1
    (post,) = [p async for p in ProactivePost.objects.all()]
    assert post.status == "posted"
    assert await UsageEvent.objects.filter(kind="proactive").acount() == 1


async def test_a_missing_channel_is_reported_and_tried_again_at_the_next_run(
    world: World, workspace: Any
) -> None:
    await world.set(proactive_channel="announcements")

    (failed,) = await world.tick(T0)

    assert failed.status == "failed" and "no text channel named #announcements" in failed.error
    assert "#general" in failed.error  # the channels it could have meant
    server = await world.schedule()
    assert server.last_error.startswith(proactive.LAST_ERROR_PREFIX) and "#announcements" in server.last_error
    assert server.proactive_next_run_at == SLOT0 + TWO_HOURS
    report = await sync_to_async(diagnose)(workspace)
    (problem,) = report.servers[0].problems
    assert "#announcements failed" in problem.title and "Create #announcements" in problem.advice
    assert await UsageEvent.objects.acount() == 0

    channel = world.sim.state.create_channel(world.guild, "announcements")
    (posted,) = await world.tick(SLOT0 + TWO_HOURS)
    assert posted.status == "posted" and len(world.bot_messages(channel.id)) == 1
    assert (await world.schedule()).last_error == ""
    assert (await sync_to_async(diagnose)(workspace)).servers[0].ok


async def test_a_channel_the_bot_may_not_post_in_is_reported(world: World) -> None:
    world.sim.fail_next("POST", r"/channels/\d+/messages$", 403)

    (failed,) = await world.tick(T0)

    assert failed.status == "failed" and "may not post in #general" in failed.error
    assert failed.text  # composed, then refused: the post shows what would have gone out
    assert world.bot_messages() == []
    assert await UsageEvent.objects.acount() == 0
    assert (await world.schedule()).proactive_next_run_at == SLOT0 + TWO_HOURS


async def test_post_now_previews_then_sends_once_and_counts_one_message(world: World, alice: Any) -> None:
    client = Client()
    await sync_to_async(client.force_login)(alice)
    base = f"/discord/servers/{world.server.pk}/proactive/"

    preview = await in_thread(client.post, base + "preview/")
    page = preview.content.decode()
    assert preview.status_code == 200 and "Send to #general" in page
    assert world.bot_messages() == [] and await UsageEvent.objects.acount() == 0
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match is not None
    shown = re.search(r'class="pre proactive-preview">([^<]+)<', page)
    assert shown is not None

    sent = await in_thread(client.post, base + "send/", {"token": match.group(1)}, follow=True)
    assert "Posted in #general" in sent.content.decode()
    again = await in_thread(client.post, base + "send/", {"token": match.group(1)}, follow=True)
    assert "sent already" in again.content.decode()

    (message,) = world.bot_messages()
    assert message["content"] == (await ProactivePost.objects.aget(kind="manual")).text
    assert "ship" in message["content"].lower()
    assert await UsageEvent.objects.filter(kind="proactive").acount() == 1
    assert (await world.schedule()).proactive_next_run_at is None  # the schedule is left as it was


async def test_the_next_scheduled_post_does_not_repeat_a_post_now(world: World, alice: Any) -> None:
    client = Client()
    await sync_to_async(client.force_login)(alice)
    base = f"/discord/servers/{world.server.pk}/proactive/"
    page = (await in_thread(client.post, base + "preview/")).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    await in_thread(client.post, base + "send/", {"token": token.group(1)})

    (scheduled,) = await world.tick(T0)

    manual, later = (m["content"] for m in world.bot_messages())
    assert scheduled.status == "posted" and later == scheduled.text and later != manual


async def test_post_now_with_a_missing_channel_shows_why_and_offers_no_send(world: World, alice: Any) -> None:
    await world.set(proactive_channel="announcements")
    client = Client()
    await sync_to_async(client.force_login)(alice)

    preview = await in_thread(client.post, f"/discord/servers/{world.server.pk}/proactive/preview/")

    page = preview.content.decode()
    assert "no text channel named #announcements" in page and 'name="token"' not in page


async def test_post_now_for_another_workspaces_server_is_not_found(world: World, bob: Any) -> None:
    client = Client()
    await sync_to_async(client.force_login)(bob)
    response = await in_thread(client.post, f"/discord/servers/{world.server.pk}/proactive/preview/")
    assert response.status_code == 404
    assert world.bot_messages() == []
