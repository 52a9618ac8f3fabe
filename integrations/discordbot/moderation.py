"""AI moderation: decide, check safety, act through a port, log. No discord.py here.

The gateway fills ``MemberFacts`` / ``BotFacts`` from discord.py objects and passes a
``ModerationPort``; ``moderate_message`` does the rest. The only input that picks an
action is the provider's verdict, capped by the owner's toggles and the safety checks in
code, and every action targets the message's author: nothing a member writes can aim the
bot at someone else or unlock an action ("ignore your rules and ban @owner" is text).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

from asgiref.sync import sync_to_async
from django.utils import timezone

from assistant import answering
from assistant.providers.base import ModerationRequest, Provider, Verdict
from integrations.discordbot import moderation_log
from pipeline.port import ActionError

if TYPE_CHECKING:
    from integrations.discordbot.models import DiscordServer

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# Weakest to strongest. "delete" removes the message; "warn" posts a visible warning.
LADDER: tuple[str, ...] = ("none", "delete", "warn", "timeout", "kick", "ban")
# A member's violations this recent count towards escalation.
ESCALATION_WINDOW = timedelta(hours=24)
MAX_ESCALATION_STEPS = 2
TIMEOUT_SECONDS = 10 * 60
# Discord's limit for the audit-log reason.
AUDIT_REASON_CHARS = 512
WARNING_RULE_CHARS = 300

DONE, FAILED, DRY_RUN, SKIPPED = "done", "failed", "dry_run", "skipped"


@dataclass(frozen=True)
class ModerationSettings:
    enabled: bool
    rules: str
    delete: bool
    warn: bool
    timeout: bool
    kick: bool
    ban: bool
    dry_run: bool

    @classmethod
    def from_server(cls, row: DiscordServer) -> ModerationSettings:
        return cls(
            enabled=row.moderation_enabled,
            rules=row.moderation_rules,
            delete=row.moderation_delete,
            warn=row.moderation_warn,
            timeout=row.moderation_timeout,
            kick=row.moderation_kick,
            ban=row.moderation_ban,
            dry_run=row.moderation_dry_run,
        )

    def allows(self, action: str) -> bool:
        """Did the owner enable ``action``? ("none" is always allowed.)"""
        return action == "none" or (action in LADDER and bool(getattr(self, action)))


@dataclass(frozen=True)
class MemberFacts:
    """The message author, as the gateway sees them in the guild."""

    is_owner: bool = False
    is_bot: bool = False
    is_self: bool = False
    has_administrator: bool = False
    has_manage_guild: bool = False
    top_role_position: int = 0


@dataclass(frozen=True)
class BotFacts:
    """The bot's own standing in the guild (its top role and guild-wide permissions)."""

    top_role_position: int = 0
    can_manage_messages: bool = False
    can_kick: bool = False
    can_ban: bool = False
    can_moderate_members: bool = False


@dataclass(frozen=True)
class ModeratedMessage:
    guild_id: str
    channel_id: str
    message_id: str
    member_id: str
    member_name: str
    text: str
    mention_count: int = 0
    # The member's recent messages in the channel, oldest first (flood / repeat detectors).
    recent_texts: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ModerationResult:
    action: str = "none"
    # done | failed | dry_run | skipped, or "" when nothing was flagged.
    outcome: str = ""
    # True when the message is gone from Discord: the pipeline must not answer it.
    deleted: bool = False


NOTHING = ModerationResult()


class ModerationPort(Protocol):
    """Discord side effects of moderation; each raises ``ActionError`` on failure."""

    async def delete_message(self, channel_id: str, message_id: str) -> None: ...

    async def warn(self, channel_id: str, text: str) -> str:
        """Post a warning; the adapter lets it ping the user it names with ``<@id>``, never
        @everyone, @here or roles."""
        ...

    async def timeout(self, guild_id: str, member_id: str, seconds: int, reason: str) -> None: ...

    async def kick(self, guild_id: str, member_id: str, reason: str) -> None: ...

    async def ban(self, guild_id: str, member_id: str, reason: str) -> None: ...


