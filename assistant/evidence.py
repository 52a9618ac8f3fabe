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
look-alike page exists) and copied here; run it again after changing retrieval.

Passages without vectors (embeddings off, or tests' hand-made passages) fall back to word
coverage alone against ``AI_MIN_CONFIDENCE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

from assistant.providers.base import Passage
from assistant.text import coverage, terms, weighted_terms

# Fitted by benchmarks/calibrate.py (see the module docstring).
WEIGHTS = {"dense": 9.0, "lexical": 1.0, "margin": 12.0, "coverage": 3.0}
BIAS = -6.0
THRESHOLD = 0.5


@dataclass(frozen=True)
class Evidence:
    dense: float
    lexical: float
    margin: float
    coverage: float

    def features(self) -> dict[str, float]:
        return {
            "dense": self.dense,
            "lexical": self.lexical,
            "margin": self.margin,
            "coverage": self.coverage,
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
    )


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
