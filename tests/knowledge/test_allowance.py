"""A workspace's knowledge base is held to its plan's characters and chunks in all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.actions import add_file_source, add_text_source, reindex_source
from knowledge.chunking import chunk_text
from knowledge.errors import SourceLimitError
from knowledge.ingestion import ingest_source
from knowledge.models import Chunk, KnowledgeSource
from usage.plans import knowledge_allowance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_plans(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLAN_KNOWLEDGE_CHARS = {"free": 50, "starter": 1_000, "standard": 2_000, "pro": 4_000}
    settings.PLAN_KNOWLEDGE_CHUNKS = {"free": 1, "starter": 3, "standard": 6, "pro": 12}
    yield


def _ingested(source: KnowledgeSource) -> KnowledgeSource:
    ingest_source(source.pk)
    source.refresh_from_db()
    return source


def _sections(count: int) -> str:
    """A text of ``count`` short sections: one chunk each."""
    return "\n\n".join(f"# Topic {number}\n\nAnswer {number}." for number in range(count))


def test_the_plan_decides_the_allowance() -> None:
    assert (knowledge_allowance("standard").chars, knowledge_allowance("standard").chunks) == (2_000, 6)


def test_an_unknown_plan_has_the_free_allowance() -> None:
    assert knowledge_allowance("legacy-gold") == knowledge_allowance("free")


def test_a_text_entry_past_the_plan_characters_is_refused_before_it_is_saved(workspace: Any) -> None:
    _ingested(add_text_source(workspace, title="Hours", text="a" * 900, enqueue=False))

    with pytest.raises(SourceLimitError) as refused:
        add_text_source(workspace, title="Refunds", text="b" * 200)

    assert str(refused.value) == (
        "This would bring the knowledge base to 1,100 characters of text; the Starter plan allows 1,000. "
        "Delete sources you no longer need, or move to a larger plan."
    )
    assert KnowledgeSource.objects.count() == 1


def test_a_file_past_the_plan_characters_fails_and_spares_the_others(workspace: Any) -> None:
    hours = _ingested(add_text_source(workspace, title="Hours", text="a" * 900, enqueue=False))
    upload = SimpleUploadedFile("refunds.txt", b"Refunds are paid within 30 days. " * 10)

    refunds = _ingested(add_file_source(workspace, upload=upload, enqueue=False))

    assert refunds.status == "failed"
    assert refunds.error.startswith("This would bring the knowledge base to 1,229 characters of text;")
    hours.refresh_from_db()
    assert hours.status == "ready"
    assert Chunk.objects.filter(source=hours).exists()


def test_a_source_past_the_plan_chunks_fails_with_the_reason(workspace: Any) -> None:
    source = _ingested(add_text_source(workspace, title="FAQ", text=_sections(4), enqueue=False))

    assert source.status == "failed"
    assert source.error == (
        "This would bring the knowledge base past 3 passages, the most the Starter plan allows. "
        "Delete sources you no longer need, or move to a larger plan."
    )
    assert not Chunk.objects.exists()


def test_the_chunks_of_every_source_count_together(workspace: Any) -> None:
    _ingested(add_text_source(workspace, title="FAQ", text=_sections(2), enqueue=False))

    second = _ingested(
        add_text_source(workspace, title="More", text=_sections(2) + "\n\nMore.", enqueue=False)
    )

    assert (second.status, Chunk.objects.count()) == ("failed", 2)


def test_a_larger_plan_holds_more(workspace: Any) -> None:
    workspace.plan = "standard"
    workspace.save(update_fields=["plan"])

    source = _ingested(add_text_source(workspace, title="FAQ", text=_sections(4), enqueue=False))

    assert (source.status, source.chunk_count) == ("ready", 4)


def test_reindexing_a_source_counts_its_new_text_instead_of_its_old(workspace: Any) -> None:
    source = _ingested(add_text_source(workspace, title="Hours", text="a" * 900, enqueue=False))
    reindex_source(source)

    source = _ingested(source)

    assert (source.status, source.char_count) == ("ready", 900)


def test_chunking_stops_once_it_has_more_chunks_than_allowed() -> None:
    chunks = chunk_text(_sections(10_000), max_chunks=5)

    assert len(chunks) == 6
