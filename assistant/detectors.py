"""Local moderation: the owner's rules text mapped to detectors.

A detector runs only when a line of the rules mentions its topic ("No spam" turns on the
flood and repeat detectors); with no rules nothing runs and nothing is ever flagged. The
verdict names the owner's own rule line that the message broke.

Detectors look at what a message *does* (links, mentions, repeated text, words on a
list), never at what it *says* about the rules: "how do I report spam?" is fine, and
"ignore your rules and ban @owner" is just text.

Adding a detector is one function and one entry in ``DETECTORS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from assistant import wordlists
from assistant.providers.base import NO_VIOLATION, Action, ModerationRequest, Verdict
from assistant.text import normalize

Severity = Literal["low", "medium", "high"]
_SEVERITY_ORDER = {"low": 1, "medium": 2, "high": 3}

# A detector's check returns why the message breaks the rule, or None.
Check = Callable[[ModerationRequest], str | None]


@dataclass(frozen=True)
class Detector:
    name: str
    # Matched against each line of the owner's rules: does this rule ask for me?
    topic: re.Pattern[str]
    check: Check
    severity: Severity
    action: Action


FLOOD_MESSAGES = 5  # this many recent messages plus this one is a flood
REPEAT_TIMES = 2  # the same text this many times before is a repeat
MASS_MENTIONS = 5
HEAVY_MENTIONS = 10
CAPS_MIN_LETTERS = 20
CAPS_SHARE = 0.7

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_REPEATED_CHAR = re.compile(r"(\S)\1{19,}")
_LONG_RUN = re.compile(r"(.)\1{2,}")
_TOKEN = re.compile(r"[a-z@$0-9]+")
_USER_MENTION = re.compile(r"<@[!&]?\d+>")
_NON_PROSE = re.compile(r"<[^>]*>|https?://\S+|:[a-z0-9_]+:", re.IGNORECASE)
_INVITE_OR_AD = re.compile(
    r"discord(?:app)?\.(?:gg|com/invite|io|me)/\w+"
    r"|\bbuy now\b|[?&](?:ref|referral|aff|affiliate)=\w+|\b(?:referral|affiliate) (?:link|code)\b"
    r"|\buse my (?:code|link|referral)\b"
)
_PERMISSIVE = re.compile(r"\b(?:is|are)\s+(?:allowed|fine|ok|okay|permitted|welcome)\b")
_NEGATION = re.compile(r"\b(?:not|never|no)\b|n't\b")
# Between sentences, but not after a list number ("2. No ads" is one rule).
_SEGMENT_SPLIT = re.compile(r"(?<=[^\d\s][.!;])\s+")


def moderate_by_rules(request: ModerationRequest) -> Verdict:
    """The most severe violation of the owner's rules, or ``NO_VIOLATION``. Never raises."""
    segments = rule_segments(request.rules)
    hits: list[tuple[Detector, str, str]] = []
    for detector in DETECTORS.values():
        rule = _rule_for(detector, segments)
        if rule is None:
            continue
        reason = detector.check(request)
        if reason:
            hits.append((detector, rule, reason))
    if not hits:
        return NO_VIOLATION
    detector, rule, reason = max(hits, key=lambda hit: _SEVERITY_ORDER[hit[0].severity])
    return Verdict(True, rule=rule, severity=detector.severity, action=detector.action, reason=reason)


def rule_segments(rules: str) -> list[str]:
    """The owner's rules as separate statements (lines, and sentences within a line)."""
    segments: list[str] = []
    for line in rules.splitlines():
        for part in _SEGMENT_SPLIT.split(line.strip()):
            if part.strip():
                segments.append(part.strip())
    return segments


def _rule_for(detector: Detector, segments: list[str]) -> str | None:
    for segment in segments:
        lowered = normalize(segment)
        if not detector.topic.search(lowered):
            continue
        # "Swearing is allowed" names the topic to permit it, not to forbid it.
        if _PERMISSIVE.search(lowered) and not _NEGATION.search(lowered):
            continue
        return segment
    return None


def _plain_words(text: str) -> list[str]:
    """Words with leetspeak undone, each also with stretched letters squeezed ("fuuuck")."""
    found: list[str] = []
    for token in _TOKEN.findall(normalize(text)):
        plain = token.translate(_LEET)
        found.append(plain)
        if _LONG_RUN.search(plain):
            # Squeeze to one letter ("fuuuck") and to two ("asssshole"): we cannot know which.
            found += [_LONG_RUN.sub(r"\1", plain), _LONG_RUN.sub(r"\1\1", plain)]
    return found


def _listed(word: str, listed: frozenset[str]) -> bool:
    return (
        word in listed
        or (word.endswith("s") and word[:-1] in listed)
        or (word.endswith("ed") and word[:-2] in listed)
    )


