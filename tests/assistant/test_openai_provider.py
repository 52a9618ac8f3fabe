"""The OpenAI-compatible provider against recorded HTTP responses (no network)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from assistant.answering import answer_question, check_message, decide_reply, detect_human_request
from assistant.prompts import APOLOGY, I_DONT_KNOW
from assistant.providers.base import NO_VIOLATION, ModerationRequest, Turn
from assistant.providers.openai_provider import OpenAIProvider
from tests.assistant.support import PASSWORDS, REFUNDS, recorded

pytestmark = pytest.mark.usefixtures("fake_key", "whole_knowledge")

RULES = "1. Be kind.\n2. No advertising or invite links to other servers."
# The local checks cannot judge it (no link), so it goes to the model.
INVITE = ModerationRequest(text="come join our other server, dm me for the link", rules=RULES)


def completion(openai_api: respx.MockRouter, fixture: str) -> respx.Route:
    return openai_api.post("/chat/completions").respond(200, json=recorded(f"openai/{fixture}"))


async def test_it_answers_with_the_passages_it_cites(openai_api: respx.MockRouter) -> None:
    completion(openai_api, "answer_with_citations.json")

    answer = await answer_question(
        workspace_id=1,
        question="How do refunds work if I'm locked out?",
        history=[],
        provider=OpenAIProvider(),
    )

    assert answer.grounded and not answer.failed
    assert answer.sources == [REFUNDS, PASSWORDS]


async def test_it_strips_citation_markers_from_the_answer(openai_api: respx.MockRouter) -> None:
    completion(openai_api, "answer_with_citations.json")

    answer = await answer_question(
        workspace_id=1,
        question="How do refunds work if I'm locked out?",
        history=[],
        provider=OpenAIProvider(),
    )

    assert "[1]" not in answer.text and "[2]" not in answer.text
    assert answer.text.startswith(
        "You can ask for a refund from the Billing page within 30 days of purchase."
    )


async def test_it_sends_numbered_passages_history_and_the_configured_model(
    openai_api: respx.MockRouter, settings: object
) -> None:
    route = completion(openai_api, "answer_with_citations.json")
    history = [Turn("member", "Hi, I bought the annual plan"), Turn("assistant", "Thanks for your purchase!")]

    await answer_question(
        workspace_id=1, question="How do refunds work?", history=history, provider=OpenAIProvider()
    )

    sent = json.loads(route.calls.last.request.content)
    assert sent["model"] == "gpt-4o-mini"
    assert "[1] Billing FAQ \u203a Refunds" in sent["messages"][1]["content"]
    assert "member: Hi, I bought the annual plan" in sent["messages"][1]["content"]
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test-not-a-real-key"


async def test_it_says_it_does_not_know_when_the_model_finds_no_answer(openai_api: respx.MockRouter) -> None:
    completion(openai_api, "no_answer.json")

    answer = await answer_question(
        workspace_id=1, question="How do refunds work?", history=[], provider=OpenAIProvider()
    )

    assert (answer.text, answer.grounded, answer.sources) == (I_DONT_KNOW, False, [])


async def test_a_malformed_verdict_means_no_violation(openai_api: respx.MockRouter) -> None:
    completion(openai_api, "verdict_malformed.json")

    assert await check_message(INVITE, provider=OpenAIProvider()) == NO_VIOLATION


async def test_a_valid_verdict_names_the_owners_rule_line(openai_api: respx.MockRouter) -> None:
    completion(openai_api, "verdict_invite.json")

    verdict = await check_message(INVITE, provider=OpenAIProvider())

    assert (verdict.violation, verdict.rule, verdict.action) == (
        True,
        "2. No advertising or invite links to other servers.",
        "delete",
    )


async def test_it_reads_a_smart_mode_decision(openai_api: respx.MockRouter) -> None:
    completion(openai_api, "should_reply_yes.json")

    decision = await decide_reply(
        workspace_id=1, question="how do refunds work?", history=[], provider=OpenAIProvider()
    )

    assert decision.reply is True


async def test_a_server_error_gives_the_apology_after_one_retry(openai_api: respx.MockRouter) -> None:
    # retry-after-ms keeps the SDK's back-off short; the retry itself is the behaviour under test.
    route = openai_api.post("/chat/completions").respond(
        500, json=recorded("openai/server_error.json"), headers={"retry-after-ms": "5"}
    )

    answer = await answer_question(
        workspace_id=1, question="How do refunds work?", history=[], provider=OpenAIProvider()
    )

    assert (answer.text, answer.failed, answer.grounded) == (APOLOGY, True, False)
    assert route.call_count == 2


async def test_a_timeout_gives_the_apology(openai_api: respx.MockRouter, settings: object) -> None:
    settings.AI_TIMEOUT_SECONDS = 1.0  # type: ignore[attr-defined]
    openai_api.post("/chat/completions").mock(side_effect=httpx.ReadTimeout("timed out"))

    answer = await answer_question(
        workspace_id=1, question="How do refunds work?", history=[], provider=OpenAIProvider()
    )

    assert (answer.text, answer.failed) == (APOLOGY, True)


async def test_it_talks_to_the_configured_base_url(settings: object) -> None:
    settings.AI_BASE_URL = "http://127.0.0.1:11434/v1"  # type: ignore[attr-defined]
    settings.AI_MODEL = "llama3.2"  # type: ignore[attr-defined]
    with respx.mock(using="httpx2", base_url="http://127.0.0.1:11434/v1") as local_server:
        route = completion(local_server, "no_answer.json")

        await answer_question(
            workspace_id=1, question="How do refunds work?", history=[], provider=OpenAIProvider()
        )

    assert json.loads(route.calls.last.request.content)["model"] == "llama3.2"


async def test_it_asks_for_the_escalation_flag_in_any_language_with_the_lookalikes(
    openai_api: respx.MockRouter,
) -> None:
    route = completion(openai_api, "wants_human_yes.json")

    wants = await detect_human_request("falar com atendente pfv", [], provider=OpenAIProvider())

    assert wants is True
    system, user = (m["content"] for m in json.loads(route.calls.last.request.content)["messages"])
    assert "any language" in system and "human error" in system and "support hours" in system
    assert '{"wants_human": true or false}' in system
    assert "<message>\nfalar com atendente pfv\n</message>" in user
