"""A workspace's hybrid index over its chunks: BM25 (bm25s) fused with dense vectors.

Text is tokenized by bm25s (lower-case words of two letters or more, stop words removed:
bm25s's 33 and ours, which hold question words such as "do", "much" and "often" that
otherwise make a near miss look lexically like its page) and stemmed with the Snowball
English stemmer (PyStemmer), so "refunds" finds "refund". The chunks' stored vectors
(:mod:`knowledge.embedding`) form one float32 matrix; a question's cosine with every
chunk is one matrix-vector product.

Fusion is a weighted sum: the cosine plus ``LEXICAL_WEIGHT`` times the BM25 score divided
by the best BM25 score of that question. Raw cosines keep their meaning from question to
question (the abstention reads them); BM25 scores do not, hence their normalisation.
``LEXICAL_WEIGHT`` was chosen on the dev half of ``benchmarks/data/quality`` with
``benchmarks/calibrate.py``: BM25 helps follow-ups and exact names but, weighted much,
drags paraphrased questions back to the pages that share their words (hit@3 over the
answerable questions: BM25 alone 70%, vectors alone 89%, weight 0.05 89%, 0.2 84%,
reciprocal-rank fusion with equal weights 83%). The abstention reads BM25 separately.

An index is immutable once built; :mod:`knowledge.search` caches and swaps them.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np

from assistant.providers.base import Passage
from assistant.text import STOPWORDS as _OUR_STOPWORDS
from knowledge.embedding import embed_query

try:
    import Stemmer
except ImportError:  # pragma: no cover - PyStemmer is pinned; without it we index unstemmed
    Stemmer = None


# See the module docstring.
LEXICAL_WEIGHT = 0.05
# Below this cosine a chunk sharing no word with the question is not a result at all (the
# paraphrased questions of our dev set that reach their page at all do so above 0.15).
DENSE_FLOOR = 0.1


@dataclass(frozen=True)
class IndexedChunk:
    chunk_id: int
    source_id: int
    title: str
    heading: str
    url: str
    text: str
    # The stored vector when it was made by ``embedding_model``.
    vector: np.ndarray | None = None
    embedding_model: str = ""

    def indexed_text(self) -> str:
        # Titles and headings are often the words a question uses ("refund policy").
        return f"{self.title}\n{self.heading}\n{self.text}"


_STOPWORDS = sorted(set(bm25s.stopwords.STOPWORDS_EN) | {w for w in _OUR_STOPWORDS if "'" not in w})

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
    """bm25s tokens (stop words removed, stemmed) of each text: what ``bm25s.tokenize(texts,
    stopwords=_STOPWORDS, stemmer=..., return_ids=False)`` returns, without its per-call
    set-up (a set of the stop words per text, progress bars, a vocabulary): every search
    tokenizes its question."""
    stemmer = _stemmer()
    kept = [[token for token in _TOKEN.findall(text.lower()) if token not in _STOPWORD_SET] for text in texts]
    if stemmer is None:
        return kept
    return [stemmer.stemWords(tokens) if tokens else [] for tokens in kept]


# bm25s's own token pattern (scikit-learn's CountVectorizer's).
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOPWORD_SET = frozenset(_STOPWORDS)


class WorkspaceIndex:
    """The chunks of one workspace at one ``knowledge_version``, ready to search.

    Thread-safe: searching reads only, and building happens in the constructor.
    """

    def __init__(self, version: int, chunks: list[IndexedChunk]) -> None:
        self.version = version
        self.chunks = chunks
        self._bm25: bm25s.BM25 | None = None
        self._vocab: dict[str, int] = {}
        # The dense matrix (one row per chunk; zeros for a chunk not embedded yet) and the
        # model its rows come from; None when no chunk has a vector.
        self._matrix: np.ndarray | None = None
        self.model_id = ""
        self.embedded = 0
        # Each chunk's source as a small integer, for "the best other document".
        self._source_of = np.zeros(0, dtype=np.int64)
        self._by_source = np.zeros(0, dtype=np.int64)
        self._source_starts = np.zeros(0, dtype=np.int64)
        self._has_vector = np.zeros(len(chunks), dtype=bool)
        self.nbytes = 0
        if not chunks:
            return
        bm25 = bm25s.BM25()
        bm25.index(tokenize([chunk.indexed_text() for chunk in chunks]), show_progress=False)
        self._bm25 = bm25
        self._vocab = bm25.vocab_dict
        _, self._source_of = np.unique([c.source_id for c in chunks], return_inverse=True)
        # Chunks grouped by source, and where each source's group starts: a per-source
        # maximum is then one reduceat (np.maximum.at is far slower).
        self._by_source = np.argsort(self._source_of, kind="stable")
        self._source_starts = np.flatnonzero(np.diff(self._source_of[self._by_source], prepend=-1))
        self._build_matrix()
        self.nbytes = self._measure()

    def _build_matrix(self) -> None:
        models = Counter(c.embedding_model for c in self.chunks if c.vector is not None and c.embedding_model)
        if not models:
            return
        self.model_id, _ = models.most_common(1)[0]
        rows = [c for c in self.chunks if c.vector is not None and c.embedding_model == self.model_id]
        dimension = rows[0].vector.shape[0]  # type: ignore[union-attr]
        matrix = np.zeros((len(self.chunks), dimension), dtype=np.float32)
        for position, chunk in enumerate(self.chunks):
            if chunk.vector is not None and chunk.embedding_model == self.model_id:
                if chunk.vector.shape[0] == dimension:
                    matrix[position] = chunk.vector
                    self._has_vector[position] = True
                    self.embedded += 1
        self._matrix = matrix

    def __len__(self) -> int:
        return len(self.chunks)

    def _measure(self) -> int:
        """About how much memory the index holds (matrix, BM25 scores, chunk texts)."""
        size = 0 if self._matrix is None else self._matrix.nbytes
        if self._bm25 is not None:
            size += sum(getattr(a, "nbytes", 0) for a in self._bm25.scores.values())
        size += sum(len(c.text) + len(c.heading) + len(c.title) + 200 for c in self.chunks)
        return size

    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best chunks for ``query``, best first.

        With vectors, every chunk has a score (the fused one); without, chunks sharing no
        word with the query are left out. Each passage carries its evidence: ``dense``
        (cosine), ``lexical`` (BM25 over the question's best BM25) and ``margin`` (its
        score less the best score of a chunk of any other source: see :meth:`_rivals`).
        """
        if self._bm25 is None or k <= 0:
            return []
        lexical = self._lexical(query)
        dense = self._dense(query)
        if dense is None:
            fused = lexical
        else:
            # A chunk not embedded yet (just added, or the model changed) ranks by BM25.
            fused = np.where(self._has_vector, dense + LEXICAL_WEIGHT * lexical, lexical)
        k = min(k, len(fused))
        # argpartition finds the top k in linear time; only those k get sorted.
        top = np.argpartition(-fused, k - 1)[:k]
        top = top[np.argsort(-fused[top], kind="stable")]
        if dense is None:
            top = top[fused[top] > 0]
        else:
            # A chunk sharing no word with the question must at least be near it in meaning.
            top = top[(lexical[top] > 0) | (dense[top] >= DENSE_FLOOR)]
        rivals = self._rivals(fused, top)
        return [
            self._passage(
                int(i),
                float(fused[i]),
                dense=None if dense is None else float(dense[i]),
                lexical=float(lexical[i]),
                margin=float(fused[i] - rival),
            )
            for i, rival in zip(top, rivals, strict=True)
        ]

    def _lexical(self, query: str) -> np.ndarray:
        assert self._bm25 is not None
        token_ids = sorted({self._vocab[token] for token in tokenize([query])[0] if token in self._vocab})
        if not token_ids:
            return np.zeros(len(self.chunks), dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores_from_ids(token_ids), dtype=np.float32)
        best = float(scores.max())
        return scores / best if best > 0 else scores

    def _dense(self, query: str) -> np.ndarray | None:
        if self._matrix is None:
            return None
        embedded = embed_query(query)
        if embedded is None or embedded[0] != self.model_id:
            return None  # the model changed: BM25 alone until the chunks are re-embedded
        vector = embedded[1]
        if vector.shape[0] != self._matrix.shape[1]:
            return None
        return self._matrix @ vector

    def _rivals(self, fused: np.ndarray, top: np.ndarray) -> list[float]:
        """What each of the ``top`` chunks is ahead of: the best chunk of any other source;
        in a knowledge base of one source, its best other chunk (a question the document
        does not answer matches all its sections about equally)."""
        if len(self._source_starts) > 1:
            best_other = self._best_other_source(fused)
            return [float(best_other[self._source_of[i]]) for i in top]
        if len(fused) < 2:
            return [0.0] * len(top)
        best, runner_up = -np.partition(-fused, 1)[:2]
        return [float(runner_up if fused[i] >= best else best) for i in top]

    def _best_other_source(self, fused: np.ndarray) -> np.ndarray:
        """For each source, the best score among the chunks of all the other sources."""
        best = np.maximum.reduceat(fused[self._by_source], self._source_starts)
        order = np.argsort(-best)
        first, second = best[order[0]], best[order[1]]
        others = np.full(len(self._source_starts), first)
        others[order[0]] = second
        return others

    def _passage(
        self, position: int, score: float, *, dense: float | None, lexical: float, margin: float
    ) -> Passage:
        chunk = self.chunks[position]
        return Passage(
            text=chunk.text,
            title=chunk.title,
            score=score,
            heading=chunk.heading,
            url=chunk.url,
            source_id=chunk.source_id,
            chunk_id=chunk.chunk_id,
            dense=dense,
            lexical=lexical,
            margin=margin,
        )
