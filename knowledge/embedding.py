"""Dense embeddings of knowledge chunks and questions, looked up by name from settings.

``KNOWLEDGE_EMBEDDINGS`` names the embedder: ``wordllama`` (the default: WordLlama's
256-dimension model, shipped inside its wheel, loaded from the package folder with no
network and computed with numpy), ``openai`` (any OpenAI-compatible ``/embeddings``
endpoint: OpenAI, Ollama, vLLM, LM Studio) or ``none`` (BM25 only). Every vector is
unit-length float32, so a dot product is a cosine.

Each chunk stores its vector and the ``model_id`` that made it; chunks whose model id is
not the configured one are re-embedded in the background (:func:`reembed_stale`).
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

# Vectors are stored as float16: half the bytes, and no measurable loss for cosines.
STORED_DTYPE = np.float16


# A chunk as it is embedded: its document's title, its heading path and its text.
ChunkLabel = tuple[str, str, str]


class Embedder(Protocol):
    # Names the model and its dimension: a stored vector is usable when its id matches.
    model_id: str
    dimension: int
    # Whether a question is lower-cased before it is embedded (see embed_query).
    folds_questions: bool

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-length float32 row per text. May raise (the caller degrades)."""
        ...

    def embed_chunks(self, chunks: list[ChunkLabel]) -> np.ndarray:
        """One unit-length float32 row per (title, heading, text) chunk: what a chunk
        stores, compared with :meth:`embed` of a question. May raise."""
        ...


class EmbeddingUnavailableError(RuntimeError):
    """The configured embedder cannot be loaded (its package or files are missing)."""


