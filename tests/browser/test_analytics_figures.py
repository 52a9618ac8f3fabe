"""The overview's figures in a real browser agree with the lists they link to: follow each
figure's link and count the rows behind it (a conversation per question here, so the
message counts and the conversation rows can be compared), at a laptop's width and a
phone's; the knowledge status counts lead to the filtered sources."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from conversations.models import Conversation, Message
from integrations.discordbot.models import BotApplication, DiscordServer
from knowledge.models import KnowledgeSource
from moderation.models import ModerationEntry
from tests.browser.conftest import PHONE, fits_the_screen, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 900}


def conversation(workspace: Any, member: str, *, abstained: bool, escalated: bool = False) -> None:
    now = timezone.now()
    row = Conversation.objects.create(
        workspace=workspace,
        place_id="900",
        channel_id="901",
        member_id=member,
        last_message_at=now,
        state=Conversation.State.ESCALATED if escalated else Conversation.State.AI,
        escalated_at=now if escalated else None,
    )
    asked = Message.objects.create(conversation=row, role="member", text=f"Question from {member}?")
    reply = "I don't know." if abstained else "Yes, every day."
    Message.objects.create(
        conversation=row, role="assistant", text=reply, abstained=abstained, in_reply_to=asked
    )


def moderated(workspace: Any, server: DiscordServer, n: int, action: str) -> None:
    ModerationEntry.objects.create(
        server=server,
        workspace=workspace,
        guild_id="900",
        channel_id="901",
        message_id=str(5000 + n),
        member_id=str(6000 + n),
        member_name=f"member {n}",
        message_text="spam",
        rule="No spam",
        severity="medium",
        action=action,
        outcome="done",
    )


@pytest.fixture
def figures_behind(workspace: Any) -> None:
    """5 questions: 2 answered, 3 not known (1 of them handed to a person); 3 moderation
    actions on one server; sources 2 ready and 1 failed."""
    workspace.plan = "standard"
    workspace.save()
    conversation(workspace, "1", abstained=False)
    conversation(workspace, "2", abstained=False)
    conversation(workspace, "3", abstained=True)
    conversation(workspace, "4", abstained=True)
    conversation(workspace, "5", abstained=True, escalated=True)
    app = BotApplication.objects.create(application_id="7500001", is_shared=True, bot_token="t")
    server = DiscordServer.objects.create(guild_id="900", workspace=workspace, application=app, name="Shop")
    for n, action in enumerate(["delete", "delete", "warn"]):
        moderated(workspace, server, n, action)
    for title, status in [("FAQ", "ready"), ("Manual", "ready"), ("Old site", "failed")]:
        KnowledgeSource.objects.create(workspace=workspace, kind="text", title=title, status=status)


def figure(page: Any, name: str) -> str:
    return str(page.locator(f'[data-figure="{name}"]').inner_text()).strip()


def rows_behind(page: Any, name: str, rows: str) -> int:
    """Follow the link of the figure ``name`` on the overview and count ``rows`` there."""
    page.goto("/")
    page.locator(f'a:has([data-figure="{name}"])').click()
    page.wait_for_load_state()
    count = page.locator(rows).count()
    page.goto("/")
    return int(count)


CONVERSATION_ROWS = "tr[id^='conversation-']"


@pytest.mark.parametrize(("label", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_each_figure_matches_the_rows_its_link_leads_to(
    page: Any, alice: Any, figures_behind: None, label: str, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    log_in(page, "alice", "correct horse battery")
    assert (figure(page, "questions"), figure(page, "answered"), figure(page, "unknown")) == ("5", "2", "60%")
    assert (figure(page, "handed"), figure(page, "moderation")) == ("1", "3")
    assert fits_the_screen(page)
    screenshot(page, f"analytics-figures-{label}")

    assert rows_behind(page, "questions", CONVERSATION_ROWS) == 5
    assert rows_behind(page, "unknown", CONVERSATION_ROWS) == 3  # the "(3)" beside 60%
    assert "(3)" in page.locator('a:has([data-figure="unknown"])').inner_text()
    assert rows_behind(page, "handed", CONVERSATION_ROWS) == 1
    assert rows_behind(page, "moderation", ".moderation-log tbody tr") == 3


def test_each_knowledge_status_count_matches_the_filtered_sources(
    page: Any, alice: Any, figures_behind: None
) -> None:
    page.set_viewport_size(LAPTOP)
    log_in(page, "alice", "correct horse battery")
    for status, expected in [("ready", 2), ("failed", 1), ("queued", 0)]:
        page.goto("/")
        count = page.locator(f'[data-status-count="{status}"]')
        assert int(count.inner_text()) == expected
        count.click()
        page.wait_for_url(f"**/knowledge/?status={status}#sources")
        assert page.locator("#sources tbody tr").count() == expected
        assert page.get_by_label("Status").input_value() == status
    screenshot(page, "analytics-knowledge-status-queued")