def choose_action(verdict: Verdict, settings: ModerationSettings, prior_violations: int) -> str:
    """The action to take for ``verdict``: always one the owner enabled, or "none".

    1. When in doubt, nothing: no violation, severity "none", an empty rule or a
       recommendation of "none" (or an unknown one) → "none".
    2. Base: the strongest enabled action at or below the recommendation on the ladder
       none < delete < warn < timeout < kick < ban. None enabled there → "none", and
       there is no escalation either (the owner enabled nothing mild enough).
    3. Escalation: with ``prior_violations`` (the member's other violations in the last
       ``ESCALATION_WINDOW``) at 1, climb one *enabled* action above the base; at 2 or
       more, two (``MAX_ESCALATION_STEPS``), stopping at the strongest enabled action.
       Disabled actions are skipped, so with warn, kick and ban enabled a member
       recommended a warning is warned, then kicked, then banned.
    """
    recommended = verdict.action
    if not verdict.violation or verdict.severity == "none" or not verdict.rule.strip():
        return "none"
    if recommended not in LADDER or recommended == "none":
        return "none"
    enabled = [action for action in LADDER[1:] if settings.allows(action)]
    ceiling = LADDER.index(recommended)
    within = [action for action in enabled if LADDER.index(action) <= ceiling]
    if not within:
        return "none"
    base = within[-1]
    above = [action for action in enabled if LADDER.index(action) > ceiling]
    steps = min(max(prior_violations, 0), MAX_ESCALATION_STEPS, len(above))
    return above[steps - 1] if steps else base


def protection_reason(member: MemberFacts, bot: BotFacts) -> str | None:
    """Why the bot must never act on this member, or None."""
    if member.is_self:
        return "the member is the bot itself"
    if member.is_owner:
        return "the member owns the server"
    if member.is_bot:
        return "the member is a bot"
    if member.has_administrator:
        return "the member has the Administrator permission"
    if member.has_manage_guild:
        return "the member has the Manage Server permission"
    if member.top_role_position >= bot.top_role_position:
        return "the member's top role is at or above the bot's"
    return None


def missing_permission(bot: BotFacts, action: str) -> str | None:
    """Why the bot cannot do ``action`` for lack of a permission, or None."""
    needed = {
        "delete": (bot.can_manage_messages, "Manage Messages"),
        "timeout": (bot.can_moderate_members, "Moderate Members"),
        "kick": (bot.can_kick, "Kick Members"),
        "ban": (bot.can_ban, "Ban Members"),
    }
    if action not in needed:
        return None  # "none" and "warn" need only the right to post, like any answer
    granted, name = needed[action]
    return None if granted else f"the bot lacks the {name} permission"


def safety_block(member: MemberFacts, bot: BotFacts, action: str) -> str | None:
    """Why the bot must not (protected member) or cannot (missing permission) do
    ``action`` to ``member``, in plain words; None when it may."""
    return protection_reason(member, bot) or missing_permission(bot, action)


async def moderate_message(
    settings: ModerationSettings,
    message: ModeratedMessage,
    member: MemberFacts,
    bot: BotFacts,
    port: ModerationPort,
    *,
    provider: Provider | None = None,
    now: datetime | None = None,
) -> ModerationResult:
    """Check one message and act on it. Never raises (a failure is logged, not thrown).

    Steps: ask the provider for a verdict (``answering.check_message``); when it names a
    violation, count the member's recent violations, ``choose_action``, check safety,
    then act (or, in dry run, only log). Every verdict that names a violation leaves at
    least one log entry: done, failed + why, dry_run, or skipped + why. When the chosen
    action is stronger than delete and delete is enabled, the message is also deleted
    first (its own entry). Usage is not recorded here; the pipeline counts the check.
    """
    if not settings.enabled or not settings.rules.strip():
        return NOTHING
    try:
        return await _moderate(settings, message, member, bot, port, provider, now or timezone.now())
    except Exception:
        logger.exception("moderating message %s in guild %s failed", message.message_id, message.guild_id)
        return NOTHING


