"""Worker jobs of the knowledge base."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from knowledge.actions import ingest_source, reclaim_stalled_sources


@db_task()
def ingest(source_id: int) -> None:
    """Extract, chunk and index one source (see :func:`knowledge.actions.ingest_source`)."""
    ingest_source(source_id)


@db_periodic_task(crontab(minute="*"))
def reclaim_stalled_ingestions() -> None:
    """Queue again (or fail) the sources whose ingestion outlived its lease. Every worker
    process enqueues this each minute; each source is taken back once (see
    :func:`knowledge.actions.reclaim_stalled_sources`)."""
    reclaim_stalled_sources()
