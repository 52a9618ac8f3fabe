"""The moderation log: counting recent violations and listing a server's entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.discordbot.models import BotApplication, DiscordServer
from moderation.decision import ModerationSettings
from moderation.log import count_recent_violations, record_entry, server_log
from moderation.models import ModerationEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(workspace: Any) -> DiscordServer:
    app = BotApplication.objects.create(application_id="100", is_shared=True, bot_token="t")
    return DiscordServer.objects.create(guild_id="500", workspace=workspace, application=app)


def log(message_id: str, *, member_id: str = "42", action: str = "delete") -> ModerationEntry:
    return record_entry(
        guild_id="500",
        channel_id="700",
        message_id=message_id,
        member_id=member_id,
        member_name="mia",
        message_text="spam",
        rule="No spam.",
        severity="low",
        action=action,
        reason="spam",
        outcome="done",
    )


def test_a_message_deleted_and_warned_counts_as_one_violation(server: DiscordServer) -> None:
    log("1", action="delete")
    log("1", action="warn")

    assert count_recent_violations("500", "42", since=timezone.now() - timedelta(hours=1)) == 1


def test_old_violations_do_not_count(server: DiscordServer) -> None:
    ModerationEntry.objects.filter(pk=log("1").pk).update(created_at=timezone.now() - timedelta(days=2))

    assert count_recent_violations("500", "42", since=timezone.now() - timedelta(hours=24)) == 0


def test_other_members_violations_do_not_count(server: DiscordServer) -> None:
    log("1", member_id="43")

    assert count_recent_violations("500", "42", since=timezone.now() - timedelta(hours=1)) == 0


def test_it_refuses_to_log_for_a_server_without_a_workspace(server: DiscordServer) -> None:
    DiscordServer.objects.filter(pk=server.pk).update(workspace=None)

    with pytest.raises(DiscordServer.DoesNotExist):
        log("1")


def test_the_log_lists_newest_first_filtered_by_action_and_member(server: DiscordServer) -> None:
    first, _, third = log("1", action="ban"), log("2", member_id="43", action="ban"), log("3", action="ban")
    log("4", action="delete")

    assert list(server_log(server, action="ban", member_id="42")) == [third, first]


def test_settings_are_read_from_the_server_row(server: DiscordServer) -> None:
    server.moderation_enabled, server.moderation_rules, server.moderation_ban = True, "No spam.", True

    assert ModerationSettings.from_server(server) == ModerationSettings(
        enabled=True,
        rules="No spam.",
        delete=True,
        warn=False,
        timeout=False,
        kick=False,
        ban=True,
        dry_run=False,
    )
