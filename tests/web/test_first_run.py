"""First run: the getting-started checklist ticks from real state, the playground says when
the knowledge base is empty, styled 404 and 500 pages, the port in use said in words, the
demo on the top plan, and the plan page speaking to self-hosters."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.test import Client

from accounts.management.commands.up import port_in_use, port_in_use_message
from integrations.discordbot.models import BotApplication, DiscordServer
from tests.web.conftest import add_ready_source

pytestmark = pytest.mark.django_db


def ticks(client: Client) -> dict[str, bool]:
    steps = client.get("/").context["steps"]
    return {step.title: step.done for step in steps}


def test_a_new_workspace_has_every_step_to_do(alice_client: Client) -> None:
    page = alice_client.get("/").content.decode()
    assert "Getting started" in page and "0 of 5 done" in page
    assert list(ticks(alice_client)) == [
        "Add knowledge",
        "Try the playground",
        "Connect a server",
        "Choose a mode",
        "Set rules",
    ]


def test_the_steps_tick_from_what_was_done(alice_client: Client, workspace: Any) -> None:
    add_ready_source(workspace, "FAQ", "Refunds take five business days to reach your card.")
    alice_client.post("/playground/", {"question": "How long do refunds take?"})
    app = BotApplication.objects.create(application_id="100", is_shared=True, bot_token="t")
    server = DiscordServer.objects.create(guild_id="500", name="Shop", workspace=workspace, application=app)
    assert ticks(alice_client) == {
        "Add knowledge": True,
        "Try the playground": True,
        "Connect a server": True,
        "Choose a mode": False,
        "Set rules": False,
    }
    server.moderation_enabled, server.moderation_rules = True, "No spam."
    server.save()
    assert ticks(alice_client)["Set rules"] is True


def test_the_checklist_goes_away_when_everything_is_done(alice_client: Client, workspace: Any) -> None:
    from django.utils import timezone

    add_ready_source(workspace, "FAQ", "Refunds take five business days to reach your card.")
    workspace.playground_tried_at = timezone.now()
    workspace.save()
    app = BotApplication.objects.create(application_id="100", is_shared=True, bot_token="t")
    DiscordServer.objects.create(
        guild_id="500",
        workspace=workspace,
        application=app,
        settings_saved_at=timezone.now(),
        moderation_enabled=True,
        moderation_rules="No spam.",
    )
    assert "Getting started" not in alice_client.get("/").content.decode()


def test_another_workspaces_progress_does_not_tick_mine(alice_client: Client, other_workspace: Any) -> None:
    add_ready_source(other_workspace, "FAQ", "Refunds take five business days to reach your card.")
    assert ticks(alice_client)["Add knowledge"] is False


def test_the_playground_says_the_knowledge_base_is_empty(alice_client: Client, workspace: Any) -> None:
    assert "The knowledge base is empty" in alice_client.get("/playground/").content.decode()
    add_ready_source(workspace, "FAQ", "Refunds take five business days to reach your card.")
    assert "The knowledge base is empty" not in alice_client.get("/playground/").content.decode()


def test_a_missing_page_is_the_styled_404(alice_client: Client, settings: Any) -> None:
    settings.DEBUG = False
    response = alice_client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Back to the overview" in page and "app.css" in page


def test_a_server_error_is_the_styled_500(settings: Any) -> None:
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Something went wrong" in page and "app.css" in page


def test_a_port_in_use_is_said_in_words_with_a_free_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        message = port_in_use_message("127.0.0.1", port)
    assert message.startswith(f"port {port} is in use; try ./run.sh --port ")
    suggested = int(message.rsplit(" ", 1)[1])
    assert suggested > port and not port_in_use("127.0.0.1", suggested)


def test_the_demo_workspace_is_on_the_top_plan() -> None:
    from accounts.management.commands.seed_demo import seed_demo

    assert seed_demo().workspace.plan == "pro"


def test_the_plan_page_speaks_to_self_hosters(alice_client: Client, settings: Any) -> None:
    page = alice_client.get("/usage/").content.decode()
    assert "DEFAULT_PLAN" in page and "/admin/accounts/workspace/" in page
