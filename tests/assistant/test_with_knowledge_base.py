"""The local engine end to end over a real indexed knowledge base (BM25, no fakes)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.answering import answer_question, decide_reply
from assistant.prompts import I_DONT_KNOW
from assistant.providers.base import Turn
from knowledge import search
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source

pytestmark = pytest.mark.django_db(transaction=True)

FAQ = """# Refunds

You can ask for a refund from the Billing page within 30 days of purchase.
Refunds usually take 5 business days to reach your original payment method.

# Passwords

To reset your password, click Forgot password on the login screen.
The reset link stays valid for one hour.
"""


@pytest.fixture
def shop(workspace: Any) -> Any:
    source = add_text_source(workspace, title="Help centre", text=FAQ, enqueue=False)
    ingest_source(source.pk)
    search.invalidate(workspace.pk)
    return workspace


async def test_it_answers_from_the_indexed_knowledge(shop: Any) -> None:
    answer = await answer_question(workspace_id=shop.pk, question="How do I reset my password?", history=[])

    assert answer.grounded and "click Forgot password" in answer.text
    assert answer.sources[0].title == "Help centre"


async def test_it_answers_a_follow_up(shop: Any) -> None:
    history = [Turn("member", "How do refunds work?"), Turn("assistant", "From the Billing page.")]

    answer = await answer_question(
        workspace_id=shop.pk, question="And how long does that take?", history=history
    )

    assert "5 business days" in answer.text


async def test_it_does_not_know_what_the_knowledge_does_not_say(shop: Any) -> None:
    answer = await answer_question(
        workspace_id=shop.pk, question="What is the capital of France?", history=[]
    )

    assert (answer.text, answer.grounded) == (I_DONT_KNOW, False)


async def test_smart_mode_stays_out_of_chatter(shop: Any) -> None:
    decision = await decide_reply(workspace_id=shop.pk, question="thanks everyone, you rock", history=[])

    assert decision.reply is False
