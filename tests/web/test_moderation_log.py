"""The dashboard's server list and each server's moderation log."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.discordbot.models import BotApplication, DiscordServer
from moderation.models import ModerationEntry
from moderation.views import ENTRIES_PER_PAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def app() -> BotApplication:
    return BotApplication.objects.create(application_id="100", is_shared=True, bot_token="t")


@pytest.fixture
def server(workspace: Any, app: BotApplication) -> DiscordServer:
    return DiscordServer.objects.create(
        guild_id="500", name="Alice Guild", workspace=workspace, application=app
    )


@pytest.fixture
def bobs_server(other_workspace: Any, app: BotApplication) -> DiscordServer:
    return DiscordServer.objects.create(
        guild_id="600", name="Bob Guild", workspace=other_workspace, application=app
    )


def add_entry(
    server: DiscordServer,
    message_text: str = "spam",
    *,
    member_id: str = "42",
    member_name: str = "mia",
    action: str = "delete",
    outcome: str = "done",
    outcome_detail: str = "",
    minutes_ago: int = 0,
) -> ModerationEntry:
    assert server.workspace_id is not None
    entry = ModerationEntry.objects.create(
        server=server,
        workspace_id=server.workspace_id,
        guild_id=server.guild_id,
        channel_id="700",
        message_id=str(ModerationEntry.objects.count() + 1),
        member_id=member_id,
        member_name=member_name,
        message_text=message_text,
        rule="No spam.",
        severity="low",
        action=action,
        reason="looks like spam",
        outcome=outcome,
        outcome_detail=outcome_detail,
    )
    # created_at is auto_now_add, so an explicit time is set afterwards.
    ModerationEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return entry


def log_url(server: DiscordServer) -> str:
    return reverse("moderation_log", args=[server.id])


def shown(response: Any) -> list[str]:
    return [entry.message_text for entry in response.context["page"].object_list]


# --- servers -----------------------------------------------------------------------------


def test_the_server_list_links_to_each_servers_moderation_log(
    alice_client: Client, server: DiscordServer, bobs_server: DiscordServer
) -> None:
    page = alice_client.get(reverse("discord_servers")).content.decode()

    assert "Alice Guild" in page
    assert log_url(server) in page
    assert "Bob Guild" not in page
    assert log_url(bobs_server) not in page


def test_the_server_list_says_when_no_server_is_connected(
    alice_client: Client, bobs_server: DiscordServer
) -> None:
    page = alice_client.get(reverse("discord_servers")).content.decode()

    assert "No server connected yet" in page


def test_the_nav_links_to_the_server_list(alice_client: Client) -> None:
    page = alice_client.get(reverse("home")).content.decode()

    assert f'href="{reverse("discord_servers")}"' in page


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["discord_servers", "moderation_log"])
def test_anonymous_visitors_are_sent_to_login(client: Client, server: DiscordServer, name: str) -> None:
    args = [server.id] if name == "moderation_log" else []

    response = client.get(reverse(name, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_a_member_of_another_workspace_gets_404_for_a_log_not_theirs(
    bob_client: Client, server: DiscordServer
) -> None:
    add_entry(server, "alice's secret")

    response = bob_client.get(log_url(server))

    assert response.status_code == 404
    assert "alice's secret" not in response.content.decode()


def test_a_server_claimed_by_no_workspace_is_not_found(alice_client: Client, server: DiscordServer) -> None:
    DiscordServer.objects.filter(pk=server.pk).update(workspace=None)

    assert alice_client.get(log_url(server)).status_code == 404


# --- listing -----------------------------------------------------------------------------


def test_the_log_lists_entries_newest_first(alice_client: Client, server: DiscordServer) -> None:
    add_entry(server, "oldest", minutes_ago=30)
    add_entry(server, "newest", minutes_ago=1)
    add_entry(server, "middle", minutes_ago=10)

    response = alice_client.get(log_url(server))

    assert shown(response) == ["newest", "middle", "oldest"]


def test_the_log_shows_only_this_servers_entries(
    alice_client: Client, server: DiscordServer, workspace: Any, app: BotApplication
) -> None:
    second = DiscordServer.objects.create(guild_id="501", workspace=workspace, application=app)
    add_entry(server, "here")
    add_entry(second, "elsewhere")

    assert shown(alice_client.get(log_url(server))) == ["here"]


def test_each_row_shows_who_where_what_and_why(alice_client: Client, server: DiscordServer) -> None:
    add_entry(
        server,
        member_id="4242",
        member_name="Mia",
        action="kick",
        outcome="failed",
        outcome_detail="the bot lacks Kick Members",
    )

    page = alice_client.get(log_url(server)).content.decode()

    for text in (
        "Mia",
        "4242",
        "700",
        "Kick",
        "Failed",
        "the bot lacks Kick Members",
        "No spam.",
        "looks like spam",
    ):
        assert text in page


def test_skipped_and_dry_run_outcomes_are_shown_with_their_reason(
    alice_client: Client, server: DiscordServer
) -> None:
    add_entry(server, action="ban", outcome="skipped", outcome_detail="the member is an admin")
    add_entry(server, action="warn", outcome="dry_run")

    page = alice_client.get(log_url(server)).content.decode()

    assert "Skipped" in page
    assert "the member is an admin" in page
    assert "Dry run" in page


def test_a_long_message_is_truncated_with_the_full_text_in_details(
    alice_client: Client, server: DiscordServer
) -> None:
    text = "buy cheap gold " * 20 + "THE END"
    add_entry(server, text)

    page = alice_client.get(log_url(server)).content.decode()

    details = re.search(r"<details>\s*<summary>(.*?)</summary>(.*?)</details>", page, re.S)
    assert details is not None
    assert "THE END" not in details.group(1)
    assert "THE END" in details.group(2)


def test_message_text_with_html_is_escaped(alice_client: Client, server: DiscordServer) -> None:
    add_entry(server, '<script>alert("x")</script><b>bold</b>')

    page = alice_client.get(log_url(server)).content.decode()

    assert "<script>alert" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_an_empty_log_says_moderation_is_off(alice_client: Client, server: DiscordServer) -> None:
    page = alice_client.get(log_url(server)).content.decode()

    assert "Nothing has been moderated on this server yet." in page
    assert "Moderation is off for this server" in page


def test_an_empty_log_says_moderation_is_on(alice_client: Client, server: DiscordServer) -> None:
    DiscordServer.objects.filter(pk=server.pk).update(moderation_enabled=True)

    page = alice_client.get(log_url(server)).content.decode()

    assert "Nothing has been moderated on this server yet." in page
    assert "Moderation is on:" in page


# --- filters -----------------------------------------------------------------------------


def test_it_filters_by_action(alice_client: Client, server: DiscordServer) -> None:
    add_entry(server, "banned", action="ban")
    add_entry(server, "deleted", action="delete")

    response = alice_client.get(log_url(server), {"action": "ban"})

    assert shown(response) == ["banned"]
    assert response.context["notices"] == []


def test_it_filters_by_member_name_case_insensitively(alice_client: Client, server: DiscordServer) -> None:
    add_entry(server, "from mia", member_id="1", member_name="MiaTheGreat")
    add_entry(server, "from max", member_id="2", member_name="Max")

    assert shown(alice_client.get(log_url(server), {"member": "thegr"})) == ["from mia"]


def test_it_filters_by_exact_member_id(alice_client: Client, server: DiscordServer) -> None:
    add_entry(server, "from 42", member_id="42", member_name="mia")
    add_entry(server, "from 420", member_id="420", member_name="max")

    assert shown(alice_client.get(log_url(server), {"member": "42"})) == ["from 42"]


def test_filters_combine(alice_client: Client, server: DiscordServer) -> None:
    add_entry(server, "mia banned", member_name="mia", action="ban")
    add_entry(server, "mia deleted", member_name="mia", action="delete")
    add_entry(server, "max banned", member_id="9", member_name="max", action="ban")

    assert shown(alice_client.get(log_url(server), {"action": "ban", "member": "MIA"})) == ["mia banned"]


def test_a_filter_matching_nothing_says_so(alice_client: Client, server: DiscordServer) -> None:
    add_entry(server, action="delete")

    page = alice_client.get(log_url(server), {"action": "ban"}).content.decode()

    assert "No entries match these filters." in page
    assert "Nothing has been moderated" not in page


def test_an_unknown_action_filter_is_explained_and_ignored(
    alice_client: Client, server: DiscordServer
) -> None:
    add_entry(server, "banned", action="ban", minutes_ago=1)
    add_entry(server, "deleted", action="delete")

    response = alice_client.get(log_url(server), {"action": "<obliterate>"})

    assert response.status_code == 200
    assert shown(response) == ["deleted", "banned"]
    page = response.content.decode()
    assert "&lt;obliterate&gt;” is not an action the moderation log records" in page
    assert "<obliterate>" not in page


def test_an_unknown_action_does_not_drop_a_valid_member_filter(
    alice_client: Client, server: DiscordServer
) -> None:
    add_entry(server, "from mia", member_id="1", member_name="mia")
    add_entry(server, "from max", member_id="2", member_name="max")

    response = alice_client.get(log_url(server), {"action": "zap", "member": "mia"})

    assert shown(response) == ["from mia"]
    assert len(response.context["notices"]) == 1


def test_an_overlong_member_filter_is_explained_and_ignored(
    alice_client: Client, server: DiscordServer
) -> None:
    add_entry(server, "kept")

    response = alice_client.get(log_url(server), {"member": "x" * 500})

    assert response.status_code == 200
    assert shown(response) == ["kept"]
    assert "A member filter is at most 100 characters" in response.content.decode()


# --- pagination --------------------------------------------------------------------------


def test_the_log_is_paginated_newest_first(alice_client: Client, server: DiscordServer) -> None:
    total = ENTRIES_PER_PAGE + 5
    for n in range(total):
        add_entry(server, f"message {n}", minutes_ago=total - n)  # message {total-1} is newest

    first = alice_client.get(log_url(server))
    second = alice_client.get(log_url(server), {"page": 2})

    assert len(shown(first)) == ENTRIES_PER_PAGE
    assert shown(first)[0] == f"message {total - 1}"
    assert shown(second) == [f"message {n}" for n in range(4, -1, -1)]
    assert "Page 1 of 2" in first.content.decode()


def test_page_links_keep_the_filters(alice_client: Client, server: DiscordServer) -> None:
    for n in range(ENTRIES_PER_PAGE + 1):
        add_entry(server, f"ban {n}", action="ban", member_name="mia")
    add_entry(server, "a delete", action="delete")

    response = alice_client.get(log_url(server), {"action": "ban", "member": "mia"})

    assert "?action=ban&amp;member=mia&amp;page=2" in response.content.decode()
    second = alice_client.get(log_url(server), {"action": "ban", "member": "mia", "page": "2"})
    assert len(shown(second)) == 1
    assert shown(second)[0].startswith("ban ")


@pytest.mark.parametrize("page", ["0", "999", "abc"])
def test_an_out_of_range_page_shows_a_real_page(
    alice_client: Client, server: DiscordServer, page: str
) -> None:
    add_entry(server, "only")

    response = alice_client.get(log_url(server), {"page": page})

    assert response.status_code == 200
    assert shown(response) == ["only"]


def test_the_log_shows_the_rule_line_the_offence_count_and_the_ladder_step(
    alice_client: Client, server: DiscordServer
) -> None:
    entry = add_entry(server, "selling my acc, $30", action="timeout")
    ModerationEntry.objects.filter(pk=entry.pk).update(
        rule_line=3, offence=2, window_days=30, step="timeout 1 h"
    )

    page = alice_client.get(log_url(server)).content.decode()

    assert "line 3:" in page
    assert "2nd offence of rule 3 in 30 days → timeout 1 h" in page
