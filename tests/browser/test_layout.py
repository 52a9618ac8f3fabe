"""Layout that survives content, in a real browser at a laptop's width (1,366 px) and a
phone's (390 px): a long unbroken question and a long title wrap instead of widening the
page, the moderation log fits a laptop with its message readable, and the phone's menu
collapses behind a button (under the Content-Security-Policy the csp_watch fixture checks)."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.discordbot.models import BotApplication, DiscordServer
from knowledge.ingestion import MAX_TITLE_CHARS
from knowledge.models import KnowledgeSource
from moderation.models import ModerationEntry
from tests.browser.conftest import PHONE, fits_the_screen, log_in, screenshot
from tests.web.conftest import add_ready_source

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 900}
WIDTHS = [("laptop", LAPTOP), ("phone", PHONE)]


def page_width(page: Any) -> tuple[int, int]:
    """(the document's scroll width, the viewport's width)."""
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def overflowing(page: Any, selector: str) -> list[int]:
    """How far each element matched by ``selector`` spills out of its own box, in pixels."""
    return page.eval_on_selector_all(selector, "els => els.map(e => e.scrollWidth - e.clientWidth)")


@pytest.mark.parametrize(("label", "viewport"), WIDTHS)
def test_a_5000_character_question_wraps_in_the_playground_bubble(
    page: Any, alice: Any, workspace: Any, label: str, viewport: dict[str, int]
) -> None:
    add_ready_source(workspace, "Help Center", "Refunds take five business days.")
    page.set_viewport_size(viewport)
    log_in(page, "alice", "correct horse battery")
    page.goto("/playground/")
    question = "x" * 5000
    page.get_by_role("textbox").first.fill(question)
    page.get_by_role("button", name="Ask").click()
    bubble = page.locator(".bubble.member").first
    bubble.wait_for()
    asked = bubble.locator(".pre").inner_text()
    assert set(asked) == {"x"} and len(asked) >= 2000  # all the playground keeps of it
    scroll, width = page_width(page)
    assert scroll <= width, f"the page is {scroll} px wide in a {width} px window"
    assert max(overflowing(page, ".bubble")) <= 0
    box = bubble.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    screenshot(page, f"layout-long-question-{label}")


@pytest.mark.parametrize(("label", "viewport"), WIDTHS)
def test_the_longest_title_wraps_in_the_sources_table_and_on_its_page(
    page: Any, alice: Any, workspace: Any, label: str, viewport: dict[str, int]
) -> None:
    # The longest title a source can hold (ingestion clips crawled and uploaded titles to it).
    title = "T" * MAX_TITLE_CHARS
    long = KnowledgeSource.objects.create(workspace=workspace, kind="url", title=title, status="ready")
    add_ready_source(workspace, "Opening hours", "We open at nine.")
    page.set_viewport_size(viewport)
    log_in(page, "alice", "correct horse battery")
    page.goto("/knowledge/")
    page.locator("#sources").get_by_text("Opening hours").wait_for()
    scroll, width = page_width(page)
    assert scroll <= width, f"the page is {scroll} px wide in a {width} px window"
    # Not even the table scrolls sideways: the title's column wraps.
    assert overflowing(page, "#sources .table-wrap") == [0]
    assert page.locator("#sources a", has_text="TTTT").inner_text().strip() == title
    screenshot(page, f"layout-long-title-{label}")
    page.goto(f"/knowledge/{long.pk}/")
    assert fits_the_screen(page)


def test_the_moderation_log_fits_a_laptop_with_the_message_readable(
    page: Any, alice: Any, workspace: Any
) -> None:
    app = BotApplication.objects.create(application_id="7400001", is_shared=True, bot_token="t")
    server = DiscordServer.objects.create(guild_id="900", workspace=workspace, application=app, name="Shop")
    server.channel_names = {"901": "general"}
    server.save()
    message = "Get free nitro at discord.gg/freenitro, only today, click before it expires"
    for n, action in enumerate(["delete", "timeout", "kick", "ban"]):
        ModerationEntry.objects.create(
            server=server,
            workspace=workspace,
            guild_id="900",
            channel_id="901",
            message_id=str(1000 + n),
            member_id=str(2000 + n),
            member_name=f"member-with-a-long-name-{n}",
            message_text=message,
            rule="No spam or advertising, including invite links to other servers",
            rule_line=3,
            severity="high",
            action=action,
            reason="an invite link to another server offered with free nitro",
            outcome="dry_run" if action == "ban" else "done",
            outcome_detail="would have failed: the bot lacks the Ban Members permission"
            if action == "ban"
            else "",
        )
    page.set_viewport_size(LAPTOP)
    log_in(page, "alice", "correct horse battery")
    page.goto(f"/discord/servers/{server.pk}/moderation/")
    page.locator(".moderation-log").wait_for()
    assert fits_the_screen(page)
    assert overflowing(page, ".table-wrap") == [0], "the log scrolls sideways at 1,366 px"
    cell = page.locator('td[data-label="Message"]').first
    box = cell.bounding_box()
    assert box is not None and box["width"] >= 250, f"the message column is {box} wide"
    # The message reads in a few lines, not a column of single words.
    assert cell.inner_text().strip() == message
    lines = cell.locator(".pre").evaluate("e => e.getClientRects().length")
    assert lines <= 3, f"the message takes {lines} lines"
    assert page.get_by_text("The bot couldn't have done this:").is_visible()
    screenshot(page, "layout-moderation-log-1366")


def test_the_phone_menu_collapses_behind_a_button(page: Any, alice: Any, workspace: Any) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, "alice", "correct horse battery")
    menu = page.get_by_role("button", name="Menu")
    knowledge = page.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not knowledge.is_visible()
    header = page.locator(".topbar").bounding_box()
    assert header is not None and header["height"] < 70
    assert fits_the_screen(page)
    screenshot(page, "layout-phone-menu-closed")
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert knowledge.is_visible() and page.get_by_role("button", name="Log out").is_visible()
    screenshot(page, "layout-phone-menu-open")
    knowledge.click()
    page.wait_for_url("**/knowledge/")
    assert not page.get_by_role("navigation", name="Main").get_by_role("link", name="Playground").is_visible()

    page.set_viewport_size(LAPTOP)
    assert not menu.is_visible()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Playground").is_visible()


def test_without_javascript_the_phone_menu_stays_open(alice: Any, browser_without_js: Any) -> None:
    phone = browser_without_js
    log_in(phone, "alice", "correct horse battery")
    assert not phone.get_by_role("button", name="Menu").is_visible()
    assert phone.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").is_visible()
    assert fits_the_screen(phone)


@pytest.fixture
def browser_without_js(page: Any, live_server: Any, csp_watch: Any) -> Any:
    """A second page, at a phone's width, in a context of the same browser with JavaScript off."""
    context = page.context.browser.new_context(base_url=live_server.url, java_script_enabled=False)
    csp_watch.watch(context)
    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    yield phone
    context.close()
