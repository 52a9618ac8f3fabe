"""Our tokenizer gives exactly bm25s's tokens (the index was built and tuned with them)."""

from __future__ import annotations

from pathlib import Path

import bm25s

from knowledge import index

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def _bm25s_tokens(texts: list[str]) -> list[list[str]]:
    tokens = bm25s.tokenize(
        texts, stopwords=index._STOPWORDS, stemmer=index._stemmer(), return_ids=False, show_progress=False
    )
    return [list(doc) for doc in tokens]


def test_it_tokenizes_the_labelled_sets_as_bm25s_does() -> None:
    texts = [line for path in sorted(DATA.rglob("*.json*")) for line in path.read_text().splitlines()]
    texts += ["", "a", "Don't I?", "Ünïcödé wörds café 123 x1 __init__", "HOW LONG do refunds take?? (12)"]
    assert len(texts) > 1000
    assert index.tokenize(texts) == _bm25s_tokens(texts)


def test_a_question_alone_is_tokenized_as_in_a_batch() -> None:
    question = "How often are refunds paid for the yearly plans?"
    assert index.tokenize([question]) == _bm25s_tokens([question])
    assert index.tokenize([question])[0] == ["often", "refund", "paid", "year", "plan"]
