"""The gateway process runs the shared bot and every custom bot, and follows the database:
a custom bot saved in the dashboard connects within seconds, a changed token reconnects, a
removed bot disconnects, a refused token is not retried until it changes."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from devtools.discord_simulator import DiscordSimulator
from devtools.discord_simulator.permissions import BOT_DEFAULT
from integrations.discordbot.install import MANAGE_MESSAGES, SEND_MESSAGES
from integrations.discordbot.models import BotApplication, DiscordServer, GatewayLease, GatewayProcess
from integrations.discordbot.servers import ServerDirectory
from integrations.discordbot.supervisor import Supervisor, refresh_settings_forever
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from tests.discordbot.conftest import APP_ID, FAQ, TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOM_ID, CUSTOM_TOKEN = "720000000000000002", "custom-bot-token"


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
async def supervised(sim: DiscordSimulator, workspace: Any) -> AsyncIterator[Supervisor]:
    sim.add_application(APP_ID, TOKEN, bot_name="Guildmind")
    sim.add_application(CUSTOM_ID, CUSTOM_TOKEN, bot_name="Acme Helper")
    await BotApplication.objects.acreate(application_id=APP_ID, is_shared=True, bot_token=TOKEN)
    source = await sync_to_async(add_text_source)(workspace, title="Help Center", text=FAQ, enqueue=False)
    await sync_to_async(ingest_source)(source.pk)
    servers = ServerDirectory()
    supervisor = Supervisor(servers)
    stop = asyncio.Event()

    async def refresh_and_run() -> None:
        async def refresher() -> None:
            while True:
                await sync_to_async(servers.refresh)()
                await asyncio.sleep(0.1)

        task = asyncio.create_task(refresher())
        try:
            await supervisor.run(stop, every=0.2)
        finally:
            task.cancel()

    runner = asyncio.create_task(refresh_and_run())
    await sim.wait_until_connected(APP_ID)
    try:
        yield supervisor
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


async def test_a_saved_custom_bot_connects_and_answers_its_own_server(
    sim: DiscordSimulator, supervised: Supervisor, workspace: Any
) -> None:
    await BotApplication.objects.acreate(
        application_id=CUSTOM_ID, workspace=workspace, bot_token=CUSTOM_TOKEN
    )
    await sim.wait_until_connected(CUSTOM_ID)
    guild = sim.add_guild("Acme", bot_tokens=[CUSTOM_TOKEN, TOKEN])
    await eventually(lambda: DiscordServer.objects.filter(guild_id=guild.id).aexists())
    server = await DiscordServer.objects.select_related("application").aget(guild_id=guild.id)
    member = sim.add_member(guild.id, "mia")
    general = guild.channels["general"].id
    await asyncio.sleep(0.3)  # the settings refresh picks the new server up
    question = await sim.post_message(
        guild.id,
        general,
        member.user.id,
        "How long do refunds take?",
        mention_bot_of=server.application.application_id,
    )
    reply = await sim.wait_for_message(general, author_id=server.application.application_id)
    assert reply["message_reference"]["message_id"] == question["id"]
    assert "5 business days" in reply["content"]
    await asyncio.sleep(0.2)
    authors = {m["author"]["id"] for m in sim.messages(general)} - {member.user.id}
    assert authors == {server.application.application_id}  # the other bot stayed quiet


async def test_a_removed_custom_bot_disconnects(
    sim: DiscordSimulator, supervised: Supervisor, workspace: Any
) -> None:
    app = await BotApplication.objects.acreate(
        application_id=CUSTOM_ID, workspace=workspace, bot_token=CUSTOM_TOKEN
    )
    await sim.wait_until_connected(CUSTOM_ID)
    await app.adelete()
    await eventually(lambda: not sim.connected(CUSTOM_ID))
    assert sim.connected(APP_ID)  # the shared bot carries on


async def test_a_refused_token_is_reported_and_not_retried_until_it_changes(
    sim: DiscordSimulator, supervised: Supervisor, workspace: Any
) -> None:
    app = await BotApplication.objects.acreate(
        application_id=CUSTOM_ID, workspace=workspace, bot_token="wrong-token"
    )
    await eventually(lambda: app.pk in supervised.errors)
    assert "refused" in supervised.errors[app.pk]
    logins = len([c for c in sim.calls if c[1].endswith("/users/@me")])
    await asyncio.sleep(0.6)  # three sync rounds
    assert len([c for c in sim.calls if c[1].endswith("/users/@me")]) == logins
    app.bot_token = CUSTOM_TOKEN
    await app.asave()
    await sim.wait_until_connected(CUSTOM_ID)


async def test_the_gateway_checks_in_and_reports_what_the_bot_can_do(
    sim: DiscordSimulator, supervised: Supervisor, workspace: Any
) -> None:
    shared = await BotApplication.objects.aget(application_id=APP_ID)

    async def checked_in() -> bool:
        await shared.arefresh_from_db()
        return shared.gateway_seen_at is not None and shared.gateway_error == ""

    await eventually(checked_in)
    guild = sim.add_guild("Facts", bot_tokens=[TOKEN], bot_permissions=BOT_DEFAULT)

    async def facts() -> DiscordServer | None:
        return await DiscordServer.objects.filter(guild_id=guild.id, facts_at__isnull=False).afirst()

    await eventually(facts)
    server = await facts()
    assert server is not None and server.bot_permissions is not None
    assert not server.bot_permissions & MANAGE_MESSAGES and server.bot_permissions & SEND_MESSAGES


async def test_a_refused_token_is_written_down_for_the_dashboard(
    sim: DiscordSimulator, supervised: Supervisor, workspace: Any
) -> None:
    app = await BotApplication.objects.acreate(
        application_id=CUSTOM_ID, workspace=workspace, bot_token="nope"
    )

    async def reported() -> bool:
        await app.arefresh_from_db()
        return "refused" in app.gateway_error

    await eventually(reported)


async def test_the_leases_are_renewed_while_the_database_threads_are_busy() -> None:
    # A burst of messages can keep every one of the gateway's database threads busy for
    # seconds; renewals queued behind it would let the leases expire while the process is
    # well. The leases have a thread of their own.
    released = threading.Event()
    loop = asyncio.get_running_loop()
    busy = [loop.run_in_executor(None, released.wait, 30) for _ in range(64)]
    supervisor = Supervisor(ServerDirectory(), lease_ttl=3)
    stop = asyncio.Event()
    runner = asyncio.create_task(supervisor.run(stop, every=0.1))
    try:
        checked_in = GatewayProcess.objects.filter(owner=supervisor.owner)
        await eventually(checked_in.aexists, timeout=2)
        first = (await checked_in.aget()).expires_at
        await eventually(lambda: _renewed_after(checked_in, first), timeout=2)
        assert not all(job.done() for job in busy)  # the database threads were busy throughout
    finally:
        released.set()
        await asyncio.gather(*busy)
        stop.set()
        await runner
    assert not await GatewayProcess.objects.filter(owner=supervisor.owner).aexists()  # left


async def _renewed_after(rows: Any, when: Any) -> bool:
    return bool((await rows.aget()).expires_at > when)


async def test_a_stopping_gateway_hands_over_at_once_and_still_answers_what_it_took(
    sim: DiscordSimulator, workspace: Any, slow_answers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOW_PROVIDER_SECONDS", "1.5")  # read when the provider is first made
    sim.add_application(APP_ID, TOKEN, bot_name="Guildmind")
    await BotApplication.objects.acreate(application_id=APP_ID, is_shared=True, bot_token=TOKEN)
    source = await sync_to_async(add_text_source)(workspace, title="Help Center", text=FAQ, enqueue=False)
    await sync_to_async(ingest_source)(source.pk)
    guild = sim.add_guild("Acme", bot_tokens=[TOKEN])
    member, general = sim.add_member(guild.id, "mia"), guild.channels["general"].id
    servers, stop = ServerDirectory(), asyncio.Event()
    supervisor = Supervisor(servers)
    refresher = asyncio.create_task(refresh_settings_forever(servers, every=0.1))
    runner = asyncio.create_task(supervisor.run(stop, every=0.1))
    try:
        await sim.wait_until_connected(APP_ID)
        await eventually(lambda: servers.get(int(guild.id)) is not None)
        question = await sim.post_message(
            guild.id, general, member.user.id, "How long do refunds take?", mention_bot_of=APP_ID
        )
        bot = supervisor.bot_for(APP_ID)
        assert bot is not None
        await eventually(lambda: bot.last_seen_message_id >= int(question["id"]))
        stop.set()  # SIGTERM, while the AI is still thinking
        # Disconnected and handed over at once, not after the answer.
        await eventually(lambda: not sim.connected(APP_ID), timeout=1)
        await eventually(_no_leases, timeout=1)
        assert [m for m in sim.messages(general) if m["author"]["id"] == APP_ID] == []
        await runner
    finally:
        stop.set()
        refresher.cancel()
    replies = [m for m in sim.messages(general) if m["author"]["id"] == APP_ID]
    assert [r["message_reference"]["message_id"] for r in replies] == [question["id"]]
    assert "5 business days" in replies[0]["content"]


async def _no_leases() -> bool:
    return not await GatewayLease.objects.aexists()