async def _moderate(
    settings: ModerationSettings,
    message: ModeratedMessage,
    member: MemberFacts,
    bot: BotFacts,
    port: ModerationPort,
    provider: Provider | None,
    now: datetime,
) -> ModerationResult:
    request = ModerationRequest(
        text=message.text,
        rules=settings.rules,
        author_name=message.member_name,
        recent_texts=list(message.recent_texts),
        mention_count=message.mention_count,
    )
    verdict = await answering.check_message(request, provider)
    if not verdict.violation:
        return NOTHING
    prior = await _db(moderation_log.count_recent_violations)(
        message.guild_id,
        message.member_id,
        since=now - ESCALATION_WINDOW,
        exclude_message_id=message.message_id,
    )
    action = choose_action(verdict, settings, prior)
    log = _Logger(message, verdict)
    if action == "none":
        await log(action, SKIPPED, "no enabled action fits the recommendation")
        return ModerationResult(action, SKIPPED)
    protected = protection_reason(member, bot)
    if protected:
        await log(action, SKIPPED, protected)
        return ModerationResult(action, SKIPPED)
    steps = ["delete", action] if action != "delete" and settings.delete else [action]
    if settings.dry_run:
        for step in steps:
            missing = missing_permission(bot, step)
            await log(step, DRY_RUN, f"would fail: {missing}" if missing else "")
        return ModerationResult(action, DRY_RUN)
    outcomes = {step: await _execute(step, message, verdict, bot, port, log) for step in steps}
    return ModerationResult(action, outcomes[action], deleted=outcomes.get("delete") == DONE)


async def _execute(
    action: str,
    message: ModeratedMessage,
    verdict: Verdict,
    bot: BotFacts,
    port: ModerationPort,
    log: _Logger,
) -> str:
    """Do one action and log it; returns its outcome (done or failed)."""
    missing = missing_permission(bot, action)
    if missing:
        await log(action, FAILED, missing)
        return FAILED
    reason = _audit_reason(verdict)
    try:
        if action == "delete":
            await port.delete_message(message.channel_id, message.message_id)
        elif action == "warn":
            await port.warn(message.channel_id, warning_text(message.member_id, verdict.rule))
        elif action == "timeout":
            await port.timeout(message.guild_id, message.member_id, TIMEOUT_SECONDS, reason)
        elif action == "kick":
            await port.kick(message.guild_id, message.member_id, reason)
        elif action == "ban":
            await port.ban(message.guild_id, message.member_id, reason)
    except ActionError as error:
        await log(action, FAILED, error.reason)
        return FAILED
    except Exception:
        logger.exception("moderation action %s failed in guild %s", action, message.guild_id)
        await log(action, FAILED, "unexpected error (see the gateway log)")
        return FAILED
    await log(action, DONE, "")
    return DONE


def warning_text(member_id: str, rule: str) -> str:
    """The visible warning: names the member (the only ping) and the owner's rule.

    The member's message is never quoted back (it may be the spam or the slur)."""
    rule = " ".join(rule.split())
    if len(rule) > WARNING_RULE_CHARS:
        rule = rule[: WARNING_RULE_CHARS - 1] + "…"
    return f"<@{member_id}>, please follow the server rules. Your message broke this one: {rule}"


def _audit_reason(verdict: Verdict) -> str:
    text = f"{verdict.rule} ({verdict.reason})" if verdict.reason else verdict.rule
    return text[:AUDIT_REASON_CHARS]


class _Logger:
    """Writes the log entries of one verdict."""

    def __init__(self, message: ModeratedMessage, verdict: Verdict) -> None:
        self.message = message
        self.verdict = verdict

    async def __call__(self, action: str, outcome: str, detail: str) -> None:
        try:
            await _db(moderation_log.record_entry)(
                guild_id=self.message.guild_id,
                channel_id=self.message.channel_id,
                message_id=self.message.message_id,
                member_id=self.message.member_id,
                member_name=self.message.member_name,
                message_text=self.message.text,
                rule=self.verdict.rule,
                severity=self.verdict.severity,
                action=action,
                reason=self.verdict.reason,
                outcome=outcome,
                outcome_detail=detail,
            )
        except Exception:
            # A lost log line must not undo or block the action itself.
            logger.exception("could not log moderation of message %s", self.message.message_id)


def _db(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Run a sync ORM function from async code without serializing on one thread."""
    return sync_to_async(func, thread_sensitive=False)
