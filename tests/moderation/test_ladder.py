"""The owner's ladder: which step an offence earns, bursts, windows and disabled actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assistant.detectors import compiled_rules
from assistant.providers.base import Verdict
from moderation.decision import Decision, ModerationSettings, decide, describe_offence, offences

LADDER_RULES = (
    "1. No advertising.\n2. No slurs (instant ban).\nFirst a warning, then a 1-hour timeout, then a kick."
)
NOW = timezone.now()


def settings(*enabled: str) -> ModerationSettings:
    flags: dict[str, Any] = {name: name in enabled for name in ("delete", "warn", "timeout", "kick", "ban")}
    return ModerationSettings(enabled=True, rules=LADDER_RULES, dry_run=False, **flags)


def verdict(rule: str = "1. No advertising.", action: Any = "delete") -> Verdict:
    return Verdict(True, rule=rule, severity="medium", action=action, reason="an invite")


EVERYTHING = settings("delete", "warn", "timeout", "kick", "ban")


@pytest.mark.parametrize(
    ("offence", "action", "seconds"),
    [(1, "warn", 0), (2, "timeout", 3600), (3, "kick", 0), (7, "kick", 0)],
)
def test_each_offence_gets_the_owners_step_and_never_more(offence: int, action: str, seconds: int) -> None:
    decision = decide(verdict(), EVERYTHING, compiled_rules(LADDER_RULES), offence)

    assert (decision.action, decision.seconds) == (action, seconds)


def test_a_disabled_step_falls_to_the_strongest_enabled_action_below_it() -> None:
    decision = decide(verdict(), settings("delete", "warn", "kick"), compiled_rules(LADDER_RULES), 2)

    assert decision.action == "warn"
    assert decision.step == "warn (timeout 1 h is turned off)"


def test_a_rule_with_its_own_action_takes_it_on_the_first_offence() -> None:
    decision = decide(
        verdict("2. No slurs (instant ban).", "ban"), EVERYTHING, compiled_rules(LADDER_RULES), 1
    )

    assert decision.action == "ban"


def test_a_later_message_of_a_burst_is_only_deleted() -> None:
    decision = decide(verdict(), EVERYTHING, compiled_rules(LADDER_RULES), 1, in_burst=True)

    assert (decision.action, decision.in_burst) == ("delete", True)


def test_without_a_written_ladder_the_recommendation_climbs_one_enabled_step_per_offence() -> None:
    rules = compiled_rules("No advertising.")

    actions = [decide(verdict("No advertising."), EVERYTHING, rules, n).action for n in (1, 2, 3, 4)]

    assert actions == ["delete", "warn", "timeout", "timeout"]


def test_messages_within_a_minute_are_one_offence() -> None:
    times = [NOW - timedelta(seconds=s) for s in (50, 40, 30)]

    assert offences(times, NOW) == (1, True)


def test_offences_minutes_apart_count_separately() -> None:
    times = [NOW - timedelta(minutes=m) for m in (30, 20)]

    assert offences(times, NOW) == (3, False)


def test_the_first_offence_has_no_history() -> None:
    assert offences([], NOW) == (1, False)


def test_the_log_line_names_the_offence_the_rule_and_the_step() -> None:
    decision = Decision("timeout", 3600, offence=2, step="timeout 1 h")

    assert describe_offence(decision, 3, 30) == "2nd offence of rule 3 in 30 days → timeout 1 h"
