"""The local engine: offline, deterministic, no model weights.

Answers are extractive (sentences copied from the best passages, never generated text),
and every decision comes from the word overlap between the question and the knowledge
base, from phrase cues (``assistant.cues``) and from the rule detectors
(``assistant.detectors``). Same input, same output.
"""

from __future__ import annotations

import re
from typing import Any

from assistant import cues, escalation, evidence
from assistant.answer_types import asked_for, unsupplied
from assistant.detectors import moderate_by_rules
from assistant.prompts import I_DONT_KNOW
from assistant.providers.base import (
    HEADING_SEPARATOR,
    Answer,
    AnswerRequest,
    ModerationRequest,
    Passage,
    ReplyDecision,
    Turn,
    Verdict,
)
from assistant.text import (
    Sentence,
    has_digit,
    is_question,
    jaccard,
    normalize,
    sentences,
    terms,
    weighted_terms,
)

TOP_PASSAGES = 3
MAX_SENTENCES = 3
# A passage this short is answered whole: it is one section saying one thing.
WHOLE_PASSAGE_CHARS = 480
# A second passage joins when it is of the same document and scores this share of the best
# (see _companion).
COMPANION_SHARE = 0.5
# How much a sentence's cosine with the question counts against one shared topic word.
SEMANTIC_WEIGHT = 2.0
# A sentence joins the answer when it scores at least this share of the best sentence.
SENTENCE_KEEP_SHARE = 0.6
# Terms that only come from the previous turn (a follow-up's expansion) count half.
EXPANSION_WEIGHT = 0.5
NUMBER_BONUS = 0.5
MAX_POST_CHARS = 320
NEAR_DUPLICATE = 0.6
# A sentence whose content words are this share of an earlier post's sentence says nothing new.
RETOLD_SHARE = 0.8

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# Beyond :mod:`assistant.answer_types`: a question after a time, which a digit gives.
_ASKS_FOR_TIME = re.compile(r"\bwhen\b|\bwhat time\b")


class LocalProvider:
    name = "local"

    async def answer(self, request: AnswerRequest) -> Answer:
        """Answer with the best passage's own sentences under its heading, or say "I don't
        know" when retrieval's evidence says the knowledge base does not answer."""
        query = request.query or request.question
        if not evidence.knows(request.question, query, request.passages):
            return Answer(I_DONT_KNOW, sources=[], grounded=False)
        best = _answering_passage(request)
        if best is None:
            return Answer(I_DONT_KNOW, sources=[], grounded=False)
        used = [best]
        parts = [_passage_answer(request, best)]
        extra = _companion(request, best)
        if extra is not None:
            used.append(extra)
            parts.append(_passage_answer(request, extra, with_heading=extra.heading != best.heading))
        return Answer("\n".join(p for p in parts if p), sources=used, grounded=True)

    async def should_reply(self, request: AnswerRequest) -> ReplyDecision:
        if cues.is_chatter(request.question):
            return ReplyDecision(False, "casual chatter")
        if not cues.asks_for_help(request.question):
            return ReplyDecision(False, "not a question")
        if not evidence.knows(request.question, request.query or request.question, request.passages):
            return ReplyDecision(False, "the knowledge base does not cover it")
        return ReplyDecision(True, "a question the knowledge base covers")

    async def moderate(self, request: ModerationRequest) -> Verdict:
        return moderate_by_rules(request)

    async def compose_proactive(self, topic: str, passages: list[Passage], previous_posts: list[str]) -> str:
        """A short post from the passages on ``topic`` unlike every previous post, or "".

        "" means there is nothing new to say (every candidate is too close to an earlier
        post, or there are no passages).
        """
        told = _told_sentences(previous_posts)
        for said in _post_candidates(topic, passages):
            post = _post_text(topic, " ".join(said))
            if all(_is_new(post, said, earlier) for earlier in previous_posts) and not any(
                _retells(sentence, told) for sentence in said
            ):
                return post
        return ""

    async def wants_human(self, text: str, history: list[Turn]) -> bool:
        return escalation.wants_human(text, history)


def confidence(request: AnswerRequest) -> float:
    """How well the best passage covers the question's words (0..1); 0 when retrieval found
    nothing. (The answer/abstain decision is :func:`assistant.evidence.knows`.)"""
    return max(_coverages(request), default=0.0)


def _coverages(request: AnswerRequest) -> list[float]:
    query = request.query or request.question
    return [evidence.word_coverage(request.question, query, p) for p in _top_passages(request.passages)]


