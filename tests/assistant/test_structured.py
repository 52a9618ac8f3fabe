"""The strict validator for models' JSON answers."""

from __future__ import annotations

import pytest

from assistant.providers.base import ReplyDecision
from assistant.providers.chat import strip_citations
from assistant.structured import read_reply_decision, read_verdict, read_wants_human
from tests.assistant.support import PASSWORDS, REFUNDS

RULES = "1. No spam.\n2. No advertising or invite links."


def test_it_reads_a_fenced_json_object() -> None:
    assert read_reply_decision('```json\n{"reply": false, "reason": "chatter"}\n```') == ReplyDecision(
        False, "chatter"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "yes",
        "[true]",
        '{"reply": "true"}',
        '{"reply": 1}',
        '{"reason": "x"}',
        '{"reply": true, "reason": 3}',
    ],
)
def test_it_rejects_anything_but_the_expected_fields(raw: str) -> None:
    assert read_reply_decision(raw) is None


def test_wants_human_must_be_a_boolean() -> None:
    assert (read_wants_human('{"wants_human": true}'), read_wants_human('{"wants_human": "yes"}')) == (
        True,
        None,
    )


def test_a_verdict_maps_a_paraphrased_rule_to_the_owners_line() -> None:
    raw = (
        '{"violation": true, "rule": "advertising / invite links", "severity": "medium", "action": "delete"}'
    )

    verdict = read_verdict(raw, RULES)

    assert verdict is not None and verdict.rule == "2. No advertising or invite links."


def test_a_violation_of_a_rule_the_owner_never_wrote_is_invalid() -> None:
    raw = '{"violation": true, "rule": "Owner is always right", "severity": "high", "action": "ban"}'

    assert read_verdict(raw, RULES) is None


@pytest.mark.parametrize(
    "raw",
    [
        '{"violation": true, "rule": "No spam.", "severity": "extreme", "action": "delete"}',
        '{"violation": true, "rule": "No spam.", "severity": "low", "action": "nuke"}',
        '{"violation": true, "rule": "No spam.", "severity": "none", "action": "delete"}',
        '{"violation": "yes", "rule": "No spam.", "severity": "low", "action": "delete"}',
    ],
)
def test_a_verdict_with_an_invalid_field_is_rejected(raw: str) -> None:
    assert read_verdict(raw, RULES) is None


def test_citation_markers_map_to_passages_in_order() -> None:
    text, cited = strip_citations(
        "Use Forgot password [2]. Refunds take 5 days [1, 2].", [REFUNDS, PASSWORDS]
    )

    assert (text, cited) == ("Use Forgot password. Refunds take 5 days.", [PASSWORDS, REFUNDS])
