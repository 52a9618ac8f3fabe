"""A workspace's BM25 index over its chunks, built in memory with bm25s.

Text is tokenized by bm25s (lower-case words of two letters or more, English stop words
removed) and stemmed with the Snowball English stemmer (PyStemmer), so "refunds" finds
"refund". An index is immutable once built; :mod:`knowledge.search` caches and swaps them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np

from assistant.providers.base import Passage

try:
    import Stemmer
except ImportError:  # pragma: no cover - PyStemmer is pinned; without it we index unstemmed
    Stemmer = None


@dataclass(frozen=True)
class IndexedChunk:
    chunk_id: int
    source_id: int
    title: str
    heading: str
    url: str
    text: str

    def indexed_text(self) -> str:
        # Titles and headings are often the words a question uses ("refund policy").
        return f"{self.title}\n{self.heading}\n{self.text}"


# PyStemmer's stemmer objects keep a cache and are not safe to share between threads.
_thread_local = threading.local()


def _stemmer() -> Any:
    if Stemmer is None:
        return None
    stemmer = getattr(_thread_local, "stemmer", None)
    if stemmer is None:
        stemmer = Stemmer.Stemmer("english")
        _thread_local.stemmer = stemmer
    return stemmer


def tokenize(texts: list[str]) -> list[list[str]]:
    """bm25s tokens (stop words removed, stemmed) of each text."""
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(doc) for doc in tokens]


class WorkspaceIndex:
    """The chunks of one workspace at one ``knowledge_version``, ready to search.

    Thread-safe: searching reads only, and building happens in the constructor.
    """

    def __init__(self, version: int, chunks: list[IndexedChunk]) -> None:
        self.version = version
        self.chunks = chunks
        self._bm25: bm25s.BM25 | None = None
        self._vocab: dict[str, int] = {}
        if not chunks:
            return
        bm25 = bm25s.BM25()
        bm25.index(tokenize([chunk.indexed_text() for chunk in chunks]), show_progress=False)
        self._bm25 = bm25
        self._vocab = bm25.vocab_dict

    def __len__(self) -> int:
        return len(self.chunks)

    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best chunks for ``query``, best first; chunks sharing no word are left out."""
        if self._bm25 is None or k <= 0:
            return []
        token_ids = sorted({self._vocab[token] for token in tokenize([query])[0] if token in self._vocab})
        if not token_ids:
            return []
        scores = self._bm25.get_scores_from_ids(token_ids)
        k = min(k, len(scores))
        # argpartition finds the top k in linear time; only those k get sorted.
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [self._passage(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def _passage(self, position: int, score: float) -> Passage:
        chunk = self.chunks[position]
        return Passage(
            text=chunk.text,
            title=chunk.title,
            score=score,
            heading=chunk.heading,
            url=chunk.url,
            source_id=chunk.source_id,
            chunk_id=chunk.chunk_id,
        )
