"""Recording a member's question and the reply (the statements written out for speed):
the rows and instances are what the ORM would have made."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assistant.providers.base import Passage
from conversations.actions import Place, record_member_message, record_reply
from conversations.models import Conversation, Message

pytestmark = pytest.mark.django_db


def _place(workspace: Any) -> Place:
    return Place(workspace.pk, "discord", "guild-1", "channel-1", "Guild One")


def _ask(workspace: Any, text: str, external_id: str | None, history: int = 10) -> Any:
    return record_member_message(
        _place(workspace),
        member_id="m1",
        member_name="Mia",
        text=text,
        external_id=external_id,
        history_limit=history,
    )


def test_a_first_question_opens_a_conversation_with_its_row_and_instance(workspace: Any) -> None:
    recorded = _ask(workspace, "Do you ship to Spain?", "100")
    conversation = Conversation.objects.get()
    assert recorded.created and recorded.history == []
    assert recorded.conversation.pk == conversation.pk and conversation.state == Conversation.State.AI
    assert conversation.place_name == "Guild One" and conversation.member_name == "Mia"
    message = Message.objects.get()
    assert recorded.message.pk == message.pk and message.external_id == "100"
    assert message.role == Message.Role.MEMBER and message.sources == [] and not message.abstained


def test_the_next_question_joins_the_conversation_and_reads_its_turns(workspace: Any) -> None:
    first = _ask(workspace, "Do you ship to Spain?", "100")
    record_reply(first.conversation, text="Yes, in 5 days.", author_name="Bot", in_reply_to=first.message)
    second = _ask(workspace, "And to Portugal?", "101")
    assert second.conversation.pk == first.conversation.pk
    assert [(t.role, t.text) for t in second.history] == [
        ("member", "Do you ship to Spain?"),
        ("assistant", "Yes, in 5 days."),
    ]
    assert not second.conversation.human_active(timezone.now())


def test_a_redelivered_message_is_recorded_once(workspace: Any) -> None:
    first = _ask(workspace, "Do you ship to Spain?", "100")
    again = _ask(workspace, "Do you ship to Spain?", "100")
    assert not again.created and again.message.pk == first.message.pk
    assert Message.objects.count() == 1


def test_messages_without_an_external_id_are_all_recorded(workspace: Any) -> None:
    _ask(workspace, "one", None)
    assert _ask(workspace, "two", None).created
    assert Message.objects.count() == 2


def test_a_taken_over_conversation_reads_as_held(workspace: Any, alice: Any) -> None:
    first = _ask(workspace, "I need a person", "100")
    Conversation.objects.filter(pk=first.conversation.pk).update(
        state=Conversation.State.HUMAN, taken_by=alice, agent_active_at=timezone.now()
    )
    second = _ask(workspace, "hello?", "101")
    assert second.conversation.human_active(timezone.now())
    assert second.conversation.taken_by_id == alice.pk


def test_after_an_hour_away_a_new_conversation_opens(workspace: Any) -> None:
    first = _ask(workspace, "Do you ship to Spain?", "100")
    Conversation.objects.update(last_message_at=timezone.now() - timedelta(hours=2))
    assert _ask(workspace, "Hello again", "101").conversation.pk != first.conversation.pk


def test_a_reply_is_logged_with_its_sources_and_moves_the_conversation_on(workspace: Any) -> None:
    question = _ask(workspace, "Do you ship to Spain?", "100")
    before = Conversation.objects.get().last_message_at
    sources = [Passage(title="Shipping", heading="Europe", url="https://example.com/s", text="…", score=1.0)]
    reply = record_reply(
        question.conversation, text="Yes.", sources=sources, abstained=True, in_reply_to=question.message
    )
    stored = Message.objects.get(pk=reply.pk)
    assert stored.sources == [{"title": "Shipping", "heading": "Europe", "url": "https://example.com/s"}]
    assert stored.abstained and stored.in_reply_to_id == question.message.pk
    assert Conversation.objects.get().last_message_at >= before


def test_the_instances_returned_save_as_updates(workspace: Any) -> None:
    recorded = _ask(workspace, "Do you ship to Spain?", "100")
    recorded.message.text = "Do you ship to Spain or Italy?"
    recorded.message.save()
    recorded.conversation.member_name = "Mia R."
    recorded.conversation.save()
    assert Message.objects.get().text == "Do you ship to Spain or Italy?"
    assert Conversation.objects.get().member_name == "Mia R."
