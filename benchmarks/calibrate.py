"""Fit the abstention (``assistant/evidence.py``) on the dev half of our quality set:
``.venv/bin/python -m benchmarks.calibrate``.

For every dev question it retrieves as the bot does (the follow-up rewrite included) and
reads the best passage's evidence. Answerable questions are the positives, near misses
(whose look-alike page exists) the negatives. A logistic regression over the features
(standardised, L2-regularised, fitted by gradient descent: no extra dependency) gives the
weights; the threshold is the one that abstains most on dev near misses while abstaining on at
most 10% of the answerable dev questions. Prints the
constants to copy into ``assistant/evidence.py``, and how they do on the test half.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

MAX_FALSE_ABSTAIN = 0.10
# The sets fitted on by default (``python -m benchmarks.calibrate quality quality-hosting``
# fits on both: see assistant/evidence.py for why its constants come from this one).
SET_NAMES = ("quality",)
FEATURES = ("unexplained", "weakest_informative")


def collect(workspace: object, half: str, data: Path) -> tuple[np.ndarray, np.ndarray]:
    from assistant import evidence
    from assistant.answering import retrieval_query
    from assistant.providers.base import Turn
    from benchmarks.quality import load_questions
    from knowledge import search

    rows, labels = [], []
    for question in load_questions(data):
        if question.half != half:
            continue
        history = [Turn("member", h) for h in question.history]
        query = retrieval_query(question.question, history)
        passages = search.search(workspace.id, query)  # type: ignore[attr-defined]
        if not passages:
            continue  # nothing retrieved: the bot says it doesn't know whatever the weights
        passage = evidence.answering(question.question, query, passages)
        if passage is not None and evidence.ruled_out(question.question, passage):
            continue  # declined whatever the weights (a name or kind of answer it lacks)
        found = evidence.gather(question.question, query, passages)
        if found is None:
            raise SystemExit("no vectors: is KNOWLEDGE_EMBEDDINGS off?")
        rows.append([found.features()[name] for name in FEATURES])
        labels.append(question.kind != "unanswerable")
    return np.array(rows, dtype=np.float64), np.array(labels, dtype=np.float64)


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


def rates(p: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float]:
    """(abstains when not covered, abstains although covered)."""
    answered = p >= threshold
    return float((~answered[y == 0]).mean()), float((~answered[y == 1]).mean())


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import setup_django

    setup_django()
    from benchmarks.quality import SETS, build_workspace

    sets = [SETS / name for name in (argv if argv is not None else sys.argv[1:]) or SET_NAMES]
    workspaces = [build_workspace(data) for data in sets]

    def both(half: str) -> tuple[np.ndarray, np.ndarray]:
        parts = [collect(w, half, data) for w, data in zip(workspaces, sets, strict=True)]
        return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])

    x, y = both("dev")
    w, b = fit(x, y)
    p = 1 / (1 + np.exp(-(x @ w + b)))
    # The highest abstention that keeps false abstentions within the target (10%).
    allowed = [t for t in np.arange(0.02, 0.96, 0.01) if rates(p, y, t)[1] <= MAX_FALSE_ABSTAIN]
    best = max(allowed, key=lambda t: (rates(p, y, t)[0], -t)) if allowed else 0.5
    abstain, false_abstain = rates(p, y, best)
    print("WEIGHTS = {" + ", ".join(f'"{n}": {v:.2f}' for n, v in zip(FEATURES, w, strict=True)) + "}")
    print(f"BIAS = {b:.2f}")
    print(f"THRESHOLD = {best:.2f}")
    print(f"dev: abstains when not covered {abstain:.0%}, although covered {false_abstain:.0%}")
    tx, ty = both("test")
    tp = 1 / (1 + np.exp(-(tx @ w + b)))
    abstain, false_abstain = rates(tp, ty, best)
    print(f"test: abstains when not covered {abstain:.0%}, although covered {false_abstain:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
