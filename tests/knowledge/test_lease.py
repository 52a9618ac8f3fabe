"""A job's claim on a source is a lease: when its worker dies, the tick takes it back."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from knowledge import ingestion
from knowledge.actions import add_text_source, reindex_source
from knowledge.ingestion import ingest_source
from knowledge.models import KnowledgeSource
from knowledge.tasks import reclaim_stalled_ingestions, reclaim_stalled_sources

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


class WorkerKilled(BaseException):
    """What a worker that dies mid-job looks like from inside: nothing after it runs."""


def _die_while_reading(monkeypatch: pytest.MonkeyPatch, times: int = 1) -> None:
    """The next ``times`` ingestions die after their claim, while reading the source."""
    read_source = ingestion._read_source
    deaths = [times]

    def read_or_die(source: KnowledgeSource, *args: Any) -> Any:
        if deaths[0] > 0:
            deaths[0] -= 1
            raise WorkerKilled
        return read_source(source, *args)

    monkeypatch.setattr(ingestion, "_read_source", read_or_die)


def _after_the_lease(settings: Any) -> datetime:
    return timezone.now() + timedelta(seconds=settings.KNOWLEDGE_INGEST_LEASE_SECONDS + 1)


def _status(source: KnowledgeSource) -> str:
    source.refresh_from_db()
    return source.status


def test_a_job_that_dies_after_its_claim_leaves_the_source_indexing(
    workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    _die_while_reading(monkeypatch)

    with pytest.raises(WorkerKilled):
        ingest_source(source.pk)

    assert _status(source) == KnowledgeSource.Status.INDEXING


def test_after_the_tick_a_source_whose_worker_died_ends_ready(
    workspace: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    immediate_huey: None,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    _die_while_reading(monkeypatch)
    with pytest.raises(WorkerKilled):
        ingest_source(source.pk)

    with django_capture_on_commit_callbacks(execute=True):
        reclaim_stalled_sources(_after_the_lease(settings))

    assert _status(source) == KnowledgeSource.Status.READY
    assert list(source.chunks.values_list("text", flat=True)) == ["Within 30 days."]


def test_a_source_interrupted_every_time_fails_with_the_reason_after_the_last_attempt(
    workspace: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.KNOWLEDGE_INGEST_MAX_ATTEMPTS = 3
    settings.KNOWLEDGE_INGEST_LEASE_SECONDS = 300
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    _die_while_reading(monkeypatch, times=3)
    statuses = []

    for _ in range(3):
        with pytest.raises(WorkerKilled):
            ingest_source(source.pk)
        reclaim_stalled_sources(_after_the_lease(settings))
        statuses.append(_status(source))

    assert statuses == ["queued", "queued", "failed"]
    assert source.error == (
        "Indexing this source was interrupted 3 times before it finished (the worker stopped, "
        "or took longer than 5 minutes). Try again; if it keeps failing, check the worker log."
    )


def test_the_tick_leaves_a_source_within_its_lease_alone(
    workspace: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    _die_while_reading(monkeypatch)
    with pytest.raises(WorkerKilled):
        ingest_source(source.pk)

    taken_back = reclaim_stalled_sources(timezone.now() + timedelta(seconds=10))

    assert (taken_back, _status(source)) == (0, KnowledgeSource.Status.INDEXING)


def test_two_ticks_at_once_queue_a_stalled_source_once(
    workspace: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    _die_while_reading(monkeypatch)
    with pytest.raises(WorkerKilled):
        ingest_source(source.pk)
    later = _after_the_lease(settings)
    # Both ticks read the stalled source before either takes it back.
    stalled = ingestion._stalled_claims(later, settings.KNOWLEDGE_INGEST_LEASE_SECONDS)
    monkeypatch.setattr(ingestion, "_stalled_claims", lambda now, lease: stalled)

    with django_capture_on_commit_callbacks() as enqueued:
        taken = [reclaim_stalled_sources(later), reclaim_stalled_sources(later)]

    assert (taken, len(enqueued)) == ([1, 0], 1)


def test_a_job_whose_claim_was_taken_back_does_not_overwrite_the_newer_claim(
    workspace: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    read_source = ingestion._read_source
    first_read = [True]

    def read_slowly(reading: KnowledgeSource, *args: Any) -> Any:
        content = read_source(reading, *args)
        if first_read[0]:
            # This job hangs past its lease: the tick gives the source to another job,
            # which indexes the owner's corrected text before this one wakes up.
            first_read[0] = False
            KnowledgeSource.objects.filter(pk=reading.pk).update(text="Within 14 days.")
            reclaim_stalled_sources(_after_the_lease(settings))
            ingest_source(reading.pk)
        return content

    monkeypatch.setattr(ingestion, "_read_source", read_slowly)

    ingest_source(source.pk)

    assert _status(source) == KnowledgeSource.Status.READY
    assert list(source.chunks.values_list("text", flat=True)) == ["Within 14 days."]


def test_a_source_left_indexing_before_claims_were_timed_is_taken_back(workspace: Any) -> None:
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    KnowledgeSource.objects.filter(pk=source.pk).update(status="indexing", claimed_at=None)

    taken_back = reclaim_stalled_sources()

    assert (taken_back, _status(source)) == (1, KnowledgeSource.Status.QUEUED)


def test_reindexing_gives_the_source_a_fresh_set_of_attempts(workspace: Any) -> None:
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    KnowledgeSource.objects.filter(pk=source.pk).update(status="failed", attempts=3)

    reindex_source(source)

    source.refresh_from_db()
    assert (source.status, source.attempts) == ("queued", 0)


def test_the_worker_takes_stalled_sources_back_every_minute() -> None:
    for minute in (datetime(2030, 1, 6, 9, 1), datetime(2030, 1, 6, 9, 2)):
        assert reclaim_stalled_ingestions.s().name in {task.name for task in HUEY.read_periodic(minute)}


def test_the_worker_tick_takes_a_stalled_source_back(workspace: Any, settings: Any) -> None:
    source = add_text_source(workspace, title="Refunds", text="Within 30 days.", enqueue=False)
    long_ago = timezone.now() - timedelta(seconds=settings.KNOWLEDGE_INGEST_LEASE_SECONDS + 60)
    KnowledgeSource.objects.filter(pk=source.pk).update(status="indexing", claimed_at=long_ago, attempts=1)

    reclaim_stalled_ingestions.call_local()

    assert _status(source) == KnowledgeSource.Status.QUEUED