def _top_passages(passages: list[Passage]) -> list[Passage]:
    return [p for p in passages if p.score > 0][:TOP_PASSAGES]


def _answering_passage(request: AnswerRequest) -> Passage | None:
    """The passage :func:`assistant.evidence.answering` chooses; without vectors, the one
    whose words cover the question best."""
    top = _top_passages(request.passages)
    if not top:
        return None
    if top[0].dense is not None:
        return evidence.answering(request.question, request.query or request.question, top)
    covered = _coverages(request)
    return top[max(range(len(top)), key=lambda i: (covered[i], -i))]


def _companion(request: AnswerRequest, best: Passage) -> Passage | None:
    """A second passage that adds to the same answer: of retrieval's passages of the same
    document that scored at least ``COMPANION_SHARE`` of the best, the one most worth
    answering from (:func:`assistant.evidence.answer_worth`: the question's own words and
    the kind of answer asked for). Never one of another document.

    A question about a page's topic is often answered by the section beside the one
    that matched best: "which locations do you have?" matches "Choosing a location"
    while the list of data centres sits in the page's first section, and a section of
    another document may rank between them. Taking only the very next passage, and only
    at 90% of the best's score, left the fact out of 1 answer of the bike-share set and
    4 of the hosting set that this holds (fact over the answerable questions 69% to 70%
    and 52% to 56%; shares from 0 to 0.5 did the same, 0.8 half as well). Looking past
    the first three passages, and choosing by worth rather than by retrieval's order
    ("what does the annual pass cost?" matches the passes' introduction, and the price
    list is the page's fourth passage), took the fact from 73% to 74% and from 57% to
    59%; either alone did less (73% and 57%, or 73% and 59%)."""
    found = [
        passage
        for passage in request.passages
        if passage.chunk_id != best.chunk_id
        and passage is not best
        and passage.score > 0
        and passage.dense is not None
        and passage.source_id is not None
        and passage.source_id == best.source_id
        and passage.score >= best.score * COMPANION_SHARE
    ]
    if not found:
        return None
    # max keeps the first of equals: retrieval's order breaks ties.
    return max(found, key=lambda passage: evidence.answer_worth(request.question, passage, request.query))


def _query_weights(request: AnswerRequest) -> dict[str, float]:
    weights = dict(weighted_terms(request.question))
    for term, weight in weighted_terms(request.query).items():
        weights.setdefault(term, weight * EXPANSION_WEIGHT)
    return weights


def _passage_answer(request: AnswerRequest, passage: Passage, *, with_heading: bool = True) -> str:
    """The passage's own words for Discord: its heading in bold, then the whole passage
    when it is short, else its sentences (or list items) that best answer the question,
    in the passage's order."""
    units = [s for s in sentences(passage.text) if not is_question(s.text)]
    if not units:
        return ""
    heading = _heading_label(passage)
    if len(passage.text) <= WHOLE_PASSAGE_CHARS:
        chosen = units
    else:
        chosen = _best_units(request, units)
    bullet = "- " if _is_list(passage.text) else ""
    body = "\n".join(f"{bullet}{u.text}" for u in chosen) if bullet else " ".join(u.text for u in chosen)
    return f"**{heading}**\n{body}" if with_heading and heading else body


def _best_units(request: AnswerRequest, units: list[Sentence]) -> list[Sentence]:
    weights = _query_weights(request)
    kinds = asked_for(request.question)
    wants_time = not kinds and bool(_ASKS_FOR_TIME.search(normalize(request.question)))
    similarity = _similarities(request.query or request.question, [u.text for u in units])
    scored = []
    for unit, cosine in zip(units, similarity, strict=True):
        found = terms(unit.text)
        score = sum(weight for term, weight in weights.items() if term in found) + SEMANTIC_WEIGHT * cosine
        # A sentence holding the kind of answer asked for ("every night" for "how often").
        if (kinds and not unsupplied(request.question, unit.text)) or (wants_time and has_digit(unit.text)):
            score += NUMBER_BONUS
        scored.append((score, unit))
    best = max(score for score, _ in scored)
    keep = sorted(
        (pair for pair in scored if pair[0] >= best * SENTENCE_KEEP_SHARE), key=lambda pair: -pair[0]
    )[:MAX_SENTENCES]
    return sorted((unit for _, unit in keep), key=lambda unit: unit.position)


