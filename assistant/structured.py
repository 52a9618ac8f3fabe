"""Strict reading of the JSON objects language models return.

Each reader returns a valid value or None; callers turn None into the safe default (no
reply, no violation, no escalation) and log it. Anything unexpected (not JSON, a missing
field, a wrong type, a value outside its set) is None: a model cannot talk its way past
the validator.
"""

from __future__ import annotations

import json
import re
from typing import Any, get_args

from assistant.detectors import rule_segments
from assistant.providers.base import Action, ReplyDecision, Verdict
from assistant.text import terms

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
SEVERITIES = ("none", "low", "medium", "high")
ACTIONS: tuple[str, ...] = get_args(Action)
MAX_REASON = 300


def parse_object(text: str) -> dict[str, Any] | None:
    """The JSON object in ``text`` (a bare object, or one fenced in ```json), else None."""
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _field(obj: dict[str, Any], name: str, kind: type) -> Any:
    """``obj[name]`` when present with exactly type ``kind`` (bool is not an int here)."""
    value = obj.get(name)
    return value if type(value) is kind else None


def read_reply_decision(text: str) -> ReplyDecision | None:
    obj = parse_object(text)
    if obj is None:
        return None
    reply = _field(obj, "reply", bool)
    reason = obj.get("reason", "")
    if reply is None or not isinstance(reason, str):
        return None
    return ReplyDecision(reply, reason[:MAX_REASON])


def read_wants_human(text: str) -> bool | None:
    obj = parse_object(text)
    return None if obj is None else _field(obj, "wants_human", bool)


def read_verdict(text: str, rules: str) -> Verdict | None:
    """A verdict whose fields are all valid and whose rule is one of the owner's lines.

    The rule is mapped back to the owner's own wording (models paraphrase); a violation of
    no rule the owner wrote is invalid.
    """
    obj = parse_object(text)
    if obj is None:
        return None
    violation = _field(obj, "violation", bool)
    rule, severity, action = obj.get("rule", ""), obj.get("severity"), obj.get("action")
    reason = obj.get("reason", "")
    if violation is None or not isinstance(rule, str) or not isinstance(reason, str):
        return None
    if severity not in SEVERITIES or action not in ACTIONS:
        return None
    if not violation:
        return Verdict(False, reason=reason[:MAX_REASON])
    if severity == "none":
        return None
    owner_rule = match_rule(rule, rules)
    if owner_rule is None:
        return None
    return Verdict(True, rule=owner_rule, severity=severity, action=action, reason=reason[:MAX_REASON])


def match_rule(rule: str, rules: str) -> str | None:
    """The owner's rule line ``rule`` names: exact, contained, or sharing the most words."""
    segments = rule_segments(rules)
    wanted = rule.strip().lower()
    if not wanted:
        return None
    for segment in segments:
        if wanted == segment.lower() or wanted in segment.lower() or segment.lower() in wanted:
            return segment
    wanted_terms = terms(rule)
    best, best_overlap = None, 0.0
    for segment in segments:
        found = terms(segment)
        if found and wanted_terms:
            overlap = len(wanted_terms & found) / len(wanted_terms | found)
            if overlap > best_overlap:
                best, best_overlap = segment, overlap
    return best if best_overlap >= 0.3 else None
