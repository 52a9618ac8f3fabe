"""The server settings page names, in Discord's words, each moderation permission the bot
lacks (as the gateway last recorded it), beside the action and as a warning on saving;
a dry run's log entry says when the bot could not have acted."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.permissions import (
    ADMINISTRATOR,
    BAN_MEMBERS,
    BASE_PERMISSIONS,
    KICK_MEMBERS,
    MANAGE_MESSAGES,
    MODERATE_MEMBERS,
    enabled_but_lacking,
    lacking_for_actions,
)
from moderation.models import ModerationEntry
from tests.web.test_discord_setup import (
    discord_settings,
    settings_data,
    settings_url,
    unreachable_discord,
)

__all__ = ["discord_settings", "unreachable_discord"]  # the fixtures these tests share


@pytest.fixture
def server(workspace: Any) -> DiscordServer:
    app = BotApplication.objects.create(application_id="7300001", is_shared=True, bot_token="t")
    return DiscordServer.objects.create(
        guild_id="500",
        name="Alice Guild",
        workspace=workspace,
        application=app,
        moderation_enabled=True,
        moderation_rules="No spam.",
        moderation_delete=True,
        bot_permissions=BASE_PERMISSIONS | MANAGE_MESSAGES,
    )


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


def moderation(**actions: str) -> dict[str, Any]:
    return settings_data(moderation_enabled="on", moderation_rules="No spam.", **actions)


@pytest.mark.parametrize(
    ("action", "name"),
    [
        ("timeout", "Moderate Members"),
        ("kick", "Kick Members"),
        ("ban", "Ban Members"),
        ("delete", "Manage Messages"),
    ],
)
def test_each_action_is_matched_to_discords_permission_name(
    server: DiscordServer, action: str, name: str
) -> None:
    server.bot_permissions = BASE_PERMISSIONS
    assert lacking_for_actions(server)[action] == name


def test_nothing_is_lacking_for_an_administrator_or_before_the_gateway_reported(
    server: DiscordServer,
) -> None:
    server.bot_permissions = BASE_PERMISSIONS | ADMINISTRATOR
    assert lacking_for_actions(server) == {}
    server.bot_permissions = None
    assert lacking_for_actions(server) == {}


def test_only_switched_on_actions_would_fail(server: DiscordServer) -> None:
    server.moderation_kick = True
    assert enabled_but_lacking(server) == [("kick", "Kick Members")]
    server.moderation_enabled = False
    assert enabled_but_lacking(server) == []


def test_enabling_kick_without_kick_members_warns_on_saving_and_on_the_page(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    response = alice_client.post(
        settings_url(server), moderation(moderation_delete="on", moderation_kick="on"), follow=True
    )
    text = page(response)
    assert "The bot lacks Discord's “Kick Members” permission in “Alice Guild”" in text
    assert 'id="lacking-permissions"' in text
    assert "this action fails until its role gets it." in text
    server.refresh_from_db()
    assert server.moderation_kick  # saved anyway: the owner may grant it next


def test_a_granted_permission_raises_no_warning(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    DiscordServer.objects.filter(id=server.id).update(
        bot_permissions=BASE_PERMISSIONS | MANAGE_MESSAGES | KICK_MEMBERS | BAN_MEMBERS | MODERATE_MEMBERS
    )
    response = alice_client.post(
        settings_url(server), moderation(moderation_delete="on", moderation_kick="on"), follow=True
    )
    text = page(response)
    assert "lacks" not in text


def test_an_action_left_off_is_only_noted_beside_it(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    text = page(alice_client.get(settings_url(server)))
    assert 'id="lacking-permissions"' not in text
    assert "The bot lacks Discord's “Ban Members” permission here: grant it before turning this on." in text
    assert "“Moderate Members” permission here (“Timeout Members” in Discord's role settings)" in text


def test_a_dry_run_says_what_the_bot_could_not_have_done(
    alice_client: Client, server: DiscordServer, workspace: Any
) -> None:
    ModerationEntry.objects.create(
        server=server,
        workspace=workspace,
        guild_id="500",
        channel_id="1",
        message_id="2",
        member_id="3",
        member_name="spammer",
        message_text="buy now",
        rule="No spam.",
        action="kick",
        outcome="dry_run",
        outcome_detail="would have failed: the bot lacks the Kick Members permission",
    )
    text = page(alice_client.get(reverse("moderation_log", args=[server.id])))
    assert (
        "<strong>The bot couldn't have done this:</strong> would have failed: the bot lacks the Kick Members"
        in text
    )


def test_another_workspaces_server_settings_are_not_found(
    bob_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    assert bob_client.get(settings_url(server)).status_code == 404
