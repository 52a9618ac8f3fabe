"""The knowledge page and the playground's verdicts in a real browser, where htmx updates
the search results, the sources table and the moderation box in place; on a phone too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrations.discordbot.models import BotApplication, DiscordServer
from knowledge.models import KnowledgeSource
from tests.browser.conftest import PHONE, fits_the_screen, log_in, screenshot
from tests.web.conftest import add_ready_source

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _inline_ingestion(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Indexing jobs run in the web process as soon as their transaction commits."""
    from huey.contrib.djhuey import HUEY

    settings.MEDIA_ROOT = tmp_path / "media"
    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


def test_an_owner_adds_searches_and_deletes_knowledge(page: Any, alice: Any, workspace: Any) -> None:
    log_in(page, "alice", "correct horse battery")
    page.goto("/knowledge/")
    page.get_by_label("Title").first.fill("Refund policy")
    page.get_by_label("Text").fill("Refunds are paid back to the original card within five business days.")
    page.get_by_role("button", name="Add text").click()
    page.get_by_text("Added “Refund policy”").wait_for()
    row = page.locator("#sources tr", has_text="Refund policy")
    row.locator(".status-ready").wait_for()
    assert row.locator('td[data-label="Chunks"]').inner_text() == "1"

    page.get_by_role("searchbox", name="Question").fill("How long do refunds take?")
    page.get_by_role("button", name="Search").click()
    page.locator("#search-results .passage", has_text="five business days").wait_for()
    assert "q=" not in page.url  # swapped in place, not the no-JavaScript page
    screenshot(page, "knowledge-search")

    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "knowledge-phone")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete Refund policy").click()
    page.get_by_text("Deleted “Refund policy”.").wait_for()
    assert not KnowledgeSource.objects.exists()


def test_an_upload_over_the_limit_is_explained(page: Any, alice: Any, settings: Any, tmp_path: Path) -> None:
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 1024
    big = tmp_path / "manual.md"
    big.write_text("# Manual\n\n" + "words " * 400)
    log_in(page, "alice", "correct horse battery")
    page.goto("/knowledge/")
    page.get_by_text("Upload a file").click()
    page.get_by_label("File").set_input_files(str(big))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("the largest upload is 0.0 MB").wait_for()
    assert not KnowledgeSource.objects.exists()


def test_the_playground_shows_smart_mode_and_checks_a_message_in_place(
    page: Any, alice: Any, workspace: Any
) -> None:
    add_ready_source(workspace, "Refund policy", "# Refunds\n\nRefunds take five business days.")
    app = BotApplication.objects.create(application_id="7100002", bot_token="t")
    DiscordServer.objects.create(
        workspace=workspace,
        application=app,
        guild_id="950",
        name="Alice's Guild",
        moderation_enabled=True,
        moderation_rules="No advertising or invite links.",
        moderation_delete=True,
        moderation_warn=True,
    )
    log_in(page, "alice", "correct horse battery")
    page.goto("/playground/")
    page.get_by_placeholder("Ask a question").fill("thanks lol")
    page.get_by_role("button", name="Ask").click()
    page.get_by_text("stay silent").wait_for()
    page.wait_for_load_state("networkidle")  # htmx has settled the swapped answer

    page.get_by_label("Message").fill("join us at discord.gg/abc123")
    page.get_by_label("Check against the rules of").select_option(label="Alice's Guild")
    with page.expect_response(lambda response: "/playground/moderation/" in response.url) as checked:
        page.get_by_role("button", name="Check message").click()
    assert checked.value.ok
    page.locator(".would-do", has_text="Delete the message.").wait_for()
    assert page.url.endswith("/playground/")
    screenshot(page, "playground-moderation")

    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "playground-moderation-phone")
