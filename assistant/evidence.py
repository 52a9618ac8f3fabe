"""Does the knowledge base answer this question? A calibrated decision over retrieval's
evidence, shared by the local provider's answers and smart mode.

Features of the best passage (see :class:`assistant.providers.base.Passage`): its cosine
with the question (``dense``), whether BM25 agrees it is the best (``lexical``, its BM25
over the question's best BM25), how far it is ahead of the best passage of any other
document (``margin``), and the share of the question's content words it contains
(``coverage``). A logistic model over them gives the probability that the passage
answers; the bot answers at ``THRESHOLD`` or above.

The weights and the threshold were fitted by ``benchmarks/calibrate.py`` on the dev half
of ``benchmarks/data/quality`` (answerable questions against near misses whose
look-alike page exists) and copied here; run it again after changing retrieval. The
threshold abstains as much as it can on dev near misses while abstaining on at most 10%
of the answerable dev questions (dev: 46% / 8%, test: 38% / 6%).

Passages without vectors (embeddings off, or tests' hand-made passages) fall back to word
coverage alone against ``AI_MIN_CONFIDENCE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from assistant.providers.base import Passage
from assistant.text import GENERIC_WORDS, STOPWORDS, coverage, terms, weighted_terms, words

# Fitted by benchmarks/calibrate.py (see the module docstring).
WEIGHTS = {"dense": -0.67, "lexical": -0.31, "margin": 1.88, "coverage": -0.09, "weakest_word": 3.13}
BIAS = -0.64
THRESHOLD = 0.35


@dataclass(frozen=True)
class Evidence:
    dense: float
    lexical: float
    margin: float
    coverage: float
    # The question's least-matched content word: its best cosine with any word of the
    # passage. A near miss ("senior discount" on the student page) names one thing the
    # passage never mentions, in any words.
    weakest_word: float

    def features(self) -> dict[str, float]:
        return {
            "dense": self.dense,
            "lexical": self.lexical,
            "margin": self.margin,
            "coverage": self.coverage,
            "weakest_word": self.weakest_word,
        }

    def probability(self) -> float:
        z = BIAS + sum(WEIGHTS[name] * value for name, value in self.features().items())
        return 1.0 / (1.0 + math.exp(-z))


def gather(question: str, query: str, passages: list[Passage]) -> Evidence | None:
    """The evidence of the best passage; None when there is none, or it has no vectors."""
    if not passages or passages[0].dense is None:
        return None
    best = passages[0]
    return Evidence(
        dense=best.dense or 0.0,
        lexical=best.lexical or 0.0,
        margin=best.margin or 0.0,
        coverage=word_coverage(question, query, best),
        weakest_word=weakest_word(question, query, best),
    )


def weakest_word(question: str, query: str, passage: Passage) -> float:
    """See :attr:`Evidence.weakest_word`; 1.0 when the question names nothing itself (a
    follow-up's own words), 0.0 without an embedder."""
    asked = _content_words(question) or _content_words(query)
    found = _content_words(f"{passage.title} {passage.heading} {passage.text}")
    if not asked:
        return 1.0
    if not found:
        return 0.0
    vectors = _word_vectors(asked + found)
    if vectors is None:
        return 0.0
    similarity = vectors[: len(asked)] @ vectors[len(asked) :].T
    return float(similarity.max(axis=1).min())


def _content_words(text: str) -> list[str]:
    return sorted({w for w in words(text) if w not in STOPWORDS and w not in GENERIC_WORDS and len(w) > 1})


def _word_vectors(found: list[str]) -> Any:
    from knowledge.embedding import get_embedder

    embedder = get_embedder()
    if embedder is None:
        return None
    missing = [w for w in found if w not in _WORD_CACHE]
    if missing:
        try:
            for word, vector in zip(missing, embedder.embed(missing), strict=True):
                if len(_WORD_CACHE) >= WORD_CACHE_SIZE:
                    _WORD_CACHE.pop(next(iter(_WORD_CACHE)))
                _WORD_CACHE[word] = vector
        except Exception:
            return None
    import numpy as np

    return np.stack([_WORD_CACHE[w] for w in found])


# Word vectors recur question after question; a bounded cache of them (oldest out first).
WORD_CACHE_SIZE = 50_000
_WORD_CACHE: dict[str, Any] = {}


def word_coverage(question: str, query: str, passage: Passage) -> float:
    """How much of the question's content (or, for a follow-up that names nothing, of its
    expanded query) the passage's words hold, 0..1."""
    found = terms(f"{passage.title}\n{passage.heading}\n{passage.text}")
    covered = coverage(weighted_terms(question), found)
    if query and query != question:
        covered = max(covered, coverage(weighted_terms(query), found))
    return covered


def knows(question: str, query: str, passages: list[Passage]) -> bool:
    """True when the best passage answers the question (see the module docstring)."""
    evidence = gather(question, query, passages)
    if evidence is not None:
        return evidence.probability() >= THRESHOLD
    scored = [p for p in passages if p.score > 0]
    if not scored:
        return False
    return word_coverage(question, query, scored[0]) >= settings.AI_MIN_CONFIDENCE
