"""The playground's dry runs: what the bot would answer, whether smart mode would speak up,
and what moderation would do with a message. Nothing is posted, deleted, logged or counted.

Each function runs the same calls the Discord pipeline makes (``answering.answer_question``,
``answering.decide_reply``, ``answering.check_message`` and ``moderation.choose_action``), so
the playground shows the bot's real behaviour rather than an imitation of it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync
from django.conf import settings

from accounts.models import Workspace
from assistant.providers.base import Answer, ModerationRequest, Passage, ReplyDecision, Turn, Verdict
from integrations.discordbot.models import DiscordServer
from knowledge import search
from moderation.decision import (
    LADDER,
    MAX_ESCALATION_STEPS,
    TIMEOUT_SECONDS,
    ModerationSettings,
    choose_action,
)

# What Discord counts as mentions in a message's text: users, nicknames and roles
# (the gateway passes len(raw_mentions) + len(raw_role_mentions)).
_MENTION = re.compile(r"<@[!&]?\d+>")

ACTION_PHRASES = {
    "delete": "delete the message",
    "warn": "post a warning naming the member and the rule",
    "timeout": f"time the member out for {TIMEOUT_SECONDS // 60} minutes",
    "kick": "kick the member",
    "ban": "ban the member",
}
# Earlier violations → which offence this one is.
ORDINALS = {1: "second", 2: "third"}


@dataclass(frozen=True)
class Consultation:
    """The bot's reply to a playground question, as if it had been @mentioned."""

    answer: Answer
    # What retrieval found for the question, best first (the answer cites some of them).
    retrieved: list[Passage]
    # Smart mode's call on the same message, had nobody mentioned the bot.
    smart: ReplyDecision


def consult(workspace: Workspace, question: str, history: list[Turn]) -> Consultation:
    """Answer ``question`` and decide smart mode's reply, concurrently. Never raises."""
    # Imported here so tests can swap the AI's entry points on the module.
    from assistant import answering

    keep = settings.AI_HISTORY_TURNS
    recent = history[-keep:] if keep else []
    # Searched in this thread first: it shows what the bot retrieves, and leaves a fresh
    # index behind, so the AI calls below search it inline (no other thread, no other
    # database connection) with the very same query.
    retrieved = search.search(workspace.id, answering.retrieval_query(question, recent))

    async def ask_both() -> tuple[Answer, ReplyDecision]:
        return await asyncio.gather(
            answering.answer_question(
                workspace_id=workspace.id,
                question=question,
                history=history,
                instructions=workspace.ai_instructions,
            ),
            # The gateway asks smart mode with the channel's history only when channel
            # awareness is on; by default it asks with none, and so do we.
            answering.decide_reply(workspace_id=workspace.id, question=question, history=[]),
        )

    answer, smart = async_to_sync(ask_both)()
    return Consultation(answer=answer, retrieved=retrieved, smart=smart)


@dataclass(frozen=True)
class ModerationPreview:
    """A message checked against a server's rules (or rules typed in the playground)."""

    message: str
    rules: str
    # None when the rules were typed in the playground (a new server's actions apply).
    server: DiscordServer | None
    moderation: ModerationSettings
    verdict: Verdict
    # What the bot would do about a first offence, in order (e.g. delete, then warn);
    # empty when it would do nothing.
    steps: list[str]
    # Why nothing would be done although the verdict names a violation; "" otherwise.
    skipped_because: str = ""
    # Repeat offences within 24 hours that the bot would treat more strongly:
    # (earlier violations, steps).
    escalation: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def would_do(self) -> str:
        """What the bot would do about this message as a member's first offence."""
        if not self.verdict.violation:
            return "Nothing: the message breaks none of these rules."
        if not self.steps:
            return f"Nothing: {self.skipped_because}."
        return describe_steps(self.steps).capitalize() + "."

    @property
    def repeat_offences(self) -> list[str]:
        """How the bot would treat the same member's next violations within 24 hours."""
        return [
            f"A {ORDINALS.get(prior, 'later')} violation within 24 hours: {describe_steps(steps)}."
            for prior, steps in self.escalation
        ]

    @property
    def enabled_actions(self) -> list[str]:
        return [action for action in LADDER[1:] if self.moderation.allows(action)]


def preview_moderation(message: str, *, server: DiscordServer | None, rules: str = "") -> ModerationPreview:
    """Check ``message`` as the gateway would, against ``server``'s rules and enabled actions,
    or against ``rules`` with a new server's default actions when no server is given.

    A dry run: nothing is acted on or logged, and no usage is recorded. Never raises (a
    failed check is "no violation", as in Discord). The member is assumed to be one the bot
    may act on (not the owner, an admin or a bot) and the bot to have its permissions.
    """
    from assistant import answering

    if server is None:
        # An unsaved server carries the model's defaults: the actions a new server starts with.
        moderation = ModerationSettings.from_server(
            DiscordServer(moderation_enabled=True, moderation_rules=rules)
        )
    else:
        moderation = ModerationSettings.from_server(server)
    request = ModerationRequest(
        text=message,
        rules=moderation.rules,
        author_name="Playground",
        mention_count=len(_MENTION.findall(message)),
    )
    verdict = async_to_sync(answering.check_message)(request)
    preview = ModerationPreview(
        message=message,
        rules=moderation.rules,
        server=server,
        moderation=moderation,
        verdict=verdict,
        steps=[],
    )
    if not verdict.violation:
        return preview
    first = _steps(verdict, moderation, prior_violations=0)
    escalation: list[tuple[int, list[str]]] = []
    for prior in range(1, MAX_ESCALATION_STEPS + 1):
        steps = _steps(verdict, moderation, prior_violations=prior)
        if steps != (escalation[-1][1] if escalation else first):
            escalation.append((prior, steps))
    return ModerationPreview(
        message=message,
        rules=moderation.rules,
        server=server,
        moderation=moderation,
        verdict=verdict,
        steps=first,
        skipped_because="" if first else _why_nothing(verdict),
        escalation=escalation,
    )


def describe_steps(steps: list[str]) -> str:
    """ "delete the message, then kick the member"; "do nothing" for no steps."""
    return ", then ".join(ACTION_PHRASES.get(step, step) for step in steps) or "do nothing"


def _why_nothing(verdict: Verdict) -> str:
    # choose_action's "when in doubt, nothing" cases first, then the owner's toggles.
    if verdict.action not in LADDER[1:] or verdict.severity == "none" or not verdict.rule.strip():
        return "the verdict recommends no action"
    return f"no action you enabled fits the recommendation ({verdict.action} or milder)"


def _steps(verdict: Verdict, moderation: ModerationSettings, *, prior_violations: int) -> list[str]:
    """The actions ``moderate_message`` would take, in order: a stronger action than
    delete also deletes the message first when delete is enabled."""
    action = choose_action(verdict, moderation, prior_violations)
    if action == "none":
        return []
    return ["delete", action] if action != "delete" and moderation.delete else [action]