def _similarities(query: str, texts: list[str]) -> list[float]:
    """Cosine of each text with the query under the knowledge embedder; zeros without one.
    The passages' sentences recur answer after answer: their vectors are remembered."""
    from knowledge.embedding import get_embedder

    embedder = get_embedder()
    if embedder is None:
        return [0.0] * len(texts)
    try:
        missing = [t for t in dict.fromkeys(texts) if t not in _SENTENCE_VECTORS]
        vectors = embedder.embed([query, *missing])
        for text, vector in zip(missing, vectors[1:], strict=True):
            if len(_SENTENCE_VECTORS) >= SENTENCE_CACHE_SIZE:
                _SENTENCE_VECTORS.pop(next(iter(_SENTENCE_VECTORS)), None)
            _SENTENCE_VECTORS[text] = vector
        asked = vectors[0]
        return [float(_SENTENCE_VECTORS[t] @ asked) if t in _SENTENCE_VECTORS else 0.0 for t in texts]
    except Exception:
        return [0.0] * len(texts)


# Sentence vectors by text, oldest out first (a vector is 1 KB: 20,000 of them are 20 MB).
SENTENCE_CACHE_SIZE = 20_000
_SENTENCE_VECTORS: dict[str, Any] = {}


def _heading_label(passage: Passage) -> str:
    heading = passage.heading.split(HEADING_SEPARATOR.strip())[-1].strip() if passage.heading else ""
    return heading or passage.title


def _is_list(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return len(lines) > 1 and all(_BULLET.match(line) for line in lines[1:])


def _post_candidates(topic: str, passages: list[Passage]) -> list[tuple[str, ...]]:
    """What a post could say, as its sentences: most on-topic first, pairs before singles.

    Consecutive short sentences are paired (without overlap) so a post says something
    whole; every sentence is also offered alone, for when its partner was posted already.
    When some passages mention the topic, the others are left out.
    """
    topic_terms = terms(topic)
    ranked: list[tuple[int, int, int, int, tuple[str, ...]]] = []
    for index, passage in enumerate(passages):
        told = [s.text for s in sentences(passage.text) if _worth_posting(s.text)]
        about = f"{passage.title} {passage.heading}"
        singles: list[tuple[str, ...]] = [(_shorten(s, MAX_POST_CHARS),) for s in told]
        groups: tuple[list[tuple[str, ...]], ...] = (_paired(told), singles)
        for kind, group in enumerate(groups):
            for position, said in enumerate(group):
                relevance = len(topic_terms & terms(f"{about} {' '.join(said)}"))
                ranked.append((-relevance, kind, index, position, said))
    if any(relevance < 0 for relevance, *_ in ranked):
        ranked = [entry for entry in ranked if entry[0] < 0]
    ranked.sort()
    return [said for *_, said in ranked]


def _worth_posting(sentence: str) -> bool:
    return not is_question(sentence) and len(sentence.split()) >= 5


def _paired(told: list[str]) -> list[tuple[str, ...]]:
    groups: list[tuple[str, ...]] = []
    i = 0
    while i < len(told):
        if i + 1 < len(told) and len(told[i]) + len(told[i + 1]) < MAX_POST_CHARS:
            groups.append((told[i], told[i + 1]))
            i += 2
        else:
            groups.append((_shorten(told[i], MAX_POST_CHARS),))
            i += 1
    return groups


def _is_new(post: str, said: tuple[str, ...], earlier: str) -> bool:
    """True when ``post`` neither repeats a sentence of ``earlier`` nor reads like it."""
    return not any(sentence in earlier for sentence in said) and jaccard(post, earlier) < NEAR_DUPLICATE


def _told_sentences(previous_posts: list[str]) -> list[tuple[str, frozenset[str]]]:
    """Every sentence of the earlier posts (whoever wrote them), with its content terms."""
    return [(s.text, terms(s.text)) for post in previous_posts for s in sentences(post)]


def _retells(sentence: str, told: list[tuple[str, frozenset[str]]]) -> bool:
    """True when an earlier post already said ``sentence``, even in other words: a sentence
    that reads like an earlier one, or whose content words an earlier one all but holds
    (a reworded or shortened copy adds nothing), is not news."""
    own = terms(sentence.removesuffix("…"))
    for text, earlier in told:
        if jaccard(sentence, text) >= NEAR_DUPLICATE:
            return True
        if own and len(own & earlier) >= RETOLD_SHARE * len(own):
            return True
    return False


def _post_text(topic: str, body: str) -> str:
    label = topic.strip() or "Tip"
    return f"**{label}**: {body}"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
