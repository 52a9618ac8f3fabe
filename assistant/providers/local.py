"""The local engine: offline, deterministic, no model weights.

Answers are extractive (sentences copied from the best passages, never generated text),
and every decision comes from the word overlap between the question and the knowledge
base, from phrase cues (``assistant.cues``) and from the rule detectors
(``assistant.detectors``). Same input, same output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from assistant import cues, escalation
from assistant.detectors import moderate_by_rules
from assistant.prompts import I_DONT_KNOW
from assistant.providers.base import (
    Answer,
    AnswerRequest,
    ModerationRequest,
    Passage,
    ReplyDecision,
    Turn,
    Verdict,
)
from assistant.text import (
    coverage,
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
# A sentence joins the answer when it scores at least this share of the best sentence.
SENTENCE_KEEP_SHARE = 0.6
# Terms that only come from the previous turn (a follow-up's expansion) count half.
EXPANSION_WEIGHT = 0.5
NUMBER_BONUS = 0.5
MAX_POST_CHARS = 320
NEAR_DUPLICATE = 0.6
# A sentence whose content words are this share of an earlier post's sentence says nothing new.
RETOLD_SHARE = 0.8

_ASKS_FOR_AMOUNT = re.compile(r"\bhow (?:long|much|many|soon|often)\b|\bwhen\b|\bwhat time\b")


@dataclass(frozen=True)
class _Scored:
    score: float
    passage_index: int
    position: int
    text: str


class LocalProvider:
    name = "local"

    async def answer(self, request: AnswerRequest) -> Answer:
        """Copy the 1-3 best-matching sentences of the top passages, or say "I don't know"."""
        if confidence(request) < settings.AI_MIN_CONFIDENCE:
            return Answer(I_DONT_KNOW, sources=[], grounded=False)
        chosen = _best_sentences(request)
        if not chosen:
            return Answer(I_DONT_KNOW, sources=[], grounded=False)
        passages = _top_passages(request.passages)
        used = sorted({s.passage_index for s in chosen})
        text = " ".join(s.text for s in sorted(chosen, key=lambda s: (s.passage_index, s.position)))
        return Answer(text, sources=[passages[i] for i in used], grounded=True)

    async def should_reply(self, request: AnswerRequest) -> ReplyDecision:
        if cues.is_chatter(request.question):
            return ReplyDecision(False, "casual chatter")
        if not cues.has_question_cue(request.question):
            return ReplyDecision(False, "not a question")
        if confidence(request) < settings.AI_MIN_CONFIDENCE:
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
    """How well the best passage covers the question (0..1); 0 when retrieval found nothing."""
    return max(_coverages(request), default=0.0)


def _coverages(request: AnswerRequest) -> list[float]:
    """How well each top passage covers the question, in ``_top_passages`` order.

    A follow-up's own words ("and how long does that take?") name no topic, so when no
    passage covers the question alone, the expanded retrieval query is judged instead.
    """
    passage_terms = [terms(f"{p.title}\n{p.heading}\n{p.text}") for p in _top_passages(request.passages)]
    asked = weighted_terms(request.question)
    covered = [coverage(asked, found) for found in passage_terms]
    follow_up = bool(request.query) and request.query != request.question
    if follow_up and max(covered, default=0.0) < settings.AI_MIN_CONFIDENCE:
        expanded = weighted_terms(request.query)
        covered = [coverage(expanded, found) for found in passage_terms]
    return covered


def _top_passages(passages: list[Passage]) -> list[Passage]:
    # Retrieval ranks them; a zero BM25 score means no query word matched at all.
    return [p for p in passages if p.score > 0][:TOP_PASSAGES]


def _query_weights(request: AnswerRequest) -> dict[str, float]:
    weights = dict(weighted_terms(request.question))
    for term, weight in weighted_terms(request.query).items():
        weights.setdefault(term, weight * EXPANSION_WEIGHT)
    return weights


def _best_sentences(request: AnswerRequest) -> list[_Scored]:
    weights = _query_weights(request)
    wants_amount = bool(_ASKS_FOR_AMOUNT.search(normalize(request.question)))
    scored: list[_Scored] = []
    coverages = _coverages(request)
    for index, passage in enumerate(_top_passages(request.passages)):
        if coverages[index] < settings.AI_MIN_CONFIDENCE:
            continue  # a passage that does not cover the question must not leak into the answer
        for sentence in sentences(passage.text):
            if is_question(sentence.text):
                continue  # an FAQ's question line repeats the question, it does not answer it
            found = terms(sentence.text)
            score = sum(weight for term, weight in weights.items() if term in found)
            if score > 0 and wants_amount and has_digit(sentence.text):
                score += NUMBER_BONUS
            if score > 0:
                scored.append(_Scored(score, index, sentence.position, sentence.text))
    if not scored:
        return []
    best = max(s.score for s in scored)
    keep = [s for s in scored if s.score >= best * SENTENCE_KEEP_SHARE]
    keep.sort(key=lambda s: (-s.score, s.passage_index, s.position))
    return keep[:MAX_SENTENCES]


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
