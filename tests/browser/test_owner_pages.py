"""The owner's long lists and the things said where they matter, in a real browser at a
laptop's and a phone's width: the knowledge list searched, filtered and paged; a missing
Discord permission named on the server's settings; escalation locked on a plan without
it; the team page without a mail server, with the invitation link to copy."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from accounts.models import Invitation
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.permissions import BASE_PERMISSIONS
from knowledge.models import KnowledgeSource
from tests.browser.conftest import PHONE, fits_the_screen, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 900}
WIDTHS = [("laptop", LAPTOP), ("phone", PHONE)]


@pytest.mark.parametrize(("label", "viewport"), WIDTHS)
def test_an_owner_finds_filters_and_pages_through_sources(
    page: Any, alice: Any, workspace: Any, label: str, viewport: dict[str, int]
) -> None:
    for n in range(30):
        KnowledgeSource.objects.create(
            workspace=workspace, kind="text", title=f"Guide {n:02}", status="ready"
        )
    KnowledgeSource.objects.create(workspace=workspace, kind="text", title="Broken import", status="failed")
    page.set_viewport_size(viewport)
    log_in(page, "alice", "correct horse battery")
    page.goto("/knowledge/")
    assert page.locator("#sources tbody tr").count() == 25
    page.get_by_role("link", name="Older →").click()
    page.wait_for_url("**/knowledge/?page=2#sources")
    assert page.locator("#sources tbody tr").count() == 6
    assert fits_the_screen(page)

    page.get_by_label("Find a source").fill("guide")
    page.get_by_label("Status").select_option("ready")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/knowledge/?find=guide&status=ready#sources")
    assert page.get_by_text("30 of 31 sources match; showing 1\N{EN DASH}25.").is_visible()
    page.get_by_role("link", name="Older →").click()
    page.wait_for_url("**/knowledge/?find=guide&status=ready&page=2#sources")
    assert [t.strip() for t in page.locator("#sources tbody tr td:first-child a").all_inner_texts()] == [
        f"Guide {n:02}" for n in range(4, -1, -1)
    ]
    assert page.get_by_label("Find a source").input_value() == "guide"
    assert fits_the_screen(page)
    screenshot(page, f"knowledge-list-filtered-{label}")


@pytest.fixture
def unreachable_discord(settings: Any) -> None:
    """Discord's API at a loopback port nobody listens on (the settings page asks it for
    the channel list, and falls back to typed ids)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DISCORD_API_BASE_URL = f"http://127.0.0.1:{port}/api/v10"


@pytest.mark.parametrize(("label", "viewport"), WIDTHS)
def test_the_server_settings_name_the_permission_the_bot_lacks(
    page: Any, alice: Any, workspace: Any, unreachable_discord: None, label: str, viewport: dict[str, int]
) -> None:
    app = BotApplication.objects.create(application_id="7600001", is_shared=True, bot_token="t")
    server = DiscordServer.objects.create(
        guild_id="900",
        workspace=workspace,
        application=app,
        name="Shop",
        moderation_enabled=True,
        moderation_rules="No spam.",
        moderation_delete=True,
        moderation_timeout=True,
        bot_permissions=BASE_PERMISSIONS,
    )
    page.set_viewport_size(viewport)
    log_in(page, "alice", "correct horse battery")
    page.goto(f"/discord/servers/{server.pk}/settings/")
    alert = page.locator("#lacking-permissions")
    assert "“Manage Messages”, “Moderate Members”" in alert.inner_text()
    page.get_by_label("Kick the member").check()
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text(
        "The bot lacks Discord's “Manage Messages”, “Moderate Members”, “Kick Members”"
    ).wait_for()
    assert fits_the_screen(page)
    screenshot(page, f"server-settings-lacking-permissions-{label}")


def test_escalation_is_shown_locked_with_the_plans_link(page: Any, alice: Any, workspace: Any) -> None:
    workspace.plan = "starter"
    workspace.save()
    page.set_viewport_size(LAPTOP)
    log_in(page, "alice", "correct horse battery")
    page.goto("/settings/")
    locked = page.locator("#escalation-locked")
    assert "Escalation needs the Standard plan or above." in locked.inner_text()
    assert page.get_by_label("Tell the team when a member asks for a person").is_disabled()
    screenshot(page, "workspace-settings-escalation-locked")
    locked.get_by_role("link", name="See the plans").click()
    page.wait_for_url("**/usage/")


@pytest.mark.parametrize(("label", "viewport"), WIDTHS)
def test_without_a_mail_server_the_team_page_offers_the_link_to_copy(
    page: Any, alice: Any, workspace: Any, settings: Any, tmp_path: Any, label: str, viewport: dict[str, int]
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.set_viewport_size(viewport)
    log_in(page, "alice", "correct horse battery")
    page.goto("/team/")
    assert page.locator("#no-mail-server").is_visible()
    page.get_by_label("Email").fill("carol@example.org")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("no mail server is configured, so nobody emails it").wait_for()
    link = page.get_by_label("Invitation link").input_value()
    assert "/invite/" in link and link.startswith("http://")
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert fits_the_screen(page)
    screenshot(page, f"team-no-mail-server-{label}")
    assert link.endswith(f"/invite/{Invitation.objects.get().token}/")
