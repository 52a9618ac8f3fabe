"""Clicks on feedback buttons at the interactions endpoint: signed like /ask, and only for
the bot and workspace the server is connected to."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conversations.models import AnswerFeedback, Conversation, Message
from devtools.discord_simulator.messages import build_message
from integrations.discordbot.feedback_buttons import answer_buttons
from integrations.discordbot.models import BotApplication, DiscordServer
from pipeline.ask import NOT_THIS_BOT
from pipeline.feedback import THANKS, UNKNOWN
from tests.interactions.conftest import CUSTOM_ID, SHARED_ID, UNAUTHORIZED, Discord

pytestmark = pytest.mark.django_db(transaction=True)


def answered_question(workspace: Any, guild_id: str, channel_id: str, member_id: str) -> Message:
    conversation = Conversation.objects.create(
        workspace=workspace,
        place_id=guild_id,
        channel_id=channel_id,
        member_id=member_id,
        last_message_at="2026-01-01T00:00:00Z",
    )
    question = Message.objects.create(conversation=conversation, role="member", text="How do refunds work?")
    Message.objects.create(
        conversation=conversation, role="assistant", text="Within 5 days.", in_reply_to=question
    )
    return question


def click(
    discord: Discord, question_id: int, application_id: str = SHARED_ID, choice: str = "up"
) -> dict[str, Any]:
    """A member's click on the bot's answer posted in the simulator with the buttons."""
    state = discord.sim.state
    app = state.application(application_id)
    guild = state.guild(discord.guild_id)
    message = build_message(
        state,
        channel_id=discord.channel_id,
        guild=guild,
        author=app.bot,
        body={"content": "Within 5 days.", "components": answer_buttons(question_id)},
    )
    message["application_id"] = application_id
    discord.sim.backend.publish_message(message, by_bot=True)
    return discord.sim.build_click(message["id"], discord.member_id, f"gm:fb:{choice}:{question_id}")


@pytest.fixture
def connected(discord: Discord, workspace: Any, shared_app: BotApplication) -> Message:
    DiscordServer.objects.create(guild_id=discord.guild_id, workspace=workspace, application=shared_app)
    return answered_question(workspace, discord.guild_id, discord.channel_id, discord.member_id)


def test_a_signed_click_is_recorded(discord: Discord, connected: Message) -> None:
    response = discord.send(click(discord, connected.pk))
    assert response.status_code == 200
    assert response.json()["data"]["content"] == THANKS
    assert AnswerFeedback.objects.get().member_id == discord.member_id


def test_a_click_with_a_forged_signature_is_refused(discord: Discord, connected: Message) -> None:
    body = json.dumps(click(discord, connected.pk)).encode()
    headers = discord.headers(body)
    tampered = body.replace(b'"gm:fb:up:', b'"gm:fb:down:')
    response = discord.post(tampered, headers)
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert not AnswerFeedback.objects.exists()


def test_a_click_signed_by_another_workspaces_application_is_refused(
    discord: Discord, connected: Message, custom_app: BotApplication
) -> None:
    # The custom bot is in the guild too, but the guild is connected to the shared one.
    response = discord.send(click(discord, connected.pk, application_id=CUSTOM_ID), CUSTOM_ID)
    body = response.json()
    assert body["data"]["content"] == NOT_THIS_BOT and body["data"]["flags"] == 64
    assert not AnswerFeedback.objects.exists()


def test_a_click_naming_another_workspaces_answer_records_nothing(
    discord: Discord, connected: Message, other_workspace: Any
) -> None:
    elsewhere = answered_question(other_workspace, "999", "998", discord.member_id)
    response = discord.send(click(discord, elsewhere.pk))
    assert response.json()["data"]["content"] == UNKNOWN
    assert not AnswerFeedback.objects.exists()
