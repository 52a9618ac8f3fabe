"""Worker jobs of the knowledge base."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from knowledge.actions import ingest_source


@db_task()
def ingest(source_id: int) -> None:
    """Extract, chunk and index one source (see :func:`knowledge.actions.ingest_source`)."""
    ingest_source(source_id)
