"""👍/👎 under the bot's answers, through the simulator with discord.py connected: the buttons
are posted with the answer, a member's click arrives over the gateway (INTERACTION_CREATE,
type 3) and is recorded once per member per answer; a 👎 offers a person where escalation
is on, and asking for one emails the team."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Workspace
from conversations.models import AnswerFeedback, Conversation, Message
from integrations.discordbot.components import EPHEMERAL
from integrations.discordbot.models import DiscordServer
from pipeline import converse as pipeline
from pipeline.feedback import OFFER, PERSON_COMING, THANKS, THANKS_DOWN
from tests.discordbot.conftest import Running
from tests.discordbot.test_ask_e2e import fresh_worker_queue, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


async def answered(running: Running, text: str = "How long do refunds take?") -> dict[str, Any]:
    message = await running.ask(text)
    await running.settle(message)
    return await running.reply_to(message)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [button for row in message.get("components") or [] for button in row["components"]]


async def click(
    running: Running, message: dict[str, Any], index: int, user_id: str | None = None
) -> dict[str, Any]:
    """A member clicks the message's ``index``-th button; returns the bot's callback body."""
    custom_id = buttons(message)[index]["custom_id"]
    payload = await running.sim.click_button(message["id"], user_id or running.member.user.id, custom_id)
    for _ in range(500):
        responses = running.sim.interaction_responses(payload["id"])
        if responses:
            return responses[0]
        await asyncio.sleep(0.01)
    raise TimeoutError("the bot never answered the click")


async def test_an_answer_carries_thumbs_up_and_down_for_its_question(running: Running) -> None:
    reply = await answered(running)
    assert "5 business days" in reply["content"]
    (row,) = reply["components"]
    assert row["type"] == 1 and [b["type"] for b in row["components"]] == [2, 2]
    question = await Message.objects.aget(role="member")
    assert [b["custom_id"] for b in buttons(reply)] == [
        f"gm:fb:up:{question.pk}",
        f"gm:fb:down:{question.pk}",
    ]
    assert [b["emoji"]["name"] for b in buttons(reply)] == ["👍", "👎"]


async def test_a_thumbs_up_is_recorded_and_thanked_in_private(running: Running) -> None:
    reply = await answered(running)
    response = await click(running, reply, 0)
    assert response["type"] == 4 and response["data"]["flags"] == EPHEMERAL
    assert response["data"]["content"] == THANKS
    feedback = await AnswerFeedback.objects.select_related("message").aget()
    assert feedback.helpful and feedback.member_id == running.member.user.id
    assert feedback.message.role == "assistant" and "5 business days" in feedback.message.text


async def test_a_second_click_by_the_same_member_changes_the_vote_without_counting_twice(
    running: Running,
) -> None:
    reply = await answered(running)
    await click(running, reply, 0)
    await click(running, reply, 0)
    assert await AnswerFeedback.objects.acount() == 1
    await click(running, reply, 1)
    assert [f.helpful async for f in AnswerFeedback.objects.all()] == [False]


async def test_another_member_votes_separately(running: Running) -> None:
    reply = await answered(running)
    other = running.sim.add_member(running.guild.id, "noah")
    await click(running, reply, 0)
    response = await click(running, reply, 1, user_id=other.user.id)
    assert response["data"]["content"] == THANKS_DOWN
    assert await AnswerFeedback.objects.acount() == 2


async def test_with_buttons_turned_off_an_answer_has_none(running: Running) -> None:
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(feedback_buttons=False)
    await sync_to_async(running.bot.pipeline.servers.refresh)()
    reply = await answered(running)
    assert "5 business days" in reply["content"] and not reply["components"]


async def test_a_thumbs_down_without_escalation_offers_no_person(running: Running) -> None:
    reply = await answered(running)
    response = await click(running, reply, 1)
    assert response["data"]["content"] == THANKS_DOWN and "components" not in response["data"]


@pytest.fixture
def escalation_on(workspace: Workspace, settings: Any) -> Workspace:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    workspace.escalation_email = "team@example.org"
    workspace.escalation_enabled = True
    workspace.plan = "standard"
    workspace.save()
    pipeline._workspace_cache.clear()
    return workspace


async def test_a_thumbs_down_then_want_a_person_emails_the_team(
    running: Running, escalation_on: Workspace
) -> None:
    reply = await answered(running)
    response = await click(running, reply, 1)
    assert response["data"]["content"] == OFFER
    (person,) = [b for row in response["data"]["components"] for b in row["components"]]
    assert person["label"] == "Want a person?"
    offer = await running.sim.wait_for_message(
        running.general, author_id=reply["author"]["id"], predicate=lambda m: m["content"] == OFFER
    )
    assert offer["flags"] & EPHEMERAL
    response = await click(running, offer, 0)
    assert response["data"]["content"] == PERSON_COMING
    assert (await Conversation.objects.aget()).state == Conversation.State.ESCALATED
    await asyncio.to_thread(run_worker, fresh_worker_queue())
    (email,) = mail.outbox
    assert email.to == ["team@example.org"] and "thumbs-down" in email.body


async def test_another_member_is_not_offered_a_person_for_someone_elses_question(
    running: Running, escalation_on: Workspace
) -> None:
    reply = await answered(running)
    other = running.sim.add_member(running.guild.id, "noah")
    response = await click(running, reply, 1, user_id=other.user.id)
    assert response["data"]["content"] == THANKS_DOWN
    assert (await Conversation.objects.aget()).state == Conversation.State.AI


async def test_a_thumbs_down_shows_on_the_answer_in_the_dashboard(running: Running, alice: User) -> None:
    reply = await answered(running)
    await click(running, reply, 1)
    conversation = await Conversation.objects.aget()
    client = Client()
    await sync_to_async(client.force_login)(alice)
    response = await sync_to_async(client.get)(reverse("conversation_detail", args=[conversation.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "👍 0" in html and "👎 1" in html
