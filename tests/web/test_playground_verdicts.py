"""The playground's verdicts: retrieved sources, smart mode's call, and the moderation check."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from integrations.discordbot.models import BotApplication, DiscordServer
from moderation.models import ModerationEntry
from tests.web.conftest import add_ready_source
from usage.models import UsageEvent

REFUNDS = (
    "# Refunds\n\n## How long do refunds take?\n\n"
    "Refunds are paid back to the original card within five business days."
)
NO_ADS = "Be kind to each other.\nNo advertising, self-promotion or invite links."
INVITE = "come hang out with us at discord.gg/abc123"


@pytest.fixture
def app(db: None) -> BotApplication:
    return BotApplication.objects.create(application_id="42", bot_token="token")


def make_server(workspace: Any, app: BotApplication, guild_id: str, **settings: Any) -> DiscordServer:
    fields: dict[str, Any] = {
        "name": f"Guild {guild_id}",
        "moderation_enabled": True,
        "moderation_rules": NO_ADS,
        **settings,
    }
    return DiscordServer.objects.create(workspace=workspace, application=app, guild_id=guild_id, **fields)


def ask(client: Client, question: str) -> str:
    response = client.post(reverse("playground"), {"question": question}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def check(client: Client, message: str, **data: Any) -> Any:
    return client.post(reverse("playground_moderation"), {"message": message, **data})


# --- Asking ---------------------------------------------------------------------------------


def test_a_covered_question_shows_its_sources_and_that_smart_mode_would_reply(
    alice_client: Client, workspace: Any
) -> None:
    source = add_ready_source(workspace, "Refund policy", REFUNDS)
    page = ask(alice_client, "How long do refunds take?")
    assert "five business days" in page
    assert f'<a href="{reverse("knowledge_source", args=[source.id])}">Refund policy</a>' in page
    assert "Retrieved passages (1)" in page
    assert (
        "In all-messages mode with smart mode, the bot would <strong>reply</strong>: "
        "a question the knowledge base covers." in page
    )


def test_chatter_is_answered_here_but_smart_mode_would_stay_silent(
    alice_client: Client, workspace: Any
) -> None:
    add_ready_source(workspace, "Refund policy", REFUNDS)
    page = ask(alice_client, "thanks lol")
    assert "the bot would <strong>stay silent</strong>: casual chatter." in page


def test_a_question_the_knowledge_does_not_cover_would_get_no_unprompted_reply(
    alice_client: Client, workspace: Any
) -> None:
    add_ready_source(workspace, "Refund policy", REFUNDS)
    page = ask(alice_client, "Where can I park my car?")
    assert "the bot would <strong>stay silent</strong>: the knowledge base does not cover it." in page
    assert "Retrieved passages (0)" in page


def test_smart_mode_is_asked_about_the_question_alone(
    alice_client: Client, workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.providers.base import ReplyDecision

    calls: list[dict[str, Any]] = []

    async def decide_reply(**kwargs: Any) -> ReplyDecision:
        calls.append(kwargs)
        return ReplyDecision(True, "stubbed")

    monkeypatch.setattr("assistant.answering.decide_reply", decide_reply)
    ask(alice_client, "Do you ship abroad?")
    ask(alice_client, "How much does it cost?")
    # As in Discord without channel awareness: no history.
    assert [(c["workspace_id"], c["question"], c["history"]) for c in calls] == [
        (workspace.id, "Do you ship abroad?", []),
        (workspace.id, "How much does it cost?", []),
    ]


# --- Moderation -----------------------------------------------------------------------------


def test_an_invite_link_is_flagged_under_a_server_that_forbids_advertising(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    server = make_server(workspace, app, "1", moderation_delete=True)
    response = check(alice_client, INVITE, server=server.id)
    preview = response.context["preview"]
    assert (
        preview.verdict.violation,
        preview.verdict.rule,
        preview.verdict.severity,
        preview.verdict.action,
    ) == (
        True,
        "No advertising, self-promotion or invite links.",
        "medium",
        "delete",
    )
    page = response.content.decode()
    assert '<span class="badge status-failed">yes</span>' in page
    assert "a Discord invite link (discord.gg/abc123)" in page
    assert '<strong class="would-do">Delete the message.</strong>' in page
    assert "Dry run: nothing was deleted, posted or logged." in page


def test_the_bot_would_do_nothing_when_the_server_enabled_no_action_that_fits(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    server = make_server(workspace, app, "1", moderation_delete=False, moderation_kick=True)
    page = check(alice_client, INVITE, server=server.id).content.decode()
    assert "Nothing: no action you enabled fits the recommendation (delete or milder)." in page
    assert "Enabled actions</dt><dd>kick" in page


def test_repeat_offences_show_the_escalation_the_toggles_allow(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    server = make_server(
        workspace, app, "1", moderation_delete=True, moderation_warn=True, moderation_kick=True
    )
    response = check(alice_client, INVITE, server=server.id)
    assert response.context["preview"].repeat_offences == [
        "A second violation within 24 hours: delete the message, then post a warning naming the member "
        "and the rule.",
        "A third violation within 24 hours: delete the message, then kick the member.",
    ]


def test_the_servers_own_rules_are_used_not_another_servers(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    make_server(workspace, app, "1", name="Strict")
    relaxed = make_server(workspace, app, "2", name="Relaxed", moderation_rules="Be kind to each other.")
    response = check(alice_client, INVITE, server=relaxed.id)
    assert response.context["preview"].verdict.violation is False
    assert "Nothing: the message breaks none of these rules." in response.content.decode()


def test_a_benign_message_shows_no_violation(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    server = make_server(workspace, app, "1")
    response = check(alice_client, "Does anyone know when the next event starts?", server=server.id)
    page = response.content.decode()
    assert response.context["preview"].verdict.violation is False
    assert '<span class="badge status-ready">no</span>' in page
    assert "Recommended action" not in page


def test_a_server_with_moderation_off_is_checked_and_the_page_says_it_is_off(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    server = make_server(workspace, app, "1", moderation_enabled=False)
    page = check(alice_client, INVITE, server=server.id).content.decode()
    assert "Delete the message." in page
    assert "Moderation is <strong>off</strong> on this server" in page


def test_a_dry_run_server_only_logs_in_discord(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    server = make_server(workspace, app, "1", moderation_dry_run=True)
    page = check(alice_client, INVITE, server=server.id).content.decode()
    assert "This server moderates in <strong>dry run</strong>" in page


def test_the_check_acts_on_nothing_and_counts_no_usage(
    alice_client: Client, workspace: Any, app: BotApplication
) -> None:
    server = make_server(workspace, app, "1")
    check(alice_client, INVITE, server=server.id)
    assert not ModerationEntry.objects.exists()
    assert not UsageEvent.objects.exists()


def test_without_servers_the_owner_types_the_rules(alice_client: Client, workspace: Any) -> None:
    page = alice_client.get(reverse("playground")).content.decode()
    assert 'name="server"' not in page
    assert 'name="rules"' in page
    response = check(alice_client, INVITE, rules=NO_ADS)
    assert response.context["preview"].verdict.violation is True
    assert "Delete the message." in response.content.decode()  # a new server's default: delete only


def test_no_rules_at_all_is_refused_with_what_to_do(alice_client: Client, workspace: Any) -> None:
    response = check(alice_client, INVITE, rules="")
    assert response.context["preview"] is None
    assert "There are no rules to check against: type the rules, one per line." in response.content.decode()


def test_an_empty_message_is_refused(alice_client: Client, workspace: Any, app: BotApplication) -> None:
    server = make_server(workspace, app, "1")
    response = check(alice_client, "  ", server=server.id)
    assert response.context["preview"] is None
    assert "Paste the message you want to check." in response.content.decode()


def test_another_workspaces_server_cannot_be_picked(
    alice_client: Client, workspace: Any, other_workspace: Any, app: BotApplication
) -> None:
    make_server(workspace, app, "1")
    bobs = make_server(other_workspace, app, "2", name="Bob Guild")
    response = check(alice_client, INVITE, server=bobs.id)
    page = response.content.decode()
    assert response.context["preview"] is None
    assert "That server is not one of this workspace&#x27;s; pick one from the list." in page
    assert "Bob Guild" not in page


def test_htmx_gets_only_the_moderation_box(alice_client: Client, workspace: Any, app: BotApplication) -> None:
    server = make_server(workspace, app, "1")
    response = alice_client.post(
        reverse("playground_moderation"),
        {"message": INVITE, "server": server.id},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="moderation"')
    assert "<html" not in fragment
    assert "Delete the message." in fragment


def test_the_moderation_check_requires_a_csrf_token(alice: Any, workspace: Any, app: BotApplication) -> None:
    server = make_server(workspace, app, "1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert (
        client.post(reverse("playground_moderation"), {"message": INVITE, "server": server.id}).status_code
        == 403
    )
    page = client.get(reverse("playground")).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= page.count('method="post"')
