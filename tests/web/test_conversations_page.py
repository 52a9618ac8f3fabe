"""The conversations pages: the workspace's own conversations only, with their messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conversations.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _standard_plan(workspace: Any) -> None:
    """Live monitoring and takeover need the Standard plan or above."""
    workspace.plan = "standard"
    workspace.save(update_fields=["plan"])


def conversation(workspace: Any, member: str, guild: str = "500", **kw: Any) -> Conversation:
    convo = Conversation.objects.create(
        workspace=workspace,
        place_id=guild,
        channel_id="700",
        member_id=member,
        member_name=member,
        place_name="Shop",
        last_message_at=timezone.now(),
        **kw,
    )
    Message.objects.create(
        conversation=convo, role="member", author_name=member, text=f"<i>question of {member}</i>"
    )
    Message.objects.create(
        conversation=convo,
        role="assistant",
        text="Refunds take 5 days.",
        sources=[{"title": "FAQ", "heading": "Refunds", "url": ""}],
    )
    return convo


def test_the_list_shows_only_the_workspaces_conversations(
    alice_client: Client, workspace: Any, other_workspace: Any
) -> None:
    conversation(workspace, "mia")
    conversation(other_workspace, "zed")
    page = alice_client.get("/conversations/").content.decode()
    assert "mia" in page and "zed" not in page


def test_a_conversation_shows_every_message_escaped_with_sources(
    alice_client: Client, workspace: Any
) -> None:
    convo = conversation(workspace, "mia")
    page = alice_client.get(f"/conversations/{convo.pk}/").content.decode()
    assert "&lt;i&gt;question of mia&lt;/i&gt;" in page
    assert "Refunds take 5 days." in page and "FAQ \u203a Refunds" in page


def test_another_workspaces_conversation_is_not_found(bob_client: Client, workspace: Any) -> None:
    convo = conversation(workspace, "mia")
    assert bob_client.get(f"/conversations/{convo.pk}/").status_code == 404


def test_filters_by_state(alice_client: Client, workspace: Any) -> None:
    conversation(workspace, "mia")
    conversation(workspace, "noah", state="escalated")
    page = alice_client.get("/conversations/?state=escalated").content.decode()
    assert "noah" in page and ">mia<" not in page
    assert alice_client.get("/conversations/?state=bogus").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get("/conversations/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_message_reads_as_discord_shows_it_and_names_its_sources_once(
    alice_client: Client, workspace: Any
) -> None:
    convo = conversation(workspace, "mia")
    Message.objects.create(
        conversation=convo,
        role="assistant",
        text="**Help Center**\nUse `/ask` or [the docs](https://example.com/docs)."
        " [x](javascript:alert(1)) <b>raw</b>\n\nSources: Help Center",
        sources=[{"title": "Help Center", "heading": "", "url": ""}],
    )
    page = alice_client.get(f"/conversations/{convo.pk}/").content.decode()
    assert "<strong>Help Center</strong><br>" in page and "<code>/ask</code>" in page
    assert '<a href="https://example.com/docs" rel="nofollow noopener noreferrer" target="_blank">' in page
    assert 'href="javascript' not in page  # only http(s) and mailto links become links
    assert "&lt;b&gt;raw&lt;/b&gt;" in page  # the member's HTML stays text
    assert page.count("Sources: Help Center") == 1  # the answer's own line, not repeated under it
    assert "Sources: FAQ \u203a Refunds" in page  # an answer without its own line keeps the list
