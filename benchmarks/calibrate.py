"""Fit the abstention (``assistant/evidence.py``) on the dev half of our quality set:
``.venv/bin/python -m benchmarks.calibrate``.

For every dev question it retrieves as the bot does (the follow-up rewrite included) and
reads the best passage's evidence. Answerable questions are the positives, near misses
(whose look-alike page exists) the negatives. A logistic regression over the features
(standardised, L2-regularised, fitted by gradient descent: no extra dependency) gives the
weights; the threshold is the one that abstains most on dev near misses while abstaining on at
most 10% of the answerable dev questions. Questions the bot declines whatever the weights
(nothing retrieved, a rule of :func:`assistant.evidence.ruled_out`, an unrelated best
passage) are left out of the fit but counted in both rates, as the quality benchmark
counts them: an answerable question a rule declines spends the false-abstention budget
too. Prints the constants to copy into ``assistant/evidence.py``, and how they do on the
test half.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_FALSE_ABSTAIN = 0.10
# The sets fitted on by default (``python -m benchmarks.calibrate quality`` fits on one:
# see assistant/evidence.py for why its constants come from both).
SET_NAMES = ("quality", "quality-hosting")
FEATURES = ("unexplained", "weakest_informative", "coverage", "covered_weakest")


@dataclass
class Collected:
    features: np.ndarray
    labels: np.ndarray  # 1 for an answerable question, 0 for a near miss
    # The labels of the questions declined whatever the weights.
    declined: np.ndarray


def collect(workspace: object, half: str, data: Path) -> Collected:
    from assistant import evidence
    from assistant.answering import retrieval_query
    from assistant.providers.base import Turn
    from benchmarks.quality import load_questions
    from knowledge import search

    rows, labels, declined = [], [], []
    for question in load_questions(data):
        if question.half != half:
            continue
        answerable = question.kind != "unanswerable"
        history = [Turn("member", h) for h in question.history]
        query = retrieval_query(question.question, history)
        passages = search.search(workspace.id, query)  # type: ignore[attr-defined]
        passage = evidence.answering(question.question, query, passages)
        if passage is None or evidence.ruled_out(question.question, passage):
            declined.append(answerable)  # nothing retrieved, or a name or kind of answer it lacks
            continue
        found = evidence.gather(question.question, query, passages)
        if found is None:
            raise SystemExit("no vectors: is KNOWLEDGE_EMBEDDINGS off?")
        if found.lexical == 0 and found.dense < evidence.UNRELATED_BELOW:
            declined.append(answerable)
            continue
        rows.append([found.features()[name] for name in FEATURES])
        labels.append(answerable)
    return Collected(
        np.array(rows, dtype=np.float64), np.array(labels, dtype=np.float64), np.array(declined, dtype=bool)
    )


def fit(x: np.ndarray, y: np.ndarray, *, l2: float = 0.05, steps: int = 20_000) -> tuple[np.ndarray, float]:
    """Logistic regression weights and bias in the features' own units."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    # Near misses are fewer than answerable questions: weigh the classes equally.
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        grad = (p - y) * weight
        w -= 0.1 * (z.T @ grad / len(y) + l2 * w)
        b -= 0.1 * grad.mean()
    return w / scale, b - float((w / scale) @ mean)


def rates(p: np.ndarray, found: Collected, threshold: float) -> tuple[float, float]:
    """(abstains when not covered, abstains although covered), the questions declined
    whatever the weights included."""
    answered = p >= threshold
    y, declined = found.labels, found.declined
    near_misses = (~answered[y == 0]).sum() + (~declined).sum()
    answerable = (~answered[y == 1]).sum() + declined.sum()
    return float(near_misses / ((y == 0).sum() + (~declined).sum())), float(
        answerable / ((y == 1).sum() + declined.sum())
    )


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import setup_django

    setup_django()
    from benchmarks.quality import SETS, build_workspace

    sets = [SETS / name for name in (argv if argv is not None else sys.argv[1:]) or SET_NAMES]
    workspaces = [build_workspace(data) for data in sets]

    def both(half: str) -> Collected:
        parts = [collect(w, half, data) for w, data in zip(workspaces, sets, strict=True)]
        return Collected(
            np.concatenate([c.features for c in parts]),
            np.concatenate([c.labels for c in parts]),
            np.concatenate([c.declined for c in parts]),
        )

    dev = both("dev")
    w, b = fit(dev.features, dev.labels)
    p = 1 / (1 + np.exp(-(dev.features @ w + b)))
    # The highest abstention that keeps false abstentions within the target (10%).
    allowed = [t for t in np.arange(0.02, 0.96, 0.01) if rates(p, dev, t)[1] <= MAX_FALSE_ABSTAIN]
    best = max(allowed, key=lambda t: (rates(p, dev, t)[0], -t)) if allowed else 0.5
    abstain, false_abstain = rates(p, dev, best)
    print("WEIGHTS = {" + ", ".join(f'"{n}": {v:.2f}' for n, v in zip(FEATURES, w, strict=True)) + "}")
    print(f"BIAS = {b:.2f}")
    print(f"THRESHOLD = {best:.2f}")
    print(f"dev: abstains when not covered {abstain:.0%}, although covered {false_abstain:.0%}")
    test = both("test")
    tp = 1 / (1 + np.exp(-(test.features @ w + b)))
    abstain, false_abstain = rates(tp, test, best)
    print(f"test: abstains when not covered {abstain:.0%}, although covered {false_abstain:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
