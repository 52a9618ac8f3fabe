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
from functools import lru_cache
from typing import Literal, cast

from assistant import conduct_checks as conduct
from assistant import content_checks as cc
from assistant import wordlists
from assistant.content_checks import Inspected
from assistant.providers.base import NO_VIOLATION, Action, ModerationRequest, Verdict
from assistant.rules import CompiledRules, Rule, compile_rules, statements
from assistant.text import normalize

Severity = Literal["low", "medium", "high"]
_SEVERITY_ORDER = {"low": 1, "medium": 2, "high": 3}

# A detector's check returns why the message breaks the rule, or None.
Check = Callable[[Inspected], str | None]


@dataclass(frozen=True)
class Detector:
    name: str
    # Matched against each line of the owner's rules: does this rule ask for me?
    topic: re.Pattern[str]
    check: Check
    severity: Severity
    action: Action
    # How the settings page names the check.
    label: str = ""


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LONG_RUN = re.compile(r"(.)\1{2,}")
_TOKEN = re.compile(r"[a-z@$0-9]+")


def moderate_by_rules(request: ModerationRequest) -> Verdict:
    """The most severe violation of the owner's rules, or ``NO_VIOLATION``. Never raises.

    Each statement of the rules runs the checks compiled for it (``assistant.rules``) when
    it holds in the message's channel; a check's result is computed once per message."""
    rules = compiled_rules(request.rules)
    message = Inspected(request, rules.allowed_domains)
    channels = frozenset(name.lower().lstrip("#") for name in request.channels if name)
    results: dict[str, str | None] = {}
    best: tuple[int, Rule, str, Severity, Action] | None = None
    broken: list[int] = []
    for rule in rules.enforced():
        if not rule.applies_in(channels):
            continue
        for name in rule.checks:
            if name in rules.permitted:
                continue  # "profanity is allowed" wins over a vaguer "keep it clean"
            if name not in results:
                results[name] = DETECTORS[name].check(message)
            reason = results[name]
            if reason:
                detector = DETECTORS[name]
                best = _stronger(best, rule, reason, detector.severity, detector.action)
                broken.append(rule.number)
        reason = _listed_words(rule, message)
        if reason:
            best = _stronger(best, rule, reason, "medium", "delete")
            broken.append(rule.number)
    if best is None:
        return NO_VIOLATION
    _, rule, reason, severity, action = best
    return Verdict(
        True,
        rule=rule.text,
        severity=severity,
        action=cast(Action, rule.action or action),
        reason=reason,
        rule_line=rule.number,
        rule_lines=tuple(dict.fromkeys(broken)),
    )


def _stronger(
    best: tuple[int, Rule, str, Severity, Action] | None,
    rule: Rule,
    reason: str,
    severity: Severity,
    action: Action,
) -> tuple[int, Rule, str, Severity, Action]:
    """The more severe hit; on a tie, the more specific rule (fewer checks: "No selling
    accounts" over "No cheating: don't sell hacks")."""
    rank = _SEVERITY_ORDER[severity]
    if best is None or rank > best[0] or (rank == best[0] and len(rule.checks) < len(best[1].checks)):
        return (rank, rule, reason, severity, action)
    return best


def _listed_words(rule: Rule, message: Inspected) -> str | None:
    """The owner's own banned words, phrases and regular expressions."""
    for word in rule.words:
        if _phrase(word).search(message.norm):
            return f"a banned word or phrase (“{word}”)"
    for pattern in rule.patterns:
        if pattern.search(message.text):
            return "text matching a pattern the owner banned"
    return None


