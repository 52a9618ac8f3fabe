"""The overview's figures: what members asked, how the bot did, who was handed to a person,
what moderation did; each linked to the list behind it, and only the workspace's own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace
from conversations import analytics
from conversations.models import AnswerFeedback, Conversation, Message
from integrations.discordbot.models import BotApplication, DiscordServer
from moderation.models import ModerationEntry

pytestmark = pytest.mark.django_db


def _conversation(workspace: Workspace, member: str) -> Conversation:
    return Conversation.objects.create(
        workspace=workspace,
        place_id="500",
        channel_id="600",
        member_id=member,
        last_message_at=timezone.now(),
    )


def _exchange(conversation: Conversation, question: str, *, knew: bool) -> Message:
    Message.objects.create(conversation=conversation, role="member", text=question)
    return Message.objects.create(conversation=conversation, role="assistant", text="…", abstained=not knew)


@pytest.fixture
def history(workspace: Workspace) -> DiscordServer:
    app = BotApplication.objects.create(application_id="100", is_shared=True, bot_token="t")
    server = DiscordServer.objects.create(guild_id="500", workspace=workspace, application=app, name="Shop")
    mia, sam = _conversation(workspace, "1"), _conversation(workspace, "2")
    answer = _exchange(mia, "How do refunds work?", knew=True)
    _exchange(sam, "how do refunds work", knew=True)
    for member, helpful in (("1", True), ("2", True), ("3", False)):
        AnswerFeedback.objects.create(message=answer, member_id=member, helpful=helpful)
    _exchange(sam, "Do you sell gift cards?", knew=False)
    _exchange(mia, "Do you sell gift cards??", knew=False)
    Conversation.objects.filter(pk=sam.pk).update(escalated_at=timezone.now(), state="escalated")
    for action in ("delete", "delete", "warn", "none"):
        ModerationEntry.objects.create(
            server=server,
            workspace=workspace,
            guild_id="500",
            channel_id="600",
            message_id="1",
            member_id="3",
            action=action,
            outcome="done",
        )
    # Older than the period, and another workspace's: neither counts.
    old = _conversation(workspace, "4")
    _exchange(old, "What are your hours?", knew=True)
    Message.objects.filter(conversation=old).update(created_at=timezone.now() - timedelta(days=40))
    other = Workspace.objects.create(name="Other")
    _exchange(_conversation(other, "5"), "Do you sell gift cards?", knew=False)
    return server


def test_the_figures_count_the_period_of_this_workspace_only(workspace: Workspace, history: Any) -> None:
    figures = analytics.figures(workspace, timezone.now())

    assert (figures.questions, figures.answered, figures.unknown) == (4, 2, 2)
    assert figures.unknown_percent == 50 and figures.handed_to_people == 1
    assert (figures.helpful, figures.not_helpful, figures.helpful_percent) == (2, 1, 67)
    assert figures.moderation_actions == 3
    assert [(key, n) for key, _, n in figures.moderation_by_action if n] == [("delete", 2), ("warn", 1)]
    # Grouped whatever the case and punctuation; shown in one member's words.
    assert [(a.text.rstrip("?"), a.count) for a in figures.top_questions] == [
        ("How do refunds work", 2),
        ("Do you sell gift cards", 2),
    ]
    assert [(a.text.rstrip("?"), a.count) for a in figures.top_gaps] == [("Do you sell gift cards", 2)]
    assert figures.answers.total == 4 and figures.moderation.total == 3


def test_the_overview_shows_them_with_links_to_the_lists_behind_them(
    alice_client: Client, workspace: Workspace, history: DiscordServer
) -> None:
    html = alice_client.get("/").content.decode()

    assert 'data-figure="unknown">50%' in html and 'href="/conversations/?unknown=1"' in html
    assert 'href="/conversations/?state=escalated"' in html
    log = reverse("moderation_log", args=[history.pk])
    assert f'href="{log}?action=delete">2</a>' in html
    assert "Do you sell gift cards?" in html and "\u00d72" in html
    assert 'role="img"' in html and "Every day as a table" in html


def test_the_didnt_know_filter_lists_only_those_conversations(
    alice_client: Client, workspace: Workspace, history: Any
) -> None:
    html = alice_client.get("/conversations/?unknown=1").content.decode()
    listed = {
        c.pk for c in Conversation.objects.filter(workspace=workspace) if f"/conversations/{c.pk}/" in html
    }

    said_unknown = set(
        Message.objects.filter(abstained=True, conversation__workspace=workspace).values_list(
            "conversation_id", flat=True
        )
    )
    assert listed == said_unknown and len(listed) == 2
