"""The dashboard in a real browser: an owner signs in and uses each page, on a laptop and on
a phone; screenshots of every page are saved."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.discordbot.models import BotApplication, DiscordServer
from moderation.models import ModerationEntry
from tests.browser.conftest import PHONE, fits_the_screen, log_in, screenshot
from tests.web.conftest import add_ready_source

pytestmark = pytest.mark.django_db(transaction=True)

FAQ = """# Billing

## Refunds
Refunds are issued to the original payment method within 5 business days of approval.
"""


@pytest.fixture
def server(workspace: Any) -> DiscordServer:
    app = BotApplication.objects.create(application_id="7100001", is_shared=True, bot_token="t")
    return DiscordServer.objects.create(
        guild_id="900", workspace=workspace, application=app, name="Alice's Guild"
    )


def test_an_owner_asks_the_playground_and_reads_the_moderation_log(
    page: Any, alice: Any, workspace: Any, server: DiscordServer
) -> None:
    add_ready_source(workspace, "Help Center", FAQ)
    ModerationEntry.objects.create(
        server=server,
        workspace=workspace,
        guild_id="900",
        channel_id="901",
        message_id="902",
        member_id="903",
        member_name="spammer",
        message_text="Join discord.gg/freenitro <b>now</b>",
        rule="No spam or advertising",
        severity="medium",
        action="delete",
        reason="an invite link",
        outcome="done",
    )
    log_in(page, "alice", "correct horse battery")
    screenshot(page, "overview")

    page.goto("/knowledge/")
    assert page.get_by_text("Help Center").first.is_visible()
    screenshot(page, "knowledge")

    page.goto("/playground/")
    page.get_by_role("textbox").first.fill("How long do refunds take?")
    page.get_by_role("button", name="Ask").click()
    page.get_by_text("5 business days").first.wait_for()
    screenshot(page, "playground")

    page.goto("/discord/servers/")
    assert page.get_by_text("Alice's Guild").first.is_visible()
    screenshot(page, "servers")
    page.get_by_role("link", name="Moderation log").first.click()
    page.get_by_text("spammer").first.wait_for()
    assert "Join discord.gg/freenitro <b>now</b>" in page.content().replace("&lt;", "<").replace("&gt;", ">")
    screenshot(page, "moderation-log")

    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "moderation-log-phone")
    page.goto("/playground/")
    assert fits_the_screen(page)
    screenshot(page, "playground-phone")


def test_another_workspaces_log_is_not_found_in_the_browser(
    page: Any, bob: Any, server: DiscordServer
) -> None:
    log_in(page, "bob", "correct horse battery")
    response = page.goto(f"/discord/servers/{server.pk}/moderation/")
    assert response is not None and response.status == 404


def test_the_overview_s_figures_lead_to_the_lists_behind_them(
    page: Any, alice: Any, workspace: Any, server: DiscordServer
) -> None:
    from django.utils import timezone

    from conversations.models import Conversation, Message

    conversation = Conversation.objects.create(
        workspace=workspace, place_id="900", channel_id="901", member_id="1", last_message_at=timezone.now()
    )
    Message.objects.create(conversation=conversation, role="member", text="Do you sell gift cards?")
    Message.objects.create(conversation=conversation, role="assistant", text="I don't know.", abstained=True)
    log_in(page, "alice", "correct horse battery")
    assert page.locator("svg.chart-days").count() == 2
    screenshot(page, "overview-figures")
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "overview-figures-phone")

    page.get_by_role("link", name="See those conversations").click()
    page.wait_for_url("**/conversations/?unknown=1")
    assert page.get_by_role("checkbox", name="The bot didn't know").is_checked()
    assert page.locator(f'a[href="/conversations/{conversation.pk}/"]').count() >= 1
