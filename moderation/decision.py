"""The owner's moderation settings and the ladder of actions: which action a verdict earns.

Pure: no database, no I/O. The only input that picks an action is the provider's verdict,
capped by the owner's toggles (and, in ``moderation.actions``, the safety checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from assistant.providers.base import Verdict

if TYPE_CHECKING:
    from integrations.discordbot.models import DiscordServer

# Weakest to strongest. "delete" removes the message; "warn" posts a visible warning.
LADDER: tuple[str, ...] = ("none", "delete", "warn", "timeout", "kick", "ban")
# A member's violations this recent count towards escalation.
ESCALATION_WINDOW = timedelta(hours=24)
MAX_ESCALATION_STEPS = 2
TIMEOUT_SECONDS = 10 * 60


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
