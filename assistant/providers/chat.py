"""What the language-model providers share: prompts in, validated results out.

A subclass only says how to send one system + user prompt and get text back
(``_complete``). Transport errors propagate (``assistant.answering`` turns them into an
apology or a safe default); malformed structured output is handled here: logged, and the
safe default returned.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from assistant import prompts
from assistant.prompts import I_DONT_KNOW, NO_ANSWER_MARKER, Prompt
from assistant.providers.base import (
    NO_VIOLATION,
    Answer,
    AnswerRequest,
    ModerationRequest,
    Passage,
    ReplyDecision,
    Turn,
    Verdict,
)
from assistant.structured import read_reply_decision, read_verdict, read_wants_human

logger = logging.getLogger(__name__)

JSON_MAX_TOKENS = 200
_CITATION = re.compile(r"[ \t]*\[(\d+(?:\s*,\s*\d+)*)\]")


class EmptyResponseError(RuntimeError):
    """The model returned no text at all."""


class ChatProvider:
    """Base for providers backed by a chat-completion API."""

    name = "chat"

    def __init__(self, *, model: str, max_output_tokens: int) -> None:
        self.model = model
        self.max_output_tokens = max_output_tokens
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    async def _complete(self, prompt: Prompt, *, max_tokens: int) -> str:
        raise NotImplementedError

    def _make_client(self) -> Any:
        raise NotImplementedError

    def client(self) -> Any:
        """The SDK client for the running event loop.

        SDK clients hold connection pools bound to the loop that opened them; a worker that
        runs each job in a fresh loop gets a fresh client instead of a dead pool.
        """
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = self._make_client()
            self._client_loop = loop
        return self._client

    async def answer(self, request: AnswerRequest) -> Answer:
        prompt = prompts.answer_prompt(request)
        text = (await self._complete(prompt, max_tokens=self.max_output_tokens)).strip()
        if not text:
            raise EmptyResponseError(f"{self.name}: empty answer")
        if NO_ANSWER_MARKER in text:
            return Answer(I_DONT_KNOW, sources=[], grounded=False)
        body, sources = strip_citations(text, request.passages)
        return Answer(body, sources=sources, grounded=True)

    async def should_reply(self, request: AnswerRequest) -> ReplyDecision:
        raw = await self._complete(prompts.should_reply_prompt(request), max_tokens=JSON_MAX_TOKENS)
        decision = read_reply_decision(raw)
        if decision is None:
            logger.warning("%s: invalid should-reply output, not replying: %.200r", self.name, raw)
            return ReplyDecision(False, "invalid model output")
        return decision

    async def moderate(self, request: ModerationRequest) -> Verdict:
        if not request.rules.strip():
            return NO_VIOLATION  # no rules, nothing to enforce: not even worth a call
        raw = await self._complete(prompts.moderation_prompt(request), max_tokens=JSON_MAX_TOKENS)
        verdict = read_verdict(raw, request.rules)
        if verdict is None:
            logger.warning("%s: invalid moderation output, no action: %.200r", self.name, raw)
            return NO_VIOLATION
        return verdict

    async def compose_proactive(self, topic: str, passages: list[Passage], previous_posts: list[str]) -> str:
        prompt = prompts.proactive_prompt(topic, passages, previous_posts)
        text = (await self._complete(prompt, max_tokens=self.max_output_tokens)).strip()
        if not text or NO_ANSWER_MARKER in text:
            return ""
        return strip_citations(text, passages)[0]

    async def wants_human(self, text: str, history: list[Turn]) -> bool:
        raw = await self._complete(prompts.wants_human_prompt(text, history), max_tokens=JSON_MAX_TOKENS)
        wants = read_wants_human(raw)
        if wants is None:
            logger.warning("%s: invalid wants-human output, assuming no: %.200r", self.name, raw)
            return False
        return wants


def strip_citations(text: str, passages: list[Passage]) -> tuple[str, list[Passage]]:
    """``text`` without its [n] markers, and the passages those markers cite, in order.

    Numbers that name no passage are dropped silently: a model inventing "[7]" must not
    invent a source.
    """
    cited: list[Passage] = []
    for match in _CITATION.finditer(text):
        for number in match.group(1).split(","):
            index = int(number) - 1
            if 0 <= index < len(passages) and passages[index] not in cited:
                cited.append(passages[index])
    body = _CITATION.sub("", text).strip()
    return body, cited
