"""Human takeover and escalation through the simulator: the AI stays silent while a team
member has the conversation, resumes after 3 idle minutes or at once on hand-back; a member
asking for a person is told, the team emailed once per 30 minutes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from accounts.models import Workspace
from conversations import actions
from conversations.models import Conversation
from pipeline import converse as pipeline
from pipeline.converse import TEAM_TOLD
from tests.discordbot.conftest import APP_ID, Running
from tests.discordbot.test_ask_e2e import fresh_worker_queue, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


async def ask(running: Running, text: str) -> list[dict[str, Any]]:
    """Mention the bot; returns the bot's replies to that message."""
    message = await running.ask(text)
    await running.settle(message)
    return [
        m
        for m in running.sim.messages(running.general)
        if m["author"]["id"] == APP_ID
        and (m.get("message_reference") or {}).get("message_id") == message["id"]
    ]


async def conversation() -> Conversation:
    return await Conversation.objects.aget()


@pytest.fixture
def agents(db: None) -> tuple[User, User]:
    return User.objects.create(username="sam"), User.objects.create(username="lee")


@pytest.fixture
def escalation_on(workspace: Workspace) -> Workspace:
    workspace.escalation_email = "team@example.org"
    workspace.escalation_enabled = True
    workspace.plan = "standard"  # escalation needs Standard or above
    workspace.save()
    pipeline._workspace_cache.clear()
    return workspace


async def test_a_taken_over_conversation_gets_no_ai_reply_until_idle(
    running: Running, agents: tuple[User, User]
) -> None:
    assert await ask(running, "How long do refunds take?")
    convo = await conversation()
    sam, _ = agents
    assert (await sync_to_async(actions.take_over)(convo.pk, sam)).ok
    assert await ask(running, "Thanks, and what about shipping?") == []  # the AI stays silent
    # More than three minutes without agent activity: the test moves the last activity back.
    await Conversation.objects.filter(pk=convo.pk).aupdate(
        agent_active_at=timezone.now() - timedelta(minutes=4)
    )
    replies = await ask(running, "Where do orders ship from?")
    assert replies and "Lisbon" in replies[0]["content"]


async def test_hand_back_gives_the_conversation_to_the_ai_at_once(
    running: Running, agents: tuple[User, User]
) -> None:
    await ask(running, "How long do refunds take?")
    convo = await conversation()
    sam, _ = agents
    await sync_to_async(actions.take_over)(convo.pk, sam)
    assert await ask(running, "Hello?") == []
    await sync_to_async(actions.hand_back)(convo.pk, sam)
    assert await ask(running, "Where do orders ship from?")


async def test_a_second_agent_sees_the_conversation_is_taken(
    running: Running, agents: tuple[User, User]
) -> None:
    await ask(running, "How long do refunds take?")
    convo = await conversation()
    sam, lee = agents
    assert (await sync_to_async(actions.take_over)(convo.pk, sam)).ok
    second = await sync_to_async(actions.take_over)(convo.pk, lee)
    assert not second.ok and second.held_by == "sam"


async def test_asking_for_a_person_tells_the_member_and_emails_the_team_once(
    running: Running, escalation_on: Workspace, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    (reply,) = await ask(running, "This isn't working, can I talk to a real person?")
    assert reply["content"].startswith(TEAM_TOLD)
    convo = await conversation()
    assert convo.state == Conversation.State.ESCALATED
    assert await asyncio.to_thread(run_worker, fresh_worker_queue()) == 1
    (email,) = mail.outbox
    assert email.to == ["team@example.org"] and "can I talk to a real person?" in email.body
    assert f"/conversations/{convo.pk}/" in email.body
    # A second request within 30 minutes: the member is told again, no new email.
    (again,) = await ask(running, "I want to speak to a human please")
    assert again["content"].startswith(TEAM_TOLD)
    await asyncio.to_thread(run_worker, fresh_worker_queue())
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("text", ["is this a real person?", "Who is the person who wrote the docs?"])
async def test_lookalikes_do_not_escalate(running: Running, escalation_on: Workspace, text: str) -> None:
    (reply,) = await ask(running, text)
    assert not reply["content"].startswith(TEAM_TOLD)
    assert (await conversation()).escalated_at is None


async def test_a_failing_mail_server_does_not_stop_the_reply_and_the_email_is_retried(
    running: Running, escalation_on: Workspace, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.discordbot.test_takeover_e2e.BrokenMail"
    (reply,) = await ask(running, "can I talk to a human?")
    assert reply["content"].startswith(TEAM_TOLD)
    queue = fresh_worker_queue()
    await asyncio.to_thread(run_worker, queue)
    assert BrokenMail.attempts == 1
    retry = await sync_to_async(queue.scheduled)()  # re-queued for a later try
    assert len(retry) == 1 and retry[0].retries == 4


class BrokenMail:
    attempts = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        BrokenMail.attempts += 1
        raise ConnectionRefusedError("the mail server is down")


async def test_while_taken_over_the_members_unaddressed_messages_reach_the_agent(
    running: Running, agents: tuple[User, User]
) -> None:
    await ask(running, "How long do refunds take?")
    convo = await conversation()
    sam, _ = agents
    await sync_to_async(actions.take_over)(convo.pk, sam)
    await sync_to_async(running.bot.pipeline.servers.refresh)()  # the gateway's periodic refresh
    plain = await running.sim.post_message(
        running.guild.id, running.general, running.member.user.id, "thanks Sam, my order is #1234"
    )
    await running.settle(plain)
    texts = [m.text async for m in convo.messages.order_by("id")]
    assert texts[-1] == "thanks Sam, my order is #1234"
    assert not [m for m in running.sim.messages(running.general) if m["author"]["id"] == APP_ID][1:]
