"""Diagnostics on the setup page: gateway check-ins, the interactions endpoint, and what
each server's bot lacks, each with the advice that matches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from integrations.discordbot.diagnostics import diagnose
from integrations.discordbot.install import ADMINISTRATOR, BASE_PERMISSIONS, MANAGE_MESSAGES
from integrations.discordbot.models import BotApplication, DiscordServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def app() -> BotApplication:
    return BotApplication.objects.create(application_id="71000001", is_shared=True, bot_token="t")


def server(workspace: Any, app: BotApplication, **fields: Any) -> DiscordServer:
    return DiscordServer.objects.create(
        guild_id="900", workspace=workspace, application=app, name="Shop", **fields
    )


def test_a_gateway_that_never_checked_in_is_reported_not_running(workspace: Any, app: BotApplication) -> None:
    (check,) = diagnose(workspace).gateway
    assert not check.ok and "not running" in check.title and "discord_bot" in check.advice


def test_a_recent_check_in_means_connected(workspace: Any, app: BotApplication) -> None:
    app.gateway_seen_at = timezone.now()
    app.save()
    assert diagnose(workspace).gateway[0].ok


def test_a_stale_check_in_means_down(workspace: Any, app: BotApplication) -> None:
    app.gateway_seen_at = timezone.now() - timedelta(minutes=5)
    app.save()
    assert not diagnose(workspace).gateway[0].ok


def test_a_refused_token_says_to_check_the_token(workspace: Any, app: BotApplication) -> None:
    app.gateway_seen_at, app.gateway_error = timezone.now(), "Discord refused the bot token: 401"
    app.save()
    (check,) = diagnose(workspace).gateway
    assert not check.ok and "refused" in check.detail and "Reset Token" in check.advice


def test_the_endpoint_check_gives_the_url_until_discord_reaches_it(
    workspace: Any, app: BotApplication
) -> None:
    (check,) = diagnose(workspace).endpoint
    assert not check.ok and "/discord/webhook/" in check.detail
    app.endpoint_verified_at = timezone.now()
    app.save()
    assert diagnose(workspace).endpoint[0].ok


def test_a_missing_permission_for_an_enabled_action_is_named(workspace: Any, app: BotApplication) -> None:
    server(workspace, app, moderation_enabled=True, moderation_delete=True, bot_permissions=BASE_PERMISSIONS)
    (problem,) = diagnose(workspace).servers[0].problems
    assert "Manage Messages" in problem.title and "Roles" in problem.advice


@pytest.mark.parametrize("permissions", [BASE_PERMISSIONS | MANAGE_MESSAGES, ADMINISTRATOR])
def test_enough_permissions_raise_nothing(workspace: Any, app: BotApplication, permissions: int) -> None:
    server(workspace, app, moderation_enabled=True, moderation_delete=True, bot_permissions=permissions)
    assert diagnose(workspace).servers[0].ok


def test_roles_above_the_bot_matter_only_when_moderating(workspace: Any, app: BotApplication) -> None:
    row = server(workspace, app, roles_above_bot=["Moderators"], bot_permissions=BASE_PERMISSIONS)
    assert diagnose(workspace).servers[0].ok
    row.moderation_enabled = True
    row.moderation_delete = False
    row.moderation_warn = True
    row.save()
    (problem,) = diagnose(workspace).servers[0].problems
    assert "not high enough" in problem.title and "Moderators" in problem.detail


def test_other_workspaces_servers_and_custom_bots_are_not_shown(
    workspace: Any, other_workspace: Any, app: BotApplication
) -> None:
    custom = BotApplication.objects.create(
        application_id="72000002", workspace=other_workspace, bot_token="x"
    )
    DiscordServer.objects.create(guild_id="901", workspace=other_workspace, application=custom, name="Bakery")
    found = diagnose(workspace)
    assert [c.title for c in found.gateway] == [diagnose(workspace).gateway[0].title]
    assert "custom" not in found.gateway[0].title and found.servers == []


def test_the_setup_page_shows_the_diagnostics(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    server(
        workspace,
        app,
        last_error="Could not reply: the bot lacks a permission",
        bot_permissions=BASE_PERMISSIONS,
    )
    page = alice_client.get("/discord/setup/").content.decode()
    assert "Diagnostics" in page and "not running" in page and "Could not reply" in page
