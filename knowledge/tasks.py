"""Worker jobs of the knowledge base, and how a source is queued for one.

The jobs call :mod:`knowledge.ingestion`; the actions that queue a source (adding,
re-indexing) call :func:`ingest_on_commit` here. Nothing the jobs call imports this module.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from knowledge.ingestion import ingest_source, take_back_stalled
from knowledge.reembedding import reembed_stale


@db_task()
def ingest(source_id: int) -> None:
    """Extract, chunk and index one source (see :func:`knowledge.ingestion.ingest_source`)."""
    ingest_source(source_id)


def ingest_on_commit(source_id: int) -> None:
    """Enqueue the source's ingestion once the current transaction commits."""
    transaction.on_commit(lambda: ingest(source_id))


def reclaim_stalled_sources(now: datetime | None = None) -> int:
    """Take back the sources whose ingestion outlived its lease and queue them again (or
    fail them after their last attempt); see :func:`knowledge.ingestion.take_back_stalled`.
    Returns how many sources were taken back."""
    return take_back_stalled(now or timezone.now(), requeue=ingest_on_commit)


@db_periodic_task(crontab(minute="*"))
def reclaim_stalled_ingestions() -> None:
    """Queue again (or fail) the sources whose ingestion outlived its lease. Every worker
    process enqueues this each minute; each source is taken back once (see
    :func:`reclaim_stalled_sources`)."""
    reclaim_stalled_sources()


@db_periodic_task(crontab(minute="*"))
def reembed_stale_chunks() -> None:
    """Embed the chunks whose vector is missing or from another model than the configured
    one (see :func:`knowledge.reembedding.reembed_stale`), for at most 20 seconds a tick."""
    reembed_stale(budget_seconds=20.0)
