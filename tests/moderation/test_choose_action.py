"""choose_action: the owner's toggles cap the verdict; repeat offences escalate."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.providers.base import Action, Verdict
from moderation.decision import ModerationSettings, choose_action


def toggles(*enabled: str, dry_run: bool = False) -> ModerationSettings:
    flags: dict[str, Any] = {name: name in enabled for name in ("delete", "warn", "timeout", "kick", "ban")}
    return ModerationSettings(enabled=True, rules="No spam.", dry_run=dry_run, **flags)


def verdict(action: Action, severity: str = "medium") -> Verdict:
    return Verdict(True, rule="No spam.", severity=severity, action=action, reason="spam")  # type: ignore[arg-type]


EVERYTHING = toggles("delete", "warn", "timeout", "kick", "ban")


@pytest.mark.parametrize("action", ["delete", "warn", "timeout", "kick", "ban"])
def test_each_action_is_taken_when_recommended_and_enabled(action: Action) -> None:
    assert choose_action(verdict(action), toggles(action), 0) == action


@pytest.mark.parametrize("action", ["delete", "warn", "timeout", "kick", "ban"])
def test_a_disabled_action_is_never_chosen(action: Action) -> None:
    others = [name for name in ("delete", "warn", "timeout", "kick", "ban") if name != action]

    chosen = [
        choose_action(verdict(rec), toggles(*others), prior) for rec in ("ban", action) for prior in (0, 1, 5)
    ]

    assert action not in chosen


@pytest.mark.parametrize(
    ("recommended", "expected"),
    [("delete", "delete"), ("warn", "warn"), ("timeout", "timeout"), ("kick", "kick"), ("ban", "ban")],
)
def test_the_recommendation_caps_the_action(recommended: Action, expected: str) -> None:
    assert choose_action(verdict(recommended), EVERYTHING, 0) == expected


def test_it_falls_back_to_the_strongest_enabled_action_below_the_recommendation() -> None:
    assert choose_action(verdict("ban"), toggles("delete", "warn"), 0) == "warn"


def test_it_does_nothing_when_only_stronger_actions_are_enabled() -> None:
    assert choose_action(verdict("delete"), toggles("kick", "ban"), 5) == "none"


def test_it_does_nothing_without_a_violation() -> None:
    assert choose_action(Verdict(False, action="ban", rule="x", severity="high"), EVERYTHING, 3) == "none"


def test_it_does_nothing_when_the_severity_is_none() -> None:
    assert choose_action(verdict("ban", severity="none"), EVERYTHING, 0) == "none"


def test_it_does_nothing_when_no_rule_is_named() -> None:
    no_rule = Verdict(True, rule="  ", severity="high", action="ban", reason="x")

    assert choose_action(no_rule, EVERYTHING, 0) == "none"


def test_it_does_nothing_for_an_unknown_recommendation() -> None:
    assert choose_action(verdict("explode"), EVERYTHING, 0) == "none"  # type: ignore[arg-type]


def test_nothing_happens_when_every_action_is_off() -> None:
    assert choose_action(verdict("ban"), toggles(), 2) == "none"


@pytest.mark.parametrize(("prior", "expected"), [(0, "warn"), (1, "kick"), (2, "ban"), (7, "ban")])
def test_repeat_offences_escalate_warn_kick_ban(prior: int, expected: str) -> None:
    assert choose_action(verdict("warn"), toggles("warn", "kick", "ban"), prior) == expected


@pytest.mark.parametrize(("prior", "expected"), [(0, "delete"), (1, "warn"), (2, "timeout")])
def test_escalation_climbs_at_most_two_enabled_steps(prior: int, expected: str) -> None:
    assert choose_action(verdict("delete"), EVERYTHING, prior) == expected


def test_escalation_stops_at_the_strongest_enabled_action() -> None:
    assert choose_action(verdict("delete"), toggles("delete", "warn"), 2) == "warn"
