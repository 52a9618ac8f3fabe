"""The owner's moderation settings and the ladder of actions: which action a verdict earns.

Pure: no database, no I/O. The only inputs that pick an action are the provider's verdict
and the owner's own ladder (written in the rules text), capped by the owner's toggles (and,
in ``moderation.actions``, the safety checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from assistant.providers.base import Verdict
from assistant.rules import CompiledRules, Step

if TYPE_CHECKING:
    from integrations.discordbot.models import DiscordServer

# Weakest to strongest. "delete" removes the message; "warn" posts a visible warning.
LADDER: tuple[str, ...] = ("none", "delete", "warn", "timeout", "kick", "ban")
# A member's offences this recent count towards escalation, unless the owner sets a window.
DEFAULT_WINDOW_DAYS = 30
ESCALATION_WINDOW = timedelta(days=DEFAULT_WINDOW_DAYS)
MAX_ESCALATION_STEPS = 2
TIMEOUT_SECONDS = 10 * 60
# Messages flagged for the same rule this close together are one offence (a flood is one).
BURST_SECONDS = 60


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
    # The window the owner set in the form; a window written in the rules text wins.
    window_days: int = DEFAULT_WINDOW_DAYS
    exempt_role_ids: frozenset[str] = field(default_factory=frozenset)
    exempt_channel_ids: frozenset[str] = field(default_factory=frozenset)

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
            window_days=row.moderation_window_days or DEFAULT_WINDOW_DAYS,
            exempt_role_ids=frozenset(str(r) for r in row.moderation_exempt_role_ids or []),
            exempt_channel_ids=frozenset(str(c) for c in row.moderation_exempt_channel_ids or []),
        )

    def window(self, rules: CompiledRules) -> int:
        """Days over which offences count."""
        return rules.window_days or self.window_days

    def allows(self, action: str) -> bool:
        """Did the owner enable ``action``? ("none" is always allowed.)"""
        return action == "none" or (action in LADDER and bool(getattr(self, action)))


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


@dataclass(frozen=True)
class Decision:
    """What a verdict earns: the action (and a timeout's length), and how the log explains it."""

    action: str
    seconds: int = 0
    offence: int = 1
    # "timeout 1 h", "warn", "kick (the owner's ladder ends here)", "delete (same burst)".
    step: str = ""
    in_burst: bool = False


def offences(
    times: Sequence[datetime], now: datetime, burst_seconds: int = BURST_SECONDS
) -> tuple[int, bool]:
    """(which offence this message is, whether it belongs to the burst of the latest one).

    ``times`` are the member's earlier flagged messages for the same rule in the window.
    Messages less than ``burst_seconds`` apart form one burst, and a burst is one offence."""
    bursts = 0
    last: datetime | None = None
    for at in sorted(times):
        if last is None or (at - last).total_seconds() > burst_seconds:
            bursts += 1
        last = at
    in_burst = last is not None and (now - last).total_seconds() <= burst_seconds
    return (bursts if in_burst else bursts + 1), in_burst


def decide(
    verdict: Verdict,
    settings: ModerationSettings,
    rules: CompiledRules,
    offence: int,
    *,
    in_burst: bool = False,
) -> Decision:
    """The action for the ``offence``-th offence (1 = first) of ``verdict``'s rule.

    - No violation (or an empty or unknown recommendation): nothing.
    - A later message of the same burst: only deleted (when delete is on), never a step up.
    - A rule with its own action ("instant ban"): that action.
    - The owner wrote a ladder: its step for this offence (the last step once past its end).
    - No ladder: ``choose_action`` (the recommendation, one enabled step up per earlier offence).
    Every action is capped by the owner's toggles: a disabled step falls to the strongest
    enabled action below it, never above."""
    if not verdict.violation or verdict.severity == "none" or not verdict.rule.strip():
        return Decision("none")
    if verdict.action not in LADDER or verdict.action == "none":
        return Decision("none")
    if in_burst:
        action = "delete" if settings.delete else "none"
        return Decision(action, offence=offence, step=f"{action} (same burst)", in_burst=True)
    fixed = next((rule.action for rule in rules.rules if rule.text == verdict.rule and rule.action), "")
    if fixed:
        step = Step(fixed, TIMEOUT_SECONDS if fixed == "timeout" else 0)
    elif rules.ladder:
        step = rules.ladder[min(offence, len(rules.ladder)) - 1]
    else:
        action = choose_action(verdict, settings, offence - 1)
        seconds = TIMEOUT_SECONDS if action == "timeout" else 0
        return Decision(action, seconds, offence, Step(action, seconds).label() if action != "none" else "")
    action = _capped(step.action, settings)
    seconds = (step.seconds or TIMEOUT_SECONDS) if action == "timeout" else 0
    label = Step(action, seconds).label() if action != "none" else ""
    if action != step.action:
        label += f" ({step.label()} is turned off)"
    return Decision(action, seconds, offence, label)


def _capped(action: str, settings: ModerationSettings) -> str:
    if settings.allows(action):
        return action
    below = [a for a in LADDER[1 : LADDER.index(action)] if settings.allows(a)]
    return below[-1] if below else "none"


def describe_offence(decision: Decision, rule_line: int, window_days: int) -> str:
    """ "2nd offence of rule 3 in 30 days → timeout 1 h" (for the log)."""
    where = f"rule {rule_line}" if rule_line else "this rule"
    return f"{ordinal(decision.offence)} offence of {where} in {window_days} days → {decision.step or 'none'}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
