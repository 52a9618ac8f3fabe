"""Small, dependency-free text helpers the local engine is built from.

Everything here is deterministic: the same text always yields the same terms, so the
local provider's answers and decisions can be tested exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_ANSWER_LABEL = re.compile(r"^(?:a|answer)\s*:\s*", re.IGNORECASE)
_QUESTION_LABEL = re.compile(r"^(?:q|question)\s*:", re.IGNORECASE)
_DIGIT = re.compile(r"\d")

# English function words, plus the words that make a sentence a question: neither says
# what the question is about, so neither may count as evidence that a passage answers it.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his
    i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't
    my myself no nor not of off on once only or other ought our ours ourselves out over
    own same shan't she she'd she'll she's should shouldn't so some such than that that's
    the their theirs them themselves then there there's these they they'd they'll they're
    they've this those through to too under until up very was wasn't we we'd we'll we're
    we've were weren't what what's when when's where where's which while who who's whom
    why why's will with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves also just really anyone anybody someone somebody please thanks
    thank hi hello hey yes yeah ok okay may might must shall us via etc
    how how's whose whats hows im ive dont doesnt cant isnt wont
    """.split()
)

# Words that carry a little meaning but appear everywhere ("how long does it *take*",
# "how does it *work*"): they count, but far less than the words that name a topic.
GENERIC_WORDS = frozenset(
    """
    work works working worked take takes taking took get gets getting got use uses using
    used make makes making made need needs want wants long much many time times way ways
    thing things able know tell find found go goes going give gives see look looks
    """.split()
)
GENERIC_WEIGHT = 0.25


@lru_cache(maxsize=16384)
def normalize(text: str) -> str:
    """Lowercase, fold accents and curly apostrophes, so "Café" and "cafe" compare equal."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()


def words(text: str) -> list[str]:
    """The words of ``text``, normalized, in order (punctuation dropped)."""
    return _WORD.findall(normalize(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix normaliser: refund/refunds/refunded/refunding all become "refund".

    Deliberately crude (no dictionary): it only has to make inflections of the same word
    meet, not produce real words.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("'s"):
        word = word[:-2]
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    elif word.endswith(("sses", "xes", "zes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    # "shipping" -> "shipp" -> "ship"; but "billing" keeps its double l ("bill").
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


@lru_cache(maxsize=8192)
def terms(text: str) -> frozenset[str]:
    """The stemmed content words of ``text`` (stopwords and question words removed).

    Cached: knowledge passages and their sentences come back for question after question."""
    return frozenset(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1)


def weighted_terms(text: str) -> dict[str, float]:
    """Content terms of ``text`` with their weight: 1 for topic words, less for generic ones."""
    weighted: dict[str, float] = {}
    for w in words(text):
        if w in STOPWORDS or len(w) <= 1:
            continue
        weighted[stem(w)] = GENERIC_WEIGHT if w in GENERIC_WORDS else 1.0
    return weighted


def topic_weight(weighted: dict[str, float]) -> float:
    """How much of ``weighted`` names a topic (generic words excluded)."""
    return sum(weight for weight in weighted.values() if weight >= 1.0)


def coverage(question: dict[str, float], passage_terms: AbstractSet[str]) -> float:
    """The share (0..1) of the question's term weight that ``passage_terms`` contains.

    A passage sharing only generic words ("take", "work") with the question covers
    nothing: it has to name at least one of the question's topic words.
    """
    total = sum(question.values())
    covered = [weight for term, weight in question.items() if term in passage_terms]
    if total == 0 or max(covered, default=0.0) < 1.0:
        return 0.0
    return sum(covered) / total


def jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word sets (0 = disjoint, 1 = same words)."""
    set_a, set_b = set(words(a)), set(words(b))
    if not set_a and not set_b:
        return 1.0
    return len(set_a & set_b) / len(set_a | set_b)


def has_digit(text: str) -> bool:
    return bool(_DIGIT.search(text))


@dataclass(frozen=True)
class Sentence:
    text: str
    position: int


def sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with their position, keeping the original wording.

    Markdown headings are skipped (they name a section, they do not say anything), and
    list bullets are removed so a bullet item reads as a sentence. Hard-wrapped lines of
    one paragraph are joined first, so a sentence is never cut at a line break.
    """
    found: list[Sentence] = []
    for paragraph in _paragraphs(text):
        paragraph = _ANSWER_LABEL.sub("", paragraph)
        for part in _SENTENCE_END.split(paragraph):
            part = part.strip()
            if part:
                found.append(Sentence(part, len(found)))
    return found


def _paragraphs(text: str) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            flush()
            continue
        starts_item = bool(_BULLET.match(line) or _ANSWER_LABEL.match(line) or _QUESTION_LABEL.match(line))
        if starts_item:
            flush()
            line = _BULLET.sub("", line)
        current.append(line)
    flush()
    return paragraphs


def is_question(sentence: str) -> bool:
    """True for a sentence that asks rather than tells (an FAQ's "Q:" line)."""
    stripped = sentence.rstrip()
    return stripped.endswith("?") or normalize(stripped).startswith("q:")
