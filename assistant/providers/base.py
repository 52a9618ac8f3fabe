"""The provider protocol: the five questions Guildmind asks an AI, and the data they use.

Providers are async. They may raise on transport errors; callers in
``assistant.answering`` wrap every call with a timeout and degrade safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

# How heading paths are written ("Billing", the separator, "Refunds"); the chunker uses it.
HEADING_SEPARATOR = " \u203a "


@dataclass(frozen=True)
class Passage:
    """A retrieved knowledge chunk."""

    text: str
    title: str
    score: float
    heading: str = ""
    url: str = ""
    source_id: int | None = None
    chunk_id: int | None = None
    # Retrieval's evidence (None when the search had no vectors, e.g. in unit tests):
    # the cosine with the question, the BM25 score over the question's best BM25 score,
    # and how far the passage's score is ahead of the best passage of any other source.
    dense: float | None = None
    lexical: float | None = None
    margin: float | None = None

    def citation(self) -> str:
        """How the passage is named to a reader: title (and section), and its URL if any."""
        if not self.heading or self.heading == self.title:
            name = self.title
        elif self.heading.startswith(f"{self.title}{HEADING_SEPARATOR}"):
            name = self.heading  # the chunker already put the title first
        else:
            name = f"{self.title}{HEADING_SEPARATOR}{self.heading}"
        return f"{name} <{self.url}>" if self.url else name


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation, oldest first in lists."""

    role: Literal["member", "assistant", "agent"]
    text: str
    author: str = ""


@dataclass(frozen=True)
class AnswerRequest:
    question: str
    passages: list[Passage]
    # The member's own earlier turns (and, with channel awareness, the channel's).
    history: list[Turn] = field(default_factory=list)
    instructions: str = ""
    bot_name: str = "Guildmind"
    # The text the passages were retrieved with (the question, possibly expanded with
    # the previous turn for a follow-up).
    query: str = ""


@dataclass(frozen=True)
class Answer:
    text: str
    # Passages the answer is grounded in (empty when the provider did not know).
    sources: list[Passage] = field(default_factory=list)
    # False when the provider said it does not know.
    grounded: bool = True
    # True when the provider failed and ``text`` is an apology.
    failed: bool = False


@dataclass(frozen=True)
class ReplyDecision:
    reply: bool
    reason: str = ""


@dataclass(frozen=True)
class ModerationRequest:
    text: str
    rules: str
    author_name: str = ""
    # Recent messages of the same member in the channel (for flood / repeat detectors).
    recent_texts: list[str] = field(default_factory=list)
    mention_count: int = 0
    # The channel's names and ids (and its parent's, for a thread), for channel-scoped rules.
    channels: tuple[str, ...] = ()
    # (file name, description) of each attachment.
    attachments: tuple[tuple[str, str], ...] = ()


Action = Literal["none", "delete", "warn", "timeout", "kick", "ban"]


@dataclass(frozen=True)
class Verdict:
    violation: bool
    rule: str = ""
    severity: Literal["none", "low", "medium", "high"] = "none"
    action: Action = "none"
    reason: str = ""
    # The line of the owner's rules text the rule is on (from 1; 0 when unknown).
    rule_line: int = 0
    # Every line the message broke (earlier offences of any of them count on the ladder).
    rule_lines: tuple[int, ...] = ()


NO_VIOLATION = Verdict(violation=False)


class Provider(Protocol):
    name: str

    async def answer(self, request: AnswerRequest) -> Answer: ...

    async def should_reply(self, request: AnswerRequest) -> ReplyDecision: ...

    async def moderate(self, request: ModerationRequest) -> Verdict: ...

    async def compose_proactive(
        self, topic: str, passages: list[Passage], previous_posts: list[str]
    ) -> str: ...

    async def wants_human(self, text: str, history: list[Turn]) -> bool: ...