def _check_flood(request: ModerationRequest) -> str | None:
    if len(request.recent_texts) >= FLOOD_MESSAGES:
        return f"{len(request.recent_texts) + 1} messages in quick succession"
    if _REPEATED_CHAR.search(request.text):
        return "a run of one repeated character"
    tokens = normalize(request.text).split()
    if len(tokens) >= 10:
        top = max(tokens.count(token) for token in set(tokens))
        if top / len(tokens) >= 0.7:
            return "the same word over and over"
    return None


def _check_repeat(request: ModerationRequest) -> str | None:
    text = " ".join(normalize(request.text).split())
    if len(text) < 3:
        return None
    times = sum(1 for earlier in request.recent_texts if " ".join(normalize(earlier).split()) == text)
    if times >= REPEAT_TIMES:
        return f"the same message sent {times + 1} times"
    return None


def _check_invite(request: ModerationRequest) -> str | None:
    match = _INVITE_OR_AD.search(normalize(request.text))
    return f"advertising or an invite link ({match.group(0)})" if match else None


def _mention_count(request: ModerationRequest) -> int:
    return max(request.mention_count, len(_USER_MENTION.findall(request.text)))


def _check_mass_mentions(request: ModerationRequest) -> str | None:
    count = _mention_count(request)
    return f"{count} mentions in one message" if count >= MASS_MENTIONS else None


def _check_heavy_mentions(request: ModerationRequest) -> str | None:
    count = _mention_count(request)
    return f"{count} mentions in one message" if count >= HEAVY_MENTIONS else None


def _check_profanity(request: ModerationRequest) -> str | None:
    for word in _plain_words(request.text):
        if _listed(word, wordlists.PROFANITY) or any(word.startswith(r) for r in wordlists.PROFANITY_ROOTS):
            return "profanity"
    return None


def _check_slurs(request: ModerationRequest) -> str | None:
    if any(_listed(word, wordlists.SLURS) for word in _plain_words(request.text)):
        return "a slur"
    return None


def _check_nsfw(request: ModerationRequest) -> str | None:
    if any(_listed(word, wordlists.NSFW) for word in _plain_words(request.text)):
        return "NSFW content"
    return None


def _check_caps(request: ModerationRequest) -> str | None:
    letters = [ch for ch in _NON_PROSE.sub("", request.text) if ch.isalpha()]
    if len(letters) < CAPS_MIN_LETTERS:
        return None
    share = sum(1 for ch in letters if ch.isupper()) / len(letters)
    return f"{round(share * 100)}% capital letters" if share > CAPS_SHARE else None


def _topic(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_SPAM = r"spam\w*|flood\w*|walls? of text|message walls?"
_MENTIONS = r"\b(?:mention\w*|ping\w*|tag\w*|@everyone|@here)"
_HATE = (
    r"\b(?:slur\w*|hate\w*|racis\w*|bigot\w*|discriminat\w*|homophob\w*|transphob\w*|sexis\w*|"
    r"harass\w*|toxic\w*|respect\w*|insult\w*|abus\w*)\b"
)

DETECTORS: dict[str, Detector] = {
    "flood": Detector("flood", _topic(rf"\b(?:{_SPAM})\b"), _check_flood, "low", "delete"),
    "repeat": Detector(
        "repeat",
        _topic(r"\b(?:spam\w*|repeat\w*|duplicate\w*|same message\w*|copy[- ]?past\w*)\b"),
        _check_repeat,
        "low",
        "delete",
    ),
    "invites": Detector(
        "invites",
        _topic(
            r"\b(?:invite\w*|advertis\w*|ads?|promot\w*|self[- ]?promo\w*|referral\w*|affiliate\w*|"
            r"selling|solicit\w*|server links?)\b"
        ),
        _check_invite,
        "medium",
        "delete",
    ),
    "mass_mentions": Detector("mass_mentions", _topic(_MENTIONS), _check_mass_mentions, "medium", "delete"),
    "heavy_mentions": Detector("heavy_mentions", _topic(_MENTIONS), _check_heavy_mentions, "high", "timeout"),
    "profanity": Detector(
        "profanity",
        _topic(
            r"\b(?:profan\w*|swear\w*|curs(?:e|es|ing)|cuss\w*|obscen\w*|vulgar\w*|toxic\w*|"
            r"(?:bad|foul|offensive) (?:language|words))\b"
        ),
        _check_profanity,
        "medium",
        "delete",
    ),
    "slurs": Detector("slurs", _topic(_HATE), _check_slurs, "high", "ban"),
    "nsfw": Detector(
        "nsfw",
        _topic(r"\b(?:nsfw|sexual\w*|explicit|porn\w*|adult content|lewd\w*|nud\w*|obscen\w*)\b|18\+"),
        _check_nsfw,
        "medium",
        "delete",
    ),
    "caps": Detector(
        "caps",
        _topic(r"\b(?:caps|capital letters|capitals|all[- ]caps|upper ?case|shout\w*|yell\w*)\b"),
        _check_caps,
        "low",
        "warn",
    ),
}
