"""The sandbox end to end: the sandbox page's views post through the simulator's control
API, discord.py (run by the real supervisor, as the gateway process does) receives
MESSAGE_CREATE, the pipeline answers and moderates, and a team member's takeover reply
goes out through the worker into the sandbox channel. Nothing of it is counted."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from conversations.models import Conversation
from devtools.discord_simulator import DiscordSimulator
from devtools.discord_simulator.control import seed_sandbox
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints
from integrations.discordbot.sandbox import SANDBOX_APPLICATION_ID, SANDBOX_GUILD_ID, ensure_sandbox
from integrations.discordbot.servers import ServerDirectory
from integrations.discordbot.supervisor import Supervisor, refresh_settings_forever, runnable_applications
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from moderation.models import ModerationEntry
from tests.discordbot.conftest import FAQ
from tests.discordbot.test_ask_e2e import fresh_worker_queue, run_worker
from usage.models import UsageEvent, UsageMonth

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "e2e-sandbox-key"


@dataclass
class Sandbox:
    sim: DiscordSimulator
    guild: Any
    owner: Client

    def channel(self, name: str) -> str:
        return str(self.guild.channels[name].id)

    def member(self, name: str) -> str:
        return next(m.id for m in self.guild.members.values() if m.user.username == name)

    async def post(self, member: str, channel: str, text: str) -> dict[str, Any]:
        """What the owner does on the Sandbox page; returns the member's message."""
        # Deleted ones included: moderation may delete it before the page's post returns.
        before = {m["id"] for m in self._all_messages(channel)}
        data = {
            "member": self.member(member),
            "channel": self.channel(channel),
            "text": text,
            "mention_bot": "on",
        }
        response = await sync_to_async(self.owner.post)("/discord/sandbox/post/", data)
        assert response.status_code == 302, response.content
        return next(m for m in self._all_messages(channel) if m["id"] not in before)

    def _all_messages(self, channel: str) -> list[dict[str, Any]]:
        return list(self.sim.state.messages_by_channel.get(self.channel(channel), []))

    async def shown(self, channel: str) -> list[dict[str, Any]]:
        """The channel as the Sandbox page's polling view shows it."""
        url = f"/discord/sandbox/messages/?channel={self.channel(channel)}&format=json"
        response = await sync_to_async(self.owner.get)(url)
        return list(response.json()["messages"])


def _owner_and_knowledge(workspace: Any, alice: Any) -> Client:
    workspace.plan = "pro"  # takeover needs Standard or above
    workspace.save(update_fields=["plan"])
    source = add_text_source(workspace, title="Help Center", text=FAQ, enqueue=False)
    ingest_source(source.pk)
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
async def sandbox(settings: Any, workspace: Any, alice: Any) -> AsyncIterator[Sandbox]:
    sim = DiscordSimulator(control_key=KEY)
    await sim.start()
    previous = current_discord_endpoints()
    configure_discord_endpoints(sim.api_base_url, sim.gateway_url)
    guild = seed_sandbox(sim, application_id=SANDBOX_APPLICATION_ID, token=KEY, guild_id=SANDBOX_GUILD_ID)
    settings.SANDBOX_URL, settings.SANDBOX_KEY = f"http://127.0.0.1:{sim.port}", KEY
    settings.DISCORD_APPLICATION_ID = settings.DISCORD_BOT_TOKEN = ""
    # What `up` gives its children (the worker's REST client reads them).
    settings.DISCORD_API_BASE_URL, settings.DISCORD_GATEWAY_URL = sim.api_base_url, sim.gateway_url
    owner = await sync_to_async(_owner_and_knowledge)(workspace, alice)
    await sync_to_async(ensure_sandbox)(workspace, KEY)
    servers, stop = ServerDirectory(), asyncio.Event()
    refresher = asyncio.create_task(refresh_settings_forever(servers, every=0.2))
    supervisor = asyncio.create_task(Supervisor(servers).run(stop, every=0.2))
    try:
        await sim.wait_until_connected(SANDBOX_APPLICATION_ID, timeout=10)
        for _ in range(200):  # the gateway's settings have the sandbox server
            if servers.get(int(SANDBOX_GUILD_ID)) is not None:
                break
            await asyncio.sleep(0.05)
        yield Sandbox(sim, guild, owner)
    finally:
        stop.set()
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor
        configure_discord_endpoints(*previous)
        await sim.stop()


