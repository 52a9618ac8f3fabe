"""The knowledge gaps page: unanswered questions grouped by similarity, per workspace, and
an answer given there that the bot answers from at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assistant import answering
from conversations.gaps import knowledge_gaps
from conversations.models import AnswerFeedback, Conversation, Message
from knowledge.models import KnowledgeSource

pytestmark = pytest.mark.django_db(transaction=True)


def exchange(workspace: Any, question: str, *, abstained: bool = False, member: str = "1") -> Message:
    conversation, _ = Conversation.objects.get_or_create(
        workspace=workspace,
        place_id="10",
        channel_id="11",
        member_id=member,
        defaults={"last_message_at": timezone.now()},
    )
    asked = Message.objects.create(conversation=conversation, role="member", text=question)
    Message.objects.create(
        conversation=conversation,
        role="assistant",
        text="I don't know." if abstained else "Here you go.",
        abstained=abstained,
        in_reply_to=asked,
    )
    return asked


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def gaps(client: Client) -> str:
    response = client.get(reverse("knowledge_gaps"))
    assert response.status_code == 200
    return str(response.content.decode())


def test_similar_unanswered_questions_are_one_gap_with_their_count(
    alice_client: Client, workspace: Any
) -> None:
    exchange(workspace, "How do I reset my password?", abstained=True)
    exchange(workspace, "how do I reset my password", abstained=True, member="2")
    exchange(workspace, "Do you ship to Canada?", abstained=True)
    exchange(workspace, "What are your opening hours?")  # answered: not a gap
    page = gaps(alice_client)
    assert page.count('class="card gap"') == 2
    assert "Asked 2 times" in page and "Asked 1 time " in page
    assert "opening hours" not in page


def test_a_thumbs_down_makes_a_gap(alice_client: Client, workspace: Any) -> None:
    asked = exchange(workspace, "Can I pay by invoice?")
    AnswerFeedback.objects.create(message=asked.replies.get(), member_id="1", helpful=False)
    assert "Can I pay by invoice?" in gaps(alice_client) and "thumbs-down" in gaps(alice_client)


def test_another_workspaces_gaps_are_not_shown(
    alice_client: Client, workspace: Any, other_workspace: Any
) -> None:
    exchange(other_workspace, "Where is Bob's secret recipe?", abstained=True)
    assert "secret recipe" not in gaps(alice_client)


def test_answering_a_gap_closes_it_and_the_bot_answers_from_it(alice_client: Client, workspace: Any) -> None:
    first = exchange(workspace, "Do you sell gift cards?", abstained=True)
    second = exchange(workspace, "do you sell gift cards", abstained=True, member="2")
    response = alice_client.post(
        reverse("knowledge_gaps_answer"),
        {
            "question": "Do you sell gift cards?",
            "answer": "Yes: gift cards of $25, $50 and $100 are sold in the Lisbon shop and online.",
            "ids": f"{first.pk},{second.pk}",
        },
    )
    assert response.status_code == 302
    source = KnowledgeSource.objects.get(workspace=workspace)
    assert source.status == KnowledgeSource.Status.READY
    page = gaps(alice_client)
    assert 'class="card gap"' not in page and "No gaps" in page
    answer = asyncio.run(
        answering.answer_question(workspace_id=workspace.pk, question="Do you sell gift cards?", history=[])
    )
    assert answer.grounded and "$25" in answer.text


def test_a_gap_answer_cannot_close_another_workspaces_questions(
    alice_client: Client, workspace: Any, other_workspace: Any
) -> None:
    theirs = exchange(other_workspace, "Do you sell gift cards?", abstained=True)
    alice_client.post(
        reverse("knowledge_gaps_answer"),
        {"question": "Gift cards?", "answer": "Yes, we sell gift cards.", "ids": str(theirs.pk)},
    )
    theirs.refresh_from_db()
    assert theirs.gap_closed_at is None


def test_the_answer_form_needs_csrf(alice: Any, workspace: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("knowledge_gaps_answer"), {"question": "q", "answer": "a", "ids": "1"})
    assert response.status_code == 403


def _taken_over(workspace: Any, question: str, reply: str) -> tuple[Message, Message]:
    asked = exchange(workspace, question, abstained=True)
    answer = Message.objects.create(
        conversation=asked.conversation, role="agent", text=reply, author_name="Alice"
    )
    return asked, answer


def test_a_team_reply_is_offered_as_knowledge_with_the_question_it_answers(
    alice_client: Client, workspace: Any
) -> None:
    asked, reply = _taken_over(workspace, "Do you sell gift cards?", "Yes, in $25 and $50, at the shop.")
    page = alice_client.get(reverse("conversation_detail", args=[asked.conversation_id])).content.decode()

    assert "Save as knowledge" in page
    assert 'value="Do you sell gift cards?"' in page
    assert reverse("conversation_save_reply", args=[asked.conversation_id, reply.pk]) in page


def test_saving_a_team_reply_as_knowledge_closes_the_gap_and_the_bot_answers_from_it(
    alice_client: Client, workspace: Any
) -> None:
    asked, reply = _taken_over(workspace, "Do you sell gift cards?", "Yes, in $25 and $50, at the shop.")
    response = alice_client.post(
        reverse("conversation_save_reply", args=[asked.conversation_id, reply.pk]),
        {"question": "Do you sell gift cards?", "answer": reply.text},
    )

    assert response.status_code == 302
    assert KnowledgeSource.objects.get(workspace=workspace).status == KnowledgeSource.Status.READY
    assert not knowledge_gaps(workspace.pk)
    answer = asyncio.run(
        answering.answer_question(workspace_id=workspace.pk, question="Do you sell gift cards?", history=[])
    )
    assert answer.grounded and "$25" in answer.text


def test_another_workspaces_reply_cannot_be_saved(
    alice_client: Client, workspace: Any, other_workspace: Any
) -> None:
    asked, reply = _taken_over(other_workspace, "Do you sell gift cards?", "Yes.")
    response = alice_client.post(
        reverse("conversation_save_reply", args=[asked.conversation_id, reply.pk]),
        {"question": "Gift cards?", "answer": "Yes."},
    )

    assert response.status_code == 404
    assert not KnowledgeSource.objects.exists()
