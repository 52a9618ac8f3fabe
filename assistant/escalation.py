"""Escalation intent: does the member want a person? Read in every language we have phrase
sets for (en, es, pt, id, de, fr), from the message alone or from the conversation.

A member wants a person when they
- ask for one: "can I talk to a human?", "human pls", "any staff online?", "quiero hablar
  con una persona", "falar com atendente", "bicara dengan admin", "mit einem Menschen
  sprechen", "parler à un humain";
- are fed up with the bot: "this bot is useless", "no me estás ayudando";
- ask again what the bot already answered (the answer did not help);
- or the bot could not answer them several times in a row (``failure_loop``, decided by the
  pipeline once the answer is known), or they give an answer a thumbs-down (once feedback
  exists; ``Reason.FEEDBACK``).

Look-alikes stay quiet: curiosity about the bot ("are you a human?"), "human error",
"admin panel", "my manager said", support-hours questions, thanks for past help, "only want
human players", advice to someone else ("you should talk to a mod"), negations ("no need
for a human").

Every cue is a regular expression over folded text (``fold``: accents, case, repeated
letters and common slang), built per language from the phrase sets in
``assistant.escalation_languages``, so what triggers can be read and tested exactly.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from assistant.escalation_languages import LANGUAGES, OFFER_PERSON, SLANG, TEAM_ASKED, TEAM_TOLD
from assistant.escalation_languages.base import Phrases
from assistant.providers.base import Turn
from assistant.text import normalize, terms


class Reason(StrEnum):
    """Why a conversation was escalated (the email tells the team)."""

    ASKED = "asked"  # asked for a person, or is frustrated with the bot
    UNANSWERED = "unanswered"  # the bot could not answer several times in a row
    # A thumbs-down on an answer. Feedback buttons do not exist yet: the issue that adds
    # them calls ``pipeline.converse.escalate_conversation(conversation_id, Reason.FEEDBACK)``.
    FEEDBACK = "feedback"


_REPEATED_LETTER = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"[a-z0-9']+")
_SHORTHAND = re.compile(r"(?:(?<=\s)|^)(w|c)/\s*")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lowercase, accents folded, letters repeated 3+ times made one ("pleaseeee"), and slang
    spelled out ("plz", "hooman", "xfa", "svp", "gak", "w/")."""
    folded = _REPEATED_LETTER.sub(r"\1", normalize(text))
    folded = _SHORTHAND.sub(lambda m: "with " if m.group(1) == "w" else "com ", folded)
    return _TOKEN.sub(lambda m: SLANG.get(m.group(0), m.group(0)), folded)


class _Compiled:
    """One language's phrase sets as regular expressions."""

    def __init__(self, phrases: Phrases) -> None:
        self.code = phrases.code
        self.requests = [re.compile(p) for p in phrases.requests()]
        self.frustration = re.compile("|".join(f"(?:{p})" for p in phrases.frustration))
        self.curiosity = re.compile("|".join(f"(?:{p})" for p in phrases.curiosity))
        self.hours = re.compile("|".join(f"(?:{p})" for p in phrases.hours))
        # a negation or advice at most two (one) words before the request
        self.negated = re.compile(rf"(?:{phrases.negations})\s+(?:[\w']+\s+){{0,2}}$")
        self.advice = re.compile(rf"(?:{phrases.advice})\s+(?:[\w']+\s+){{0,1}}$")
        self.function_words = phrases.function_words

    def asks_for_person(self, folded: str) -> bool:
        if self.hours.search(folded):
            return False  # "what are your support hours?", "is support available on weekends?"
        text = self.curiosity.sub(" | ", folded)  # "are you a human?" asks about the bot
        for pattern in self.requests:
            for match in pattern.finditer(text):
                before = text[: match.start()]
                if not self.negated.search(before) and not self.advice.search(before):
                    return True
        return False


_COMPILED = [_Compiled(phrases) for phrases in LANGUAGES]


def asks_for_human(text: str) -> bool:
    """True when the member asks for a person, in any language we have phrases for."""
    folded = fold(text)
    return any(language.asks_for_person(folded) for language in _COMPILED)


def sounds_frustrated(text: str) -> bool:
    """True for frustration with the bot ("this bot is useless", "ce bot est nul")."""
    folded = fold(text)
    return any(language.frustration.search(folded) for language in _COMPILED)


def repeats_earlier_question(text: str, history: list[Turn]) -> bool:
    """True when the member asks again what they already asked and the bot answered.

    Asking the same thing twice means the answer did not help: a person should look.
    """
    asked = terms(text)
    if len(asked) < 2:
        return False
    answered_since = False
    for turn in reversed(history):
        if turn.role != "member":
            answered_since = True
            continue
        if not answered_since:
            continue
        earlier = terms(turn.text)
        if earlier and len(asked & earlier) / len(asked | earlier) >= 0.8:
            return True
    return False


def wants_human(text: str, history: list[Turn]) -> bool:
    """The local engine's answer to "does the member want a person?"."""
    return asks_for_human(text) or sounds_frustrated(text) or repeats_earlier_question(text, history)


def failure_loop(earlier_failures: int, *, failed_now: bool, limit: int) -> bool:
    """True when this answer is the ``limit``-th "I don't know" in a row to the member
    (``earlier_failures`` counts the ones just before it; the pipeline passes
    ``settings.ESCALATION_AFTER_UNANSWERED``). ``limit`` 0 turns it off."""
    return bool(limit) and failed_now and earlier_failures + 1 >= limit


def language_of(text: str) -> str:
    """The language ``text`` is most likely in, among those we have phrases for ("en" when
    nothing says otherwise): the most function words, and a request phrase of the language
    counting two."""
    folded = fold(text)
    tokens = _TOKEN.findall(folded)
    best, best_score = "en", 0
    for language in _COMPILED:
        score = sum(token in language.function_words for token in tokens)
        score += 2 * language.asks_for_person(folded)
        if score > best_score:
            best, best_score = language.code, score
    return best


def person_offered(text: str) -> str:
    """How to reach a person, in the language of ``text``: added to an "I don't know"
    where escalation is on."""
    return OFFER_PERSON.get(language_of(text), OFFER_PERSON["en"])


def team_told(text: str, reason: Reason = Reason.ASKED) -> str:
    """What the member is told when the team was notified, in the language of ``text``
    (their message): that a person was asked for, or that the bot could not answer."""
    told = TEAM_ASKED if reason == Reason.UNANSWERED else TEAM_TOLD
    return told.get(language_of(text), told["en"])
