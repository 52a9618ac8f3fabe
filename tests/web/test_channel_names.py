"""Channels by name, not id: the conversations list, its filter, detail and feed, the
moderation log and the escalation email; the id only where no name is known."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from conversations.models import Conversation, Message
from conversations.tasks import send_escalation_email
from integrations.discordbot.actions import record_channel_names
from integrations.discordbot.models import BotApplication, DiscordServer
from moderation.models import ModerationEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(workspace: Any) -> DiscordServer:
    workspace.plan = "standard"
    workspace.save(update_fields=["plan"])
    app = BotApplication.objects.create(application_id="100", is_shared=True, bot_token="t")
    server = DiscordServer.objects.create(guild_id="500", name="Shop", workspace=workspace, application=app)
    record_channel_names("100", "500", {"700": "help-desk"})
    return server


def conversation(workspace: Any, channel_id: str = "700") -> Conversation:
    convo = Conversation.objects.create(
        workspace=workspace,
        place_id="500",
        channel_id=channel_id,
        member_id="42",
        member_name="mia",
        place_name="Shop",
        last_message_at=timezone.now(),
    )
    Message.objects.create(conversation=convo, role="member", author_name="mia", text="help me please")
    return convo


def test_names_are_merged_and_a_deleted_channels_name_is_kept(server: DiscordServer) -> None:
    record_channel_names("100", "500", {"701": "general"})
    record_channel_names("100", "500", {"701": "lobby"})
    server.refresh_from_db()
    assert server.channel_names == {"700": "help-desk", "701": "lobby"}


def test_names_from_another_application_are_ignored(server: DiscordServer) -> None:
    record_channel_names("999", "500", {"700": "hijacked"})
    server.refresh_from_db()
    assert server.channel_names == {"700": "help-desk"}


def test_the_list_and_its_filter_show_channel_names(
    alice_client: Client, workspace: Any, server: DiscordServer
) -> None:
    conversation(workspace)
    conversation(workspace, channel_id="799")
    page = alice_client.get("/conversations/").content.decode()
    assert "#help-desk" in page
    assert '<option value="700">#help-desk</option>' in page
    # No name known for 799: its id stands in.
    assert '<option value="799">#799</option>' in page
    assert "#700" not in page


def test_the_detail_names_the_channel(alice_client: Client, workspace: Any, server: DiscordServer) -> None:
    convo = conversation(workspace)
    page = alice_client.get(f"/conversations/{convo.pk}/").content.decode()
    assert "channel #help-desk" in page


def test_the_feed_gives_the_channel_name(alice_client: Client, workspace: Any, server: DiscordServer) -> None:
    page = alice_client.get("/conversations/")
    since = page.context["cursor"]
    conversation(workspace)
    feed = alice_client.get("/conversations/feed/", {"since": since}).json()
    assert [c["channel_name"] for c in feed["conversations"]] == ["#help-desk"]


def test_another_workspaces_channel_names_are_not_used(
    alice_client: Client, workspace: Any, other_workspace: Any, server: DiscordServer
) -> None:
    app = BotApplication.objects.get(application_id="100")
    DiscordServer.objects.create(guild_id="600", workspace=other_workspace, application=app)
    record_channel_names("100", "600", {"702": "secret-plans"})
    conversation(workspace, channel_id="702")
    page = alice_client.get("/conversations/").content.decode()
    assert "secret-plans" not in page and "#702" in page


def test_the_moderation_log_names_the_channel(
    alice_client: Client, workspace: Any, server: DiscordServer
) -> None:
    for channel_id in ("700", "798"):
        ModerationEntry.objects.create(
            server=server,
            workspace=workspace,
            guild_id="500",
            channel_id=channel_id,
            message_id=channel_id,
            member_id="42",
            message_text="spam",
            action="delete",
            outcome="done",
        )
    page = alice_client.get(f"/discord/servers/{server.pk}/moderation/").content.decode()
    assert "#help-desk" in page and "#798" in page


def test_the_escalation_email_names_the_channel(workspace: Any, server: DiscordServer, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    workspace.escalation_email = "team@example.org"
    workspace.save()
    convo = conversation(workspace)
    send_escalation_email.call_local(convo.pk)
    (email,) = mail.outbox
    assert "in Shop, #help-desk." in email.body
