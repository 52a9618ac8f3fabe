"""Escalation through the simulator in other languages and after failed answers: the team
is emailed and the member told in their language; a look-alike changes nothing; the third
"I don't know" in a row to the same member escalates."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.core import mail

from accounts.models import Workspace
from assistant.escalation_languages import OFFER_PERSON, TEAM_ASKED, TEAM_TOLD
from assistant.prompts import I_DONT_KNOW
from conversations.models import Conversation, Message
from pipeline import converse as pipeline
from tests.discordbot.conftest import APP_ID, Running
from tests.discordbot.test_ask_e2e import fresh_worker_queue, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

# Nothing in the test knowledge base (refunds, plans, shipping) answers these.
UNANSWERABLE = (
    "Do you sell gift cards?",
    "Is there a student discount?",
    "Can I pay with crypto?",
)


async def ask(running: Running, text: str) -> str:
    """Mention the bot; returns the text of the bot's reply to that message."""
    message = await running.ask(text)
    await running.settle(message)
    (reply,) = [
        m
        for m in running.sim.messages(running.general)
        if m["author"]["id"] == APP_ID
        and (m.get("message_reference") or {}).get("message_id") == message["id"]
    ]
    return str(reply["content"])


@pytest.fixture
def escalation_on(workspace: Workspace, settings: Any) -> Workspace:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    workspace.escalation_email = "team@example.org"
    workspace.escalation_enabled = True
    workspace.plan = "standard"  # escalation needs Standard or above
    workspace.save()
    pipeline._workspace_cache.clear()
    return workspace


async def emails_sent() -> int:
    await asyncio.to_thread(run_worker, fresh_worker_queue())
    return len(mail.outbox)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola, quiero hablar con una persona por favor", "es"),
        ("falar com atendente", "pt"),
        ("min, saya mau bicara dengan admin", "id"),
        ("Ich möchte mit einem Menschen sprechen", "de"),
        ("je veux parler à un humain svp", "fr"),
    ],
)
async def test_a_request_in_another_language_emails_the_team_and_tells_the_member(
    running: Running, escalation_on: Workspace, text: str, language: str
) -> None:
    reply = await ask(running, text)
    assert reply.startswith(TEAM_TOLD[language])
    assert (await Conversation.objects.aget()).state == Conversation.State.ESCALATED
    assert await emails_sent() == 1
    (email,) = mail.outbox
    assert email.to == ["team@example.org"] and text in email.body


@pytest.mark.parametrize(
    "text",
    [
        "bist du ein Mensch?",
        "quels sont les horaires du support ?",
        "mi jefe dijo que compráramos el plan Pro, ¿cuánto cuesta?",
        "we only want human players in the tournament, no bots",
    ],
)
async def test_a_lookalike_in_any_language_does_not_escalate(
    running: Running, escalation_on: Workspace, text: str
) -> None:
    reply = await ask(running, text)
    assert not any(reply.startswith(told) for told in TEAM_TOLD.values())
    assert (await Conversation.objects.aget()).escalated_at is None
    assert await emails_sent() == 0


async def test_without_escalation_an_i_dont_know_offers_no_person(running: Running) -> None:
    assert await ask(running, UNANSWERABLE[0]) == I_DONT_KNOW


async def test_the_offer_of_a_person_speaks_the_member_s_language(
    running: Running, escalation_on: Workspace
) -> None:
    reply = await ask(running, "¿Venden tarjetas de regalo?")
    assert reply.startswith(I_DONT_KNOW) and reply.endswith(OFFER_PERSON["es"])


async def test_the_third_i_dont_know_in_a_row_escalates(running: Running, escalation_on: Workspace) -> None:
    first, second = [await ask(running, text) for text in UNANSWERABLE[:2]]
    # Escalation is on: each "I don't know" says how to reach a person.
    assert first == second == f"{I_DONT_KNOW}\n\n{OFFER_PERSON['en']}"
    assert (await Conversation.objects.aget()).escalated_at is None
    third = await ask(running, UNANSWERABLE[2])
    assert third == TEAM_ASKED["en"]
    assert (await Conversation.objects.aget()).state == Conversation.State.ESCALATED
    assert await emails_sent() == 1
    assert "could not answer" in mail.outbox[0].body
    abstained = [m.abstained async for m in Message.objects.filter(role="assistant").order_by("id")]
    assert abstained == [True, True, True]


async def test_an_answer_in_between_starts_the_count_again(
    running: Running, escalation_on: Workspace
) -> None:
    assert (await ask(running, UNANSWERABLE[0])).startswith(I_DONT_KNOW)
    assert (await ask(running, UNANSWERABLE[1])).startswith(I_DONT_KNOW)
    answer = await ask(running, "Where do orders ship from?")
    assert "Lisbon" in answer and OFFER_PERSON["en"] not in answer
    assert (await ask(running, UNANSWERABLE[2])).startswith(I_DONT_KNOW)
    assert (await Conversation.objects.aget()).escalated_at is None


async def test_failed_answers_do_not_escalate_when_the_operator_turned_it_off(
    running: Running, escalation_on: Workspace, settings: Any
) -> None:
    settings.ESCALATION_AFTER_UNANSWERED = 0
    for text in UNANSWERABLE:
        assert (await ask(running, text)).startswith(I_DONT_KNOW)
    assert (await Conversation.objects.aget()).escalated_at is None
