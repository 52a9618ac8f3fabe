from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.actions import SESSION_KEY, create_workspace_for, get_workspace_for, workspaces_of
from integrations.discordbot.models import BotApplication, DiscordServer
from knowledge.models import KnowledgeSource
from tests.web.conftest import add_ready_source

PAGES = [("home", []), ("playground", []), ("knowledge", []), ("knowledge_source", [1])]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_sends_anonymous_visitors_to_login(client: Client, name: str, args: list[int]) -> None:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_login_with_the_right_password_opens_the_overview(client: Client, alice: Any) -> None:
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct horse battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Alice&#x27;s Workshop" in response.content.decode()


def test_login_with_a_wrong_password_is_refused(client: Client, alice: Any) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_only_accepts_post(alice_client: Client) -> None:
    assert alice_client.get(reverse("logout")).status_code == 405
    assert alice_client.post(reverse("logout")).status_code == 302
    assert alice_client.get(reverse("home")).status_code == 302


def test_overview_explains_what_to_set_when_discord_is_not_configured(
    alice_client: Client, settings: Any
) -> None:
    settings.DISCORD_BOT_TOKEN = ""
    page = alice_client.get(reverse("home")).content.decode()
    assert (
        "Set DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY, DISCORD_BOT_TOKEN and DISCORD_CLIENT_SECRET" in page
    )


def test_overview_says_discord_is_configured_when_a_token_is_set(alice_client: Client, settings: Any) -> None:
    settings.DISCORD_BOT_TOKEN = "a-token"
    page = alice_client.get(reverse("home")).content.decode()
    assert "Bot token configured" in page
    assert "Set DISCORD_APPLICATION_ID" not in page


def test_overview_lists_only_this_workspaces_servers(
    alice_client: Client, workspace: Any, other_workspace: Any
) -> None:
    app = BotApplication.objects.create(application_id="42", bot_token="token")
    DiscordServer.objects.create(workspace=workspace, application=app, guild_id="1", name="Alice Guild")
    DiscordServer.objects.create(workspace=other_workspace, application=app, guild_id="2", name="Bob Guild")
    page = alice_client.get(reverse("home")).content.decode()
    assert "Alice Guild" in page
    assert "Bob Guild" not in page


def test_overview_counts_sources_by_status(alice_client: Client, workspace: Any) -> None:
    KnowledgeSource.objects.create(workspace=workspace, kind="text", title="a", status="failed")
    KnowledgeSource.objects.create(workspace=workspace, kind="text", title="b", status="ready")
    response = alice_client.get(reverse("home"))
    assert response.context["source_total"] == 2
    assert ("failed", "Failed", 1) in response.context["source_statuses"]


def test_knowledge_page_shows_status_size_chunks_and_errors(alice_client: Client, workspace: Any) -> None:
    add_ready_source(workspace, "Opening hours", "# Opening hours\n\nWe open at nine every weekday.")
    KnowledgeSource.objects.create(
        workspace=workspace, kind="url", title="Broken page", status="failed", error="HTTP 404 from the site"
    )
    page = alice_client.get(reverse("knowledge")).content.decode()
    assert "Opening hours" in page
    assert "status-ready" in page
    assert "HTTP 404 from the site" in page
    assert " ago" in page  # last indexed


def test_knowledge_page_lists_only_this_workspaces_sources(
    bob_client: Client, workspace: Any, alice: Any
) -> None:
    KnowledgeSource.objects.create(workspace=workspace, kind="text", title="Alice secret recipe")
    response = bob_client.get(reverse("knowledge"))
    assert response.context["sources"] == []
    assert "Alice secret recipe" not in response.content.decode()


def test_a_source_of_another_workspace_is_not_found(bob_client: Client, workspace: Any, alice: Any) -> None:
    source = KnowledgeSource.objects.create(workspace=workspace, kind="text", title="Alice secret recipe")
    assert bob_client.get(reverse("knowledge_source", args=[source.id])).status_code == 404


def test_a_source_page_shows_its_passages(alice_client: Client, workspace: Any) -> None:
    source = add_ready_source(workspace, "Returns", "# Returns\n\nReturns are accepted within thirty days.")
    page = alice_client.get(reverse("knowledge_source", args=[source.id])).content.decode()
    assert "Returns are accepted within thirty days." in page


def test_a_user_without_a_workspace_gets_one_of_their_own(client: Client, django_user_model: Any) -> None:
    carol = django_user_model.objects.create_user("carol", password="correct horse battery")
    client.force_login(carol)
    assert client.get(reverse("home")).status_code == 200
    assert [w.name for w in workspaces_of(carol)] == ["carol's workspace"]


def test_a_session_pointing_at_another_teams_workspace_is_ignored(
    rf: Any, alice: Any, workspace: Any, other_workspace: Any
) -> None:
    request = rf.get("/")
    request.user = alice
    request.session = {SESSION_KEY: other_workspace.id}
    assert get_workspace_for(request) == workspace


def test_the_session_picks_among_the_users_workspaces(rf: Any, alice: Any) -> None:
    second = create_workspace_for(alice, "Alice's Second Shop")
    request = rf.get("/")
    request.user = alice
    request.session = {SESSION_KEY: second.id}
    assert get_workspace_for(request) == second


def test_the_knowledge_page_refreshes_itself_while_a_source_is_queued(
    alice_client: Client, workspace: Any
) -> None:
    KnowledgeSource.objects.create(workspace=workspace, kind="text", title="Waiting", status="queued")
    assert 'hx-trigger="every 3s"' in alice_client.get(reverse("knowledge")).content.decode()


def test_the_knowledge_page_stops_refreshing_when_everything_is_indexed(
    alice_client: Client, workspace: Any
) -> None:
    KnowledgeSource.objects.create(workspace=workspace, kind="text", title="Done", status="ready")
    assert "hx-trigger" not in alice_client.get(reverse("knowledge")).content.decode()
