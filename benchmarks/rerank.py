"""Fit how the passage to answer from is chosen (``assistant.evidence.answer_worth``):
``.venv/bin/python -m benchmarks.rerank``.

For every answerable question of both labelled sets it retrieves as the bot does (the
follow-up rewrite included) and reads retrieval's first ``RERANK_DEPTH`` passages: the
passage's score, the share of the question's own words it holds, and whether it holds
the kind of answer asked for. The positives are the passages that hold the labelled fact.
A softmax over each question's passages (L2-regularised, fitted by gradient descent on
the dev halves: no extra dependency) gives the weights, printed relative to the score's,
with the share of questions whose chosen passage holds the fact (of those where one of
the passages does), on dev and test, against retrieval's first passage and the constants
in ``assistant/evidence.py``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SET_NAMES = ("quality", "quality-hosting")


@dataclass
class Candidates:
    half: str
    features: np.ndarray  # one row per passage: score, coverage, kind held
    holds_fact: np.ndarray


def collect(data: Path) -> list[Candidates]:
    from accounts.playground import consult
    from assistant import evidence
    from assistant.answer_types import unsupplied
    from assistant.answering import format_reply, retrieval_query
    from assistant.providers.base import Turn
    from assistant.text import coverage, terms
    from benchmarks.quality import ANSWERABLE, _fold, build_workspace, load_questions
    from knowledge import search

    workspace = build_workspace(data)
    found = []
    for question in load_questions(data):
        if question.kind not in ANSWERABLE:
            continue
        history: list[Turn] = []
        for earlier in question.history:
            previous = consult(workspace, earlier, history)
            history += [Turn("member", earlier), Turn("assistant", format_reply(previous.answer))]
        query = retrieval_query(question.question, history)
        passages = search.search(workspace.id, query)[: evidence.RERANK_DEPTH]
        fact = _fold(question.fact)
        holds = np.array([fact in _fold(p.text) for p in passages], dtype=np.float64)
        if len(passages) < 2 or not holds.any():
            continue
        rows = [
            [
                p.score,
                coverage(
                    evidence.asked_terms(question.question, query), terms(f"{p.title}\n{p.heading}\n{p.text}")
                ),
                0.0 if unsupplied(question.question, f"{p.heading}\n{p.text}") else 1.0,
            ]
            for p in passages
        ]
        found.append(Candidates(question.half, np.array(rows), holds))
    return found


def fit(items: list[Candidates], *, l2: float = 0.01, steps: int = 3000) -> np.ndarray:
    """Softmax weights, in the features' own units."""
    scale = np.concatenate([c.features for c in items]).std(axis=0) + 1e-9
    w = np.zeros(scale.shape[0])
    for _ in range(steps):
        grad = np.zeros_like(w)
        for c in items:
            z = c.features / scale
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += z.T @ (p - c.holds_fact / c.holds_fact.sum())
        w -= 0.3 * (grad / len(items) + l2 * w)
    return w / scale


def chosen_share(items: list[Candidates], w: np.ndarray) -> float:
    return float(np.mean([c.holds_fact[int(np.argmax(c.features @ w))] for c in items]))


def main() -> int:
    from benchmarks.common import setup_django

    setup_django()
    from assistant import evidence
    from benchmarks.quality import SETS

    items = [c for name in SET_NAMES for c in collect(SETS / name)]
    dev = [c for c in items if c.half == "dev"]
    test = [c for c in items if c.half == "test"]
    w = fit(dev)
    relative = w / w[0]
    print(f"COVERAGE_WEIGHT = {relative[1]:.2f}")
    print(f"KIND_WEIGHT = {relative[2]:.2f}")
    current = np.array([1.0, evidence.COVERAGE_WEIGHT, evidence.KIND_WEIGHT])
    first = np.array([1.0, 0.0, 0.0])
    for label, chosen in (("dev", dev), ("test", test)):
        print(
            f"{label} ({len(chosen)} questions): chosen passage holds the fact: retrieval's first "
            f"{chosen_share(chosen, first):.0%}, fitted {chosen_share(chosen, w):.0%}, "
            f"assistant/evidence.py {chosen_share(chosen, current):.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
