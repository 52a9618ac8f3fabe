"""The knowledge gaps page in a real browser: a gap answered there is gone from the page,
and the bot answers the question from that answer; on a phone too."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.utils import timezone

from assistant import answering
from conversations.models import Conversation, Message
from tests.browser.conftest import PHONE, fits_the_screen, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def unanswered(workspace: Any, question: str, member: str) -> None:
    conversation = Conversation.objects.create(
        workspace=workspace, place_id="10", channel_id="11", member_id=member, last_message_at=timezone.now()
    )
    asked = Message.objects.create(conversation=conversation, role="member", text=question)
    Message.objects.create(
        conversation=conversation, role="assistant", text="I don't know.", abstained=True, in_reply_to=asked
    )


def test_an_owner_answers_a_gap_and_the_bot_then_knows_it(page: Any, alice: Any, workspace: Any) -> None:
    unanswered(workspace, "Do you sell gift cards?", "1")
    unanswered(workspace, "do you sell gift cards", "2")
    log_in(page, "alice", "correct horse battery")
    page.goto("/conversations/gaps/")
    gap = page.locator(".gap", has_text="gift cards")
    assert "Asked 2 times" in gap.inner_text()
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "knowledge-gaps-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    gap.get_by_text("Answer this").click()
    gap.get_by_label("Answer").fill("Yes: gift cards of $25, $50 and $100 are sold in the shop and online.")
    gap.get_by_role("button", name="Add to knowledge").click()
    page.get_by_text("The bot answers it from now on.").wait_for()
    assert page.locator(".gap").count() == 0
    screenshot(page, "knowledge-gaps-answered")
    ask = answering.answer_question(workspace_id=workspace.pk, question="Do you sell gift cards?", history=[])
    with ThreadPoolExecutor(1) as thread:  # Playwright's loop runs in this one
        answer = thread.submit(asyncio.run, ask).result()
    assert answer.grounded and "$25" in answer.text