class WordLlamaEmbedder:
    """WordLlama ``l2_supercat`` at 256 dimensions: a token-embedding table (32k by 256)
    averaged over a text's tokens, each token weighted by its vector's length (WordLlama's
    training leaves function words with short vectors; weighting by length took hit@3 on
    our dev set from 85% to 89%, paraphrased questions from 69% to 77%). Loads the weights
    and the tokenizer from the installed
    ``wordllama`` package's own folder; never downloads (the package itself is not even
    imported: its loader would fall back to a download when a file is missing)."""

    CONFIG = "l2_supercat"
    DIMENSION = 256
    # Members write names and acronyms in any case ("sftp", "Cobble", "COBBLE"), and the
    # tokenizer cuts each case into other pieces with other vectors: a question is
    # embedded lower-cased. On the hosting set that took the fact from 53% to 57% of the
    # answerable questions and the near misses declined from 71% to 74% (false
    # abstentions 13% to 11%); the bike-share set's figures did not move. Lower-casing the
    # chunks too did better on the hosting set and worse on the other (hit@3 89% to 87%).
    folds_questions = True
    # A chunk's vector is its text's plus this much of its title and heading's, each unit
    # length (see :meth:`embed_chunks`).
    HEADING_WEIGHT = 0.6

    def __init__(self, folder: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = folder or package_folder("wordllama")
        weights = folder / "weights" / f"{self.CONFIG}_{self.DIMENSION}.safetensors"
        tokenizer = folder / "tokenizers" / f"{self.CONFIG}_tokenizer_config.json"
        if not weights.is_file() or not tokenizer.is_file():
            raise EmbeddingUnavailableError(f"WordLlama's files are missing under {folder}")
        table = load_file(str(weights))["embedding.weight"]
        table = np.asarray(table, dtype=np.float32)
        # Pre-weighted rows: the weighted sum is then a plain sum of rows.
        self._table = np.ascontiguousarray(table * np.linalg.norm(table, axis=1, keepdims=True))
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._lock = threading.Lock()
        self.dimension = self._table.shape[1]
        # The heading weight is in the id: chunks stored before it are re-embedded.
        self.model_id = (
            f"wordllama/{self.CONFIG}/{self.dimension}/length-weighted/heading-{self.HEADING_WEIGHT}"
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) == 1:
            # A question: encode_batch would hand one text to a thread pool for nothing.
            encoded = [self._tokenizer.encode(texts[0], add_special_tokens=False)]
        else:
            with self._lock:  # batches are big: one at a time
                encoded = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        top = self._table.shape[0] - 1
        for row, encoding in enumerate(encoded):
            if encoding.ids:
                ids = np.minimum(np.asarray(encoding.ids, dtype=np.int64), top)
                vectors[row] = self._table[ids].sum(axis=0)
        return normalize_rows(vectors)

    def embed_chunks(self, chunks: list[ChunkLabel]) -> np.ndarray:
        """The text's vector plus ``HEADING_WEIGHT`` times the vector of its title and
        heading, both unit length, normalised.

        Embedded together as one text, a heading's few words weigh little against a long
        section and almost nothing against a list or table of names and figures ("London,
        Frankfurt, …" under "Server locations"), while a question often names just the
        topic the heading names. Weighed apart, hit@3 over the answerable questions went
        from 74% to 80% on the hosting set (paraphrased 41% to 56%) and from 88% to 89% on
        the bike-share set; with the abstention refitted, fact 55% to 53% and 71% to 72%,
        near misses declined 74% to 71% and 75% to 73% at the same false abstentions (13%
        and 11%). Weights 0.4 to 0.8 all found more than one text; 0.6 did best."""
        if not chunks:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = self.embed([text for _, _, text in chunks])
        # A document's sections share its title and often a heading: each label once.
        labels = [f"{title}\n{heading}" for title, heading, _ in chunks]
        unique = list(dict.fromkeys(labels))
        label_vectors = dict(zip(unique, self.embed(unique), strict=True))
        headings = np.stack([label_vectors[label] for label in labels])
        return normalize_rows(texts + self.HEADING_WEIGHT * headings)

    def informativeness(self, words: list[str]) -> np.ndarray:
        """How much each word says, 0 and up: the square root of its length-weighted
        vector's length before normalisation. WordLlama's training leaves filler
        ("wondering", "please") with short vectors and names of things ("senior",
        "gift", "train") with long ones."""
        weights = np.zeros(len(words), dtype=np.float32)
        top = self._table.shape[0] - 1
        for row, word in enumerate(words):
            ids = self._tokenizer.encode(word, add_special_tokens=False).ids
            if ids:
                rows = self._table[np.minimum(np.asarray(ids, dtype=np.int64), top)]
                weights[row] = float(np.linalg.norm(rows.sum(axis=0))) ** 0.5
        return weights


class OpenAIEmbedder:
    """An OpenAI-compatible ``POST {base}/embeddings`` (OpenAI, Ollama, vLLM, LM Studio)."""

    BATCH = 64
    # A transformer reads case for what it says.
    folds_questions = False

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.timeout = timeout
        self.model_id = f"openai/{model}"
        self.dimension = 0  # known after the first call

    def embed(self, texts: list[str]) -> np.ndarray:
        import httpx

        rows: list[list[float]] = []
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        with httpx.Client(timeout=self.timeout) as client:
            for start in range(0, len(texts), self.BATCH):
                response = client.post(
                    f"{self.base_url}/embeddings",
                    json={"model": self.model, "input": texts[start : start + self.BATCH]},
                    headers=headers,
                )
                response.raise_for_status()
                data = sorted(response.json()["data"], key=lambda item: item["index"])
                rows.extend(item["embedding"] for item in data)
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        self.dimension = vectors.shape[1]
        return normalize_rows(vectors)

    def embed_chunks(self, chunks: list[ChunkLabel]) -> np.ndarray:
        # A transformer reads a heading in front of its text for what it is: one text.
        return self.embed([chunk_text_for_embedding(*chunk) for chunk in chunks])


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


def package_folder(name: str) -> Path:
    """Where an installed package's files are, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailableError(f"the {name} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def warm_up() -> None:
    """Load the configured embedder and run it once, so that the first questions after a
    start do not wait for the model (about 0.3 s for WordLlama). Never raises."""
    embedder = get_embedder()
    if embedder is None:
        return
    try:
        embedder.embed(["warm up"])
    except Exception:
        logger.warning("the embedder failed its warm-up", exc_info=True)


def get_embedder() -> Embedder | None:
    """The configured embedder, loaded once per process; None when embeddings are off or
    the embedder cannot be loaded (logged once: search then runs on BM25 alone)."""
    return _embedder(settings.KNOWLEDGE_EMBEDDINGS)


@cache
def _embedder(name: str) -> Embedder | None:
    if name == "none":
        return None
    try:
        if name == "wordllama":
            return WordLlamaEmbedder()
        if name == "openai":
            return OpenAIEmbedder(
                base_url=settings.KNOWLEDGE_EMBEDDING_BASE_URL,
                api_key=settings.KNOWLEDGE_EMBEDDING_API_KEY,
                model=settings.KNOWLEDGE_EMBEDDING_MODEL,
                timeout=settings.AI_TIMEOUT_SECONDS,
            )
    except Exception:
        logger.exception("could not load the %s embedder; searching with BM25 alone", name)
        return None
    raise EmbeddingUnavailableError(f"unknown embedder {name!r}")


def reset_embedder() -> None:
    """Forget the loaded embedder (tests that change the setting call this)."""
    _embedder.cache_clear()


def current_model_id() -> str:
    """The model id chunks should carry; "" when embeddings are off."""
    embedder = get_embedder()
    return embedder.model_id if embedder is not None else ""


def embed_chunks_for_storage(chunks: list[ChunkLabel]) -> tuple[str, list[bytes | None]]:
    """(model id, one stored vector per (title, heading, text) chunk) with the configured
    embedder (``Embedder.embed_chunks``): what ingestion and re-embedding store.

    Never raises: when there is no embedder or it fails, returns ("", [None, ...]) and the
    background re-embedding fills the vectors in later."""
    embedder = get_embedder()
    if embedder is None or not chunks:
        return "", [None] * len(chunks)
    try:
        vectors = embedder.embed_chunks(chunks)
    except Exception:
        logger.exception("embedding %d chunks failed; they will be embedded later", len(chunks))
        return "", [None] * len(chunks)
    return embedder.model_id, [row.astype(STORED_DTYPE).tobytes() for row in vectors]


def embed_query(text: str) -> tuple[str, np.ndarray] | None:
    """(model id, unit vector) of a question, lower-cased first when the embedder folds
    questions; None without an embedder or on failure."""
    embedder = get_embedder()
    if embedder is None:
        return None
    try:
        return embedder.model_id, embedder.embed([text.lower() if embedder.folds_questions else text])[0]
    except Exception:
        logger.exception("embedding a question failed; searching with BM25 alone")
        return None


def chunk_text_for_embedding(title: str, heading: str, text: str) -> str:
    # The title and heading often carry the topic a question names ("Refunds").
    return f"{title}\n{heading}\n{text}"


def load_vector(stored: bytes | memoryview | None) -> np.ndarray | None:
    if stored is None:
        return None
    return np.frombuffer(bytes(stored), dtype=STORED_DTYPE).astype(np.float32)