def replies_to(message: dict[str, Any]) -> Any:
    return lambda m: (m.get("message_reference") or {}).get("message_id") == message["id"]


async def test_a_question_posted_on_the_sandbox_page_is_answered_and_not_counted(sandbox: Sandbox) -> None:
    question = await sandbox.post("sam", "help", "How long do refunds take?")
    answer = await sandbox.sim.wait_for_message(
        sandbox.channel("help"), author_id=SANDBOX_APPLICATION_ID, predicate=replies_to(question), timeout=10
    )
    assert "5 business days" in answer["content"]
    shown = await sandbox.shown("help")
    assert [(m["author"]["name"], m["bot"]) for m in shown] == [("sam", False), ("Guildmind", True)]
    assert "5 business days" in shown[1]["text"]
    # Answered and checked by moderation, yet nothing counted against the plan.
    assert await UsageEvent.objects.acount() == 0
    assert sum([m.used async for m in UsageMonth.objects.all()]) == 0


async def test_a_rule_breaking_message_is_deleted_and_the_member_warned(sandbox: Sandbox) -> None:
    spam = await sandbox.post("sam", "general", "Join my server discord.gg/free-nitro-now for free nitro!!!")
    warning = await sandbox.sim.wait_for_message(sandbox.channel("general"), author_id=SANDBOX_APPLICATION_ID)
    assert sandbox.sim.is_deleted(spam["id"])
    assert f"<@{sandbox.member('sam')}>" in warning["content"]
    shown = await sandbox.shown("general")
    assert [(m["author"]["name"], m["deleted"]) for m in shown] == [("sam", True), ("Guildmind", False)]
    assert shown[1]["text"].startswith("@sam")
    entries = [(e.member_id, e.guild_id, e.action, e.outcome) async for e in ModerationEntry.objects.all()]
    assert (sandbox.member("sam"), SANDBOX_GUILD_ID, "delete", "done") in entries


async def test_the_moderator_is_left_alone(sandbox: Sandbox) -> None:
    partner = await sandbox.post("morgan", "general", "Our partner server is discord.gg/partners")
    await sandbox.sim.wait_for_message(
        sandbox.channel("general"),
        author_id=SANDBOX_APPLICATION_ID,
        predicate=replies_to(partner),
        timeout=10,
    )
    assert not sandbox.sim.is_deleted(partner["id"])
    assert await ModerationEntry.objects.filter(outcome="done").acount() == 0


async def test_a_takeover_reply_appears_in_the_sandbox_channel(sandbox: Sandbox) -> None:
    question = await sandbox.post("riley", "help", "How long do refunds take?")
    await sandbox.sim.wait_for_message(
        sandbox.channel("help"), author_id=SANDBOX_APPLICATION_ID, predicate=replies_to(question), timeout=10
    )
    convo = await Conversation.objects.aget(member_name="riley")
    take = await sync_to_async(sandbox.owner.post)(f"/conversations/{convo.pk}/take-over/")
    assert take.status_code in (200, 302)
    sent = await sync_to_async(sandbox.owner.post)(
        f"/conversations/{convo.pk}/reply/", {"text": "Hi Riley, Alice here: yours went out today."}
    )
    assert sent.status_code in (200, 302)
    await asyncio.to_thread(run_worker, fresh_worker_queue())
    reply = await sandbox.sim.wait_for_message(sandbox.channel("help"), author_id=SANDBOX_APPLICATION_ID)
    assert reply["content"].endswith("(team):** Hi Riley, Alice here: yours went out today.")
    assert (await sandbox.shown("help"))[-1]["text"] == reply["content"]
    # The AI stays silent on riley's next message while the team has it.
    follow_up = await sandbox.post("riley", "help", "Thanks! And shipping?")
    await asyncio.sleep(1.0)
    assert not [m for m in sandbox.sim.messages(sandbox.channel("help")) if replies_to(follow_up)(m)]


async def test_the_sandbox_bot_runs_only_while_the_sandbox_does(sandbox: Sandbox, settings: Any) -> None:
    ids = [spec.application_id for spec in await sync_to_async(runnable_applications)()]
    assert ids == [SANDBOX_APPLICATION_ID]
    settings.SANDBOX = "off"
    assert await sync_to_async(runnable_applications)() == []
