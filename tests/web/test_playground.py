from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assistant.providers.base import Answer, Passage, Turn
from tests.web.conftest import add_ready_source

REFUNDS = (
    "# Refunds\n\n## How long do refunds take?\n\n"
    "Refunds are paid back to the original card within five business days."
)


@pytest.fixture
def fake_answer(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the AI at its boundary; returns the calls it received."""
    calls: list[dict[str, Any]] = []

    async def answer_question(**kwargs: Any) -> Answer:
        calls.append(kwargs)
        passage = Passage(
            text="…", title="Shipping", score=1.0, heading="Abroad", url="https://example.org/ship"
        )
        return Answer(f"Answer number {len(calls)}", sources=[passage])

    monkeypatch.setattr("assistant.answering.answer_question", answer_question)
    return calls


def ask(client: Client, question: str) -> str:
    response = client.post(reverse("playground"), {"question": question}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


# Search runs in its own thread (own database connection), so the source must be committed.
@pytest.mark.django_db(transaction=True)
def test_the_playground_answers_from_the_knowledge_base(alice_client: Client, workspace: Any) -> None:
    add_ready_source(workspace, "Refund policy", REFUNDS)
    page = ask(alice_client, "How long do refunds take?")
    assert "five business days" in page
    assert "Refund policy" in page  # the source is named


def test_the_playground_shows_source_titles_headings_and_urls(alice_client: Client, fake_answer: Any) -> None:
    page = ask(alice_client, "Do you ship abroad?")
    assert "Answer number 1" in page
    assert 'href="https://example.org/ship"' in page
    assert "Shipping</a> \u203a Abroad" in page


def test_the_playground_sends_earlier_turns_as_history(alice_client: Client, fake_answer: Any) -> None:
    ask(alice_client, "Do you ship abroad?")
    ask(alice_client, "How much does it cost?")
    assert fake_answer[1]["history"] == [
        Turn(role="member", text="Do you ship abroad?"),
        Turn(role="assistant", text="Answer number 1"),
    ]
    assert fake_answer[1]["question"] == "How much does it cost?"


def test_the_playground_uses_the_workspaces_instructions(
    alice_client: Client, workspace: Any, fake_answer: Any
) -> None:
    ask(alice_client, "Hello?")
    assert fake_answer[0]["workspace_id"] == workspace.id
    assert fake_answer[0]["instructions"] == "Be brief and friendly."


def test_the_playground_remembers_only_the_last_few_turns(alice_client: Client, fake_answer: Any) -> None:
    for number in range(10):
        ask(alice_client, f"Question {number}")
    assert len(fake_answer[-1]["history"]) == 12


def test_a_new_conversation_forgets_the_history(alice_client: Client, fake_answer: Any) -> None:
    ask(alice_client, "Do you ship abroad?")
    alice_client.post(reverse("playground_clear"))
    ask(alice_client, "How much?")
    assert fake_answer[1]["history"] == []


def test_an_empty_question_is_not_sent_to_the_ai(alice_client: Client, fake_answer: Any) -> None:
    response = alice_client.post(reverse("playground"), {"question": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert fake_answer == []


def test_the_playground_form_requires_a_csrf_token(alice: Any, fake_answer: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("playground"), {"question": "Do you ship abroad?"})
    assert response.status_code == 403
    assert fake_answer == []


def test_the_playground_form_carries_a_csrf_token(alice_client: Client) -> None:
    page = alice_client.get(reverse("playground")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_source_heading_does_not_repeat_the_title(
    alice_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def answer_question(**kwargs: Any) -> Answer:
        passage = Passage(text="…", title="Refunds", score=1.0, heading="Refunds \u203a How long")
        return Answer("Five days.", sources=[passage])

    monkeypatch.setattr("assistant.answering.answer_question", answer_question)
    sources_list = ask(alice_client, "How long do refunds take?").split("<details")[0]
    assert "Refunds \u203a How long" in sources_list
    assert "Refunds \u203a Refunds" not in sources_list
