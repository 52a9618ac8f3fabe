"""The owner's rules as the bot will enforce them, statement by statement, for the settings
page: which checks cover each one, where it holds, the action it fixes, and the statements
no local check covers ("needs an AI provider"), so nothing is silently unenforced.

Pure: reads ``assistant.detectors.compiled_rules`` (the same compilation the check uses).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.detectors import DETECTORS, compiled_rules
from assistant.rules import Rule
from moderation.decision import DEFAULT_WINDOW_DAYS, LADDER

# Detectors that go together on the page (one rule, one name).
_SAME_CHECK = {"heavy_mentions": "mass_mentions"}


@dataclass(frozen=True)
class StatementView:
    line: int
    text: str
    kind: str  # rule | ladder | note
    checks: tuple[str, ...]
    scope: str  # "not in #promo", "only in #help", ""
    action: str
    needs_ai: bool
    problems: tuple[str, ...]


@dataclass(frozen=True)
class RulesView:
    statements: tuple[StatementView, ...]
    ladder: tuple[str, ...]  # "warn", "timeout 1 h", "kick"
    ladder_written: bool
    window_days: int
    window_written: bool

    @property
    def needs_ai(self) -> int:
        return sum(1 for statement in self.statements if statement.needs_ai)


def describe_rules(
    rules: str, *, window_days: int = DEFAULT_WINDOW_DAYS, enabled: tuple[str, ...] = ()
) -> RulesView:
    """How ``rules`` are enforced; ``enabled`` are the actions the owner turned on (the
    ladder shown without a written one)."""
    compiled = compiled_rules(rules)
    statements = tuple(_statement(rule) for rule in compiled.rules)
    if compiled.ladder:
        ladder = tuple(step.label() for step in compiled.ladder)
    else:
        ladder = tuple(action for action in LADDER[1:] if action in enabled)
    return RulesView(
        statements=statements,
        ladder=ladder,
        ladder_written=bool(compiled.ladder),
        window_days=compiled.window_days or window_days,
        window_written=compiled.window_days is not None,
    )


def _statement(rule: Rule) -> StatementView:
    labels: list[str] = []
    for name in rule.checks:
        label = DETECTORS[_SAME_CHECK.get(name, name)].label
        if label not in labels:
            labels.append(label)
    if rule.words:
        labels.append("your banned words: " + ", ".join(f"“{word}”" for word in rule.words))
    if rule.patterns:
        labels.append("your patterns: " + ", ".join(f"/{p.pattern}/" for p in rule.patterns))
    scope = ""
    if rule.exempt_channels:
        scope = "not in " + ", ".join(_channel(c) for c in sorted(rule.exempt_channels))
    elif rule.only_channels:
        scope = "only in " + ", ".join(_channel(c) for c in sorted(rule.only_channels))
    problems = tuple(f"the pattern {p} is not a valid regular expression" for p in rule.bad_patterns)
    return StatementView(
        line=rule.number,
        text=rule.text,
        kind=rule.kind,
        checks=tuple(labels),
        scope=scope,
        action=rule.action,
        needs_ai=rule.needs_ai,
        problems=problems,
    )


def _channel(name: str) -> str:
    return f"<#{name}>" if name.isdigit() else f"#{name}"
