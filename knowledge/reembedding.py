"""Keeping the chunks' vectors in step with the configured embedding model.

A chunk whose ``embedding_model`` is not the configured model's id (never embedded, or
embedded by a model the operator has since replaced) is re-embedded by the worker's
periodic tick, a batch at a time; searches meanwhile use the vectors the index has (a
workspace's index serves one model's vectors, and BM25 alone once no chunk has the
question's model). The knowledge page shows the progress (:func:`embedding_status`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import F

from accounts.models import Workspace
from knowledge import search
from knowledge.embedding import current_model_id, embed_chunks_for_storage
from knowledge.models import Chunk

logger = logging.getLogger(__name__)

BATCH = 256


@dataclass(frozen=True)
class EmbeddingStatus:
    model_id: str
    embedded: int
    total: int

    @property
    def pending(self) -> int:
        return self.total - self.embedded

    @property
    def enabled(self) -> bool:
        return bool(self.model_id)


def embedding_status(workspace_id: int) -> EmbeddingStatus:
    """How many of the workspace's chunks carry a vector of the configured model."""
    model_id = current_model_id()
    chunks = Chunk.objects.filter(workspace_id=workspace_id)
    total = chunks.count()
    embedded = chunks.filter(embedding_model=model_id).count() if model_id else 0
    return EmbeddingStatus(model_id=model_id, embedded=embedded, total=total)


def reembed_stale(*, budget_seconds: float = 20.0, batch: int = BATCH) -> int:
    """Embed chunks whose vector is missing or from another model, batch by batch, until
    none is left or ``budget_seconds`` have passed. Returns how many were embedded.

    Safe to run in several workers at once: a chunk written twice gets the same vector.
    Each batch's workspaces get their knowledge_version bumped, so indexes reload."""
    model_id = current_model_id()
    if not model_id:
        return 0
    done = 0
    started = time.monotonic()
    while time.monotonic() - started < budget_seconds:
        rows = list(
            Chunk.objects.exclude(embedding_model=model_id)
            .order_by("id")
            .values_list("id", "workspace_id", "source__title", "heading", "text")[:batch]
        )
        if not rows:
            break
        made_by, vectors = embed_chunks_for_storage([(t, h, x) for _, _, t, h, x in rows])
        if made_by != model_id:
            logger.warning("re-embedding stopped: the embedder failed or changed")
            break
        with transaction.atomic():
            for (chunk_id, *_), vector in zip(rows, vectors, strict=True):
                Chunk.objects.filter(pk=chunk_id).update(embedding=vector, embedding_model=model_id)
            workspaces = {workspace_id for _, workspace_id, *_ in rows}
            Workspace.objects.filter(pk__in=workspaces).update(knowledge_version=F("knowledge_version") + 1)
            for workspace_id in workspaces:
                transaction.on_commit(partial(search.invalidate, workspace_id))
        done += len(rows)
    if done:
        logger.info("re-embedded %d knowledge chunks with %s", done, model_id)
    return done
