"""Manage Threads, which tagging and closing solved forum posts need: diagnostics name it in
Discord's words for a server whose forum posts the bot answers, and only there."""

from __future__ import annotations

from typing import Any

import pytest

from conversations.forum_posts import PostRef, record_post
from integrations.discordbot.diagnostics import diagnose
from integrations.discordbot.install import BASE_PERMISSIONS
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.permissions import MANAGE_THREADS

pytestmark = pytest.mark.django_db


@pytest.fixture
def app() -> BotApplication:
    return BotApplication.objects.create(application_id="71000001", is_shared=True, bot_token="t")


def server(workspace: Any, app: BotApplication, **fields: Any) -> DiscordServer:
    return DiscordServer.objects.create(
        guild_id="900", workspace=workspace, application=app, name="Shop", **fields
    )


def forum_post(workspace: Any, guild_id: str = "900") -> None:
    record_post(
        PostRef(workspace.pk, "discord", guild_id, "901"), forum_id="902", title="Help", author_id="1"
    )


def test_a_server_with_forum_posts_is_told_the_bot_lacks_manage_threads(
    workspace: Any, app: BotApplication
) -> None:
    server(workspace, app, bot_permissions=BASE_PERMISSIONS)
    forum_post(workspace)
    (problem,) = diagnose(workspace).servers[0].problems
    assert "Manage Threads" in problem.title and "Manage Threads" in problem.advice


def test_with_manage_threads_nothing_is_reported(workspace: Any, app: BotApplication) -> None:
    server(workspace, app, bot_permissions=BASE_PERMISSIONS | MANAGE_THREADS)
    forum_post(workspace)
    assert diagnose(workspace).servers[0].ok


def test_without_forum_posts_manage_threads_is_not_asked_for(workspace: Any, app: BotApplication) -> None:
    server(workspace, app, bot_permissions=BASE_PERMISSIONS)
    forum_post(workspace, guild_id="777")  # another server's post
    assert diagnose(workspace).servers[0].ok


def test_with_no_tag_and_no_closing_manage_threads_is_not_needed(workspace: Any, app: BotApplication) -> None:
    server(workspace, app, bot_permissions=BASE_PERMISSIONS, solved_tag_name="", close_on_solved=False)
    forum_post(workspace)
    assert diagnose(workspace).servers[0].ok