@lru_cache(maxsize=4096)
def _phrase(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")


def rule_segments(rules: str) -> list[str]:
    """The owner's rules as separate statements (lines, and sentences within a line)."""
    return [text for _, text in statements(rules)]


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


def _words(m: Inspected) -> list[str]:
    return _plain_words(m.text)


def _check_profanity(m: Inspected) -> str | None:
    for word in _words(m):
        if _listed(word, wordlists.PROFANITY) or any(word.startswith(r) for r in wordlists.PROFANITY_ROOTS):
            return "profanity"
    return None


def _check_slurs(m: Inspected) -> str | None:
    if any(_listed(word, wordlists.SLURS) for word in _words(m)):
        return "a slur"
    return None


def _check_nsfw(m: Inspected) -> str | None:
    if any(_listed(word, wordlists.NSFW) for word in _words(m)):
        return "NSFW content"
    return conduct.check_nsfw_attachment(m)


def _topic(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_SPAM = r"spam\w*|flood\w*|walls? of text|message walls?|link walls?"
_MENTIONS = r"\b(?:mention\w*|ping\w*|tag\w*)|@everyone|@here"
_HATE = (
    r"\b(?:slur\w*|hate\w*|racis\w*|bigot\w*|discriminat\w*|homophob\w*|transphob\w*|sexis\w*|"
    r"n-?words?|offensive)\b"
)
_CONDUCT = (
    r"\b(?:harass\w*|bull(?:y|ies|ying)|insult\w*|toxic\w*|respect\w*|be (?:kind|nice|civil|polite|friendly)|"
    r"civil\w*|friendly|kind(?:ness)?|personal attacks?|name[- ]?calling|flam(?:e|ing)|troll\w*|abus\w*|"
    r"critique|disrespect\w*|rude\w*|mean to|attack\w*|threat\w*|intimidat\w*|violen\w*|self[- ]?harm)\b"
)
_PROMO_TOPIC = (
    r"\b(?:advertis\w*|ads?|promot\w*|self[- ]?promo\w*|promo|referral\w*|affiliate\w*|solicit\w*|shill\w*|"
    r"plugs?|plugging|commissions?|socials|shops?|dm advertis\w*|dming)\b"
)

DETECTORS: dict[str, Detector] = {
    "flood": Detector(
        "flood", _topic(rf"\b(?:{_SPAM})\b"), cc.check_flood, "low", "delete", "message floods"
    ),
    "repeat": Detector(
        "repeat",
        _topic(r"\b(?:spam\w*|repeat\w*|duplicate\w*|same message\w*|copy[- ]?past\w*)\b"),
        cc.check_repeat,
        "low",
        "delete",
        "repeated messages",
    ),
    "emoji_wall": Detector(
        "emoji_wall",
        _topic(r"\b(?:spam\w*|emoji\w*|emotes?)\b"),
        conduct.check_emoji_wall,
        "low",
        "delete",
        "emoji walls",
    ),
    "invites": Detector(
        "invites",
        _topic(
            r"\b(?:invite\w*|advertis\w*|ads?|promot\w*|self[- ]?promo\w*|server links?|discord links?)\b"
        ),
        cc.check_invite,
        "medium",
        "delete",
        "Discord invite links",
    ),
    "promotion": Detector(
        "promotion", _topic(_PROMO_TOPIC), cc.check_promotion, "medium", "delete", "self-promotion"
    ),
    "links": Detector(
        "links",
        _topic(
            r"\b(?:external|outside|unapproved|random|other|unknown) (?:links?|urls?|websites?)\b"
            r"|\bno (?:links?|urls?)\b|\b(?:post|share|send)(?:ing)? (?:links?|urls?)\b"
        ),
        cc.check_links,
        "low",
        "delete",
        "links to other sites",
    ),
    "everyone": Detector(
        "everyone", _topic(_MENTIONS), cc.check_everyone, "medium", "delete", "@everyone / @here"
    ),
    "mass_mentions": Detector(
        "mass_mentions", _topic(_MENTIONS), cc.check_mass_mentions, "medium", "delete", "mass mentions"
    ),
    "heavy_mentions": Detector(
        "heavy_mentions", _topic(_MENTIONS), cc.check_heavy_mentions, "high", "timeout", "10+ mentions"
    ),
    "profanity": Detector(
        "profanity",
        _topic(
            r"\b(?:profan\w*|swear\w*|curs(?:e|es|ing)|cuss\w*|obscen\w*|vulgar\w*|"
            r"(?:bad|foul|offensive|strong) (?:language|words)|keep it (?:pg|clean|family[- ]friendly))\b"
        ),
        _check_profanity,
        "medium",
        "delete",
        "profanity",
    ),
    "slurs": Detector("slurs", _topic(_HATE), _check_slurs, "high", "ban", "slurs"),
    "threats": Detector(
        "threats", _topic(_CONDUCT + "|" + _HATE), conduct.check_threats, "high", "timeout", "threats"
    ),
    "insults": Detector(
        "insults", _topic(_CONDUCT), conduct.check_insults, "medium", "delete", "insults at people"
    ),
    "nsfw": Detector(
        "nsfw",
        _topic(
            r"\b(?:nsfw|nsfl|sexual\w*|explicit|porn\w*|adult content|lewd\w*|nud\w*|obscen\w*|gore|gory|"
            r"suggestive|sfw)\b|18\+"
        ),
        _check_nsfw,
        "medium",
        "delete",
        "NSFW words and attachments",
    ),
    "caps": Detector(
        "caps",
        _topic(r"\b(?:caps|capital letters|capitals|all[- ]caps|caps ?lock|upper ?case|shout\w*|yell\w*)\b"),
        cc.check_caps,
        "low",
        "warn",
        "all caps",
    ),
    "scams": Detector(
        "scams",
        _topic(
            r"\b(?:scam\w*|phish\w*|fraud\w*|fake (?:giveaways?|links?|nitro)|free nitro|doubling|"
            r"impersonat\w*|malicious links?|suspicious links?|giveaways?|crypto (?:scams?|doubling)|"
            r"investment\w*|airdrops?|seed phrases?)\b"
        ),
        cc.check_scam,
        "high",
        "timeout",
        "scams and phishing",
    ),
    "selling": Detector(
        "selling",
        _topic(
            r"\b(?:sell\w*|buy\w*|trad(?:e|es|ing)|market\w*|account sales|boosting|rmt|real money|wts|wtb)\b"
        ),
        cc.check_selling,
        "medium",
        "delete",
        "buying, selling, trading",
    ),
    "cheating": Detector(
        "cheating",
        _topic(
            r"\b(?:cheat\w*|hack\w*|aim ?bots?|exploit\w*|mod menus?|scripts?|homework services?|"
            r"exam answers?|answers?|plagiar\w*)\b"
        ),
        cc.check_cheating,
        "medium",
        "delete",
        "cheats and exam answers",
    ),
    "personal_info": Detector(
        "personal_info",
        _topic(
            r"\b(?:personal (?:info\w*|details|data)|private (?:info\w*|details)|dox\w*|phone\w*|"
            r"(?:home )?address\w*|e-?mails?|ip(?: address\w*)?|real names?|location|pii)\b"
        ),
        conduct.check_personal_info,
        "medium",
        "delete",
        "personal information",
    ),
    "secrets": Detector(
        "secrets",
        _topic(r"\b(?:api keys?|keys?|tokens?|passwords?|credentials?|secrets?|logins?|seed phrases?)\b"),
        conduct.check_secrets,
        "low",
        "delete",
        "API keys, tokens, passwords",
    ),
    "art_theft": Detector(
        "art_theft",
        _topic(
            r"\b(?:art theft|credit\w*|repost\w*|trac(?:e|ed|ing)|steal\w*|stolen|plagiar\w*|"
            r"(?:other people'?s|someone else'?s) (?:art|work))\b"
        ),
        conduct.check_art_theft,
        "medium",
        "delete",
        "art theft and reposts",
    ),
    "chain_letters": Detector(
        "chain_letters",
        _topic(r"\bchain\w*|\bsend this to\b|\bforward(?:ed|ing)? messages?\b"),
        conduct.check_chain_letter,
        "low",
        "delete",
        "chain messages",
    ),
    "not_english": Detector(
        "not_english",
        _topic(
            r"\benglish only\b|\bonly english\b|\b(?:speak|write|use|in) english\b|\benglish[- ]speaking\b"
        ),
        conduct.check_not_english,
        "low",
        "warn",
        "messages not in English",
    ),
}

# What the rules compiler matches each statement's clauses against.
TOPICS: dict[str, re.Pattern[str]] = {name: detector.topic for name, detector in DETECTORS.items()}


@lru_cache(maxsize=512)
def compiled_rules(rules: str) -> CompiledRules:
    """The owner's rules compiled against the local detectors (cached by text)."""
    return compile_rules(rules, TOPICS)
