"""The AI's safe entry points: what the message pipeline, the worker and the dashboard call.

None of these raise. Each runs the provider under ``settings.AI_TIMEOUT_SECONDS`` and, when
anything goes wrong (timeout, transport error, a bug), logs it and degrades safely: an
apology instead of an answer, no reply, no moderation action, no escalation, no post.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from typing import TypeVar

from django.conf import settings

from assistant import conduct_checks, content_checks, detectors
from assistant.prompts import APOLOGY
from assistant.providers.base import (
    NO_VIOLATION,
    Answer,
    AnswerRequest,
    ModerationRequest,
    Passage,
    Provider,
    ReplyDecision,
    Turn,
    Verdict,
)
from assistant.providers.registry import get_provider
from assistant.text import terms, topic_weight, weighted_terms

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A question this short leans on the conversation for its subject.
SHORT_QUESTION_WORDS = 4
_ANAPHORIC = re.compile(
    r"\b(?:it|its|that|this|they|them|their|those|these)\b"
    r"|(?<!is )(?<!are )\bthere\b"
    r"|^\W*(?:and|also|so|but|what about|how about)\b"
)
_JOINED = re.compile(r"^\W*(?:and|also|so|but)\b[\s,]*")
_URL = re.compile(r"(?<![<(])\bhttps?://[^\s<>]+")
_URL_TRAILING = ".,;:!?)'\""
_MASS_PING = re.compile(r"@(everyone|here)\b")


async def answer_question(
    *,
    workspace_id: int,
    question: str,
    history: list[Turn],
    instructions: str = "",
    bot_name: str = "Guildmind",
    provider: Provider | None = None,
) -> Answer:
    """Answer ``question`` from the workspace's knowledge. Never raises.

    ``history`` holds the earlier turns, oldest first (the current question excluded).
    On any failure returns ``Answer(APOLOGY, failed=True, grounded=False)``.
    """
    try:
        history = _recent(history)
        query, passages = await _search(workspace_id, question, history)
        request = AnswerRequest(
            question=question,
            passages=passages,
            history=history,
            instructions=instructions,
            bot_name=bot_name,
            query=query,
        )
        chosen = provider or get_provider()
        return await _within_timeout(chosen.answer(request))
    except Exception:
        logger.exception("answering failed for workspace %s", workspace_id)
        return Answer(APOLOGY, sources=[], grounded=False, failed=True)


async def decide_reply(
    *,
    workspace_id: int,
    question: str,
    history: list[Turn],
    provider: Provider | None = None,
) -> ReplyDecision:
    """Smart mode: should the bot answer this unaddressed message? Never raises (failure: no)."""
    try:
        history = _recent(history)
        query, passages = await _search(workspace_id, question, history)
        request = AnswerRequest(question=question, passages=passages, history=history, query=query)
        chosen = provider or get_provider()
        return await _within_timeout(chosen.should_reply(request))
    except Exception:
        logger.exception("should-reply failed for workspace %s", workspace_id)
        return ReplyDecision(False, "the AI provider failed")


async def check_message(request: ModerationRequest, provider: Provider | None = None) -> Verdict:
    """Moderate one message against the owner's rules. Never raises (failure: no violation).

    The local checks run first, whatever the provider: what they find costs no AI call, and
    neither does a message they clear with confidence (``needs_judgement``). Only the rest
    goes to an AI provider (which judges every rule, the ones no local check covers too)."""
    if not request.rules.strip():
        return NO_VIOLATION
    try:
        chosen = provider or get_provider()
        if chosen.name != "local":
            local = detectors.moderate_by_rules(request)
            if local.violation or not needs_ai_call(request):
                return local
        return await _within_timeout(chosen.moderate(request))
    except Exception:
        logger.exception("moderation check failed")
        return NO_VIOLATION


def needs_ai_call(request: ModerationRequest) -> bool:
    """Whether an AI provider must judge a message the local checks found nothing in."""
    rules = detectors.compiled_rules(request.rules)
    return conduct_checks.needs_judgement(content_checks.Inspected(request, rules.allowed_domains))


async def detect_human_request(text: str, history: list[Turn], provider: Provider | None = None) -> bool:
    """Does the member want a person? Never raises (failure: False)."""
    try:
        chosen = provider or get_provider()
        return await _within_timeout(chosen.wants_human(text, _recent(history)))
    except Exception:
        logger.exception("wants-human check failed")
        return False


async def compose_post(
    topic: str, workspace_id: int, previous_posts: list[str], provider: Provider | None = None
) -> str | None:
    """A proactive post on ``topic`` unlike ``previous_posts``; None when there is nothing
    new to say or the provider failed. Never raises."""
    try:
        passages = await _retrieve(workspace_id, topic, k=settings.KNOWLEDGE_TOP_K * 2)
        chosen = provider or get_provider()
        text = await _within_timeout(chosen.compose_proactive(topic, passages, previous_posts))
    except Exception:
        logger.exception("composing a proactive post failed for workspace %s", workspace_id)
        return None
    return text.strip() or None


def format_reply(answer: Answer) -> str:
    """The message to post: the answer, then a "Sources:" line when it is grounded.

    URLs are wrapped in <> so Discord does not unfurl them, and @everyone / @here are
    defused even if a knowledge passage or a model wrote them.
    """
    text = _defuse_mass_pings(_unembed_urls(answer.text.strip()))
    if answer.grounded and answer.sources:
        citations = list(dict.fromkeys(_defuse_mass_pings(p.citation()) for p in answer.sources))
        text += "\n\nSources: " + ", ".join(citations)
    return text


def retrieval_query(question: str, history: list[Turn]) -> str:
    """The text to search the knowledge base with.

    A follow-up ("and how long does that take?") names no subject of its own; its subject
    is in the member's previous turn, so that turn is appended.
    """
    previous = _previous_member_turn(question, history)
    if previous is None:
        return question
    is_short = len(question.split()) <= SHORT_QUESTION_WORDS or topic_weight(weighted_terms(question)) == 0
    if is_short or _ANAPHORIC.search(question.lower()):
        return f"{question} {previous}"
    return question


async def _search(workspace_id: int, question: str, history: list[Turn]) -> tuple[str, list[Passage]]:
    """The query the knowledge base is searched with (:func:`retrieval_query`) and the
    passages it finds.

    A question that leans on the conversation only by how it opens ("Also, can I change my
    address?") may be a new question: when the passage its context finds holds none of
    its own words, it is asked on its own (and answered, or not, as such)."""
    query = retrieval_query(question, history)
    passages = await _retrieve(workspace_id, query)
    if query != question and _joined_only(question) and not _meets(question, passages):
        return question, await _retrieve(workspace_id, question)
    return query, passages


def _joined_only(question: str) -> bool:
    """Whether only its opening word ("and", "also", "so", "but") ties ``question`` to the
    conversation: without it, it names a subject of its own and points at nothing."""
    opening = _JOINED.match(question.lower())
    if opening is None:
        return False
    rest = question[opening.end() :]
    named = len(rest.split()) > SHORT_QUESTION_WORDS and topic_weight(weighted_terms(rest)) > 0
    return named and not _ANAPHORIC.search(rest.lower())


def _meets(question: str, passages: list[Passage]) -> bool:
    """Whether the best passage holds any of the question's own content words."""
    if not passages:
        return False
    best = passages[0]
    return bool(terms(question) & terms(f"{best.title}\n{best.heading}\n{best.text}"))


def _previous_member_turn(question: str, history: list[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "member" and turn.text.strip() and turn.text.strip() != question.strip():
            return turn.text.strip()
    return None


def _recent(history: list[Turn]) -> list[Turn]:
    keep = settings.AI_HISTORY_TURNS
    return list(history[-keep:]) if keep else []


async def _retrieve(workspace_id: int, query: str, k: int | None = None) -> list[Passage]:
    # Looked up per call: knowledge depends on Django models, so the AI layer imports
    # cleanly without them, and tests can swap the search function.
    from knowledge import search

    return await search.asearch(workspace_id, query, k=k or settings.KNOWLEDGE_TOP_K)


async def _within_timeout(call: Awaitable[T]) -> T:
    async with asyncio.timeout(settings.AI_TIMEOUT_SECONDS):
        return await call


def _unembed_urls(text: str) -> str:
    def wrap(match: re.Match[str]) -> str:
        url = match.group(0)
        trimmed = url.rstrip(_URL_TRAILING)
        return f"<{trimmed}>{url[len(trimmed) :]}"

    return _URL.sub(wrap, text)


def _defuse_mass_pings(text: str) -> str:
    # A zero-width space after the @ keeps the word readable but unable to ping.
    return _MASS_PING.sub("@\u200b\\1", text)
