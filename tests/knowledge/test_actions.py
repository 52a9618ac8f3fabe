from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge import ingestion
from knowledge.actions import add_file_source, add_text_source, add_url_source, delete_source, reindex_source
from knowledge.errors import KnowledgeError
from knowledge.ingestion import GENERIC_FAILURE, ingest_source
from knowledge.models import Chunk, KnowledgeSource
from tests.knowledge.conftest import Route, Site, make_docx, make_pdf

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


def _ready(source: KnowledgeSource) -> KnowledgeSource:
    ingest_source(source.pk)
    source.refresh_from_db()
    return source


def test_adding_text_queues_its_indexing_after_commit(
    workspace: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        source = add_text_source(workspace, title="Refunds", text="Refunds within 30 days.")

    assert source.status == KnowledgeSource.Status.QUEUED
    assert len(callbacks) == 1


def test_the_queued_job_indexes_the_source(
    workspace: Any, immediate_huey: None, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        source = add_text_source(workspace, title="Refunds", text="# Policy\n\nRefunds within 30 days.")

    source.refresh_from_db()
    assert source.status == KnowledgeSource.Status.READY
    assert list(source.chunks.values_list("heading", "text")) == [("Policy", "Refunds within 30 days.")]


def test_ingesting_records_size_count_and_time(workspace: Any) -> None:
    source = _ready(add_text_source(workspace, title="FAQ", text="Q: Open on Sunday?\nA: No.", enqueue=False))

    assert (source.status, source.chunk_count, source.size_bytes) == ("ready", 1, 25)
    assert source.indexed_at is not None
    assert source.error == ""


def test_ingesting_bumps_the_knowledge_version(workspace: Any) -> None:
    before = workspace.knowledge_version

    _ready(add_text_source(workspace, title="FAQ", text="Open daily.", enqueue=False))

    workspace.refresh_from_db()
    assert workspace.knowledge_version == before + 1


def test_it_refuses_empty_text(workspace: Any) -> None:
    with pytest.raises(KnowledgeError, match="The text is empty"):
        add_text_source(workspace, title="Nothing", text="   ")


def test_it_indexes_an_uploaded_pdf(workspace: Any) -> None:
    upload = SimpleUploadedFile("policy.pdf", make_pdf(["Refunds are paid within 30 days."]))

    source = _ready(add_file_source(workspace, upload=upload, enqueue=False))

    assert source.title == "policy"
    assert source.status == KnowledgeSource.Status.READY
    assert "Refunds are paid within 30 days." in source.chunks.get().text


def test_it_indexes_an_uploaded_docx_with_its_headings(workspace: Any) -> None:
    data = make_docx([("h1", "Shipping"), ("", "We ship to the EU.")])

    source = _ready(add_file_source(workspace, upload=SimpleUploadedFile("ship.docx", data), enqueue=False))

    assert list(source.chunks.values_list("heading", "text")) == [("Shipping", "We ship to the EU.")]


@pytest.mark.parametrize("kind", ["pasted", "txt"])
def test_plain_text_keeps_its_own_titles_as_headings(workspace: Any, kind: str) -> None:
    faq = "Refunds\nRefunds are paid within 30 days.\n\nHow fast do you ship?\nWithin two days."
    if kind == "pasted":
        source = _ready(add_text_source(workspace, title="FAQ", text=faq, enqueue=False))
    else:
        upload = SimpleUploadedFile("FAQ.txt", faq.encode())
        source = _ready(add_file_source(workspace, upload=upload, enqueue=False))

    assert list(source.chunks.order_by("ordinal").values_list("heading", "text")) == [
        ("Refunds", "Refunds are paid within 30 days."),
        ("How fast do you ship?", "Within two days."),
    ]


def test_an_unreadable_pdf_fails_with_a_clear_reason_and_spares_other_sources(workspace: Any) -> None:
    good = _ready(add_text_source(workspace, title="Hours", text="Open daily.", enqueue=False))
    upload = SimpleUploadedFile("broken.pdf", b"%PDF-1.4\nnot really a pdf")

    broken = _ready(add_file_source(workspace, upload=upload, enqueue=False))

    assert broken.status == KnowledgeSource.Status.FAILED
    assert broken.error == "This PDF could not be read: it is damaged or encrypted."
    good.refresh_from_db()
    assert good.status == KnowledgeSource.Status.READY
    assert Chunk.objects.filter(source=good).count() == 1


def test_it_refuses_an_oversized_upload(workspace: Any, settings: Any) -> None:
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("huge.txt", b"a" * (1024 * 1024 + 1))

    with pytest.raises(KnowledgeError, match=r"This file is 1.0 MB; the largest upload is 1.0 MB"):
        add_file_source(workspace, upload=upload)
    assert not KnowledgeSource.objects.exists()


def test_it_refuses_unsupported_uploads(workspace: Any) -> None:
    with pytest.raises(KnowledgeError, match=r"cannot read slides.pptx"):
        add_file_source(workspace, upload=SimpleUploadedFile("slides.pptx", b"PK"))


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/", "http://10.0.0.5/", "http://[::1]/", "http://localhost/"]
)
def test_it_refuses_urls_inside_the_network_up_front(workspace: Any, url: str) -> None:
    with pytest.raises(KnowledgeError, match="private or loopback address"):
        add_url_source(workspace, url=url)
    assert not KnowledgeSource.objects.exists()


def test_it_indexes_a_web_page_and_names_the_source_after_its_title(
    workspace: Any, site: Site, allow_private: Any
) -> None:
    site.routes["/help"] = Route(b"<title>Help centre</title><h1>Refunds</h1><p>Within 30 days.</p>")

    source = _ready(add_url_source(workspace, url=site.url("/help"), enqueue=False))

    assert (source.status, source.title) == ("ready", "Help centre")
    chunk = source.chunks.get()
    assert (chunk.heading, chunk.text, chunk.url) == ("Refunds", "Within 30 days.", site.url("/help"))


def test_a_sitemap_source_heads_each_page_with_its_title(
    workspace: Any, site: Site, allow_private: Any
) -> None:
    site.routes["/sitemap.xml"] = Route(
        f"<urlset><url><loc>{site.url('/a')}</loc></url></urlset>".encode(), content_type="text/xml"
    )
    site.routes["/a"] = Route(b"<title>Returns</title><h2>Deadline</h2><p>30 days.</p>")

    source = _ready(add_url_source(workspace, url=site.url("/sitemap.xml"), sitemap=True, enqueue=False))

    assert source.kind == KnowledgeSource.Kind.SITEMAP
    assert source.chunks.get().heading == "Returns \u203a Deadline"


def test_a_crawl_failure_is_recorded_on_the_source(workspace: Any, site: Site, allow_private: Any) -> None:
    source = _ready(add_url_source(workspace, url=site.url("/missing"), enqueue=False))

    assert source.status == KnowledgeSource.Status.FAILED
    assert source.error == f"{site.url('/missing')} answered with HTTP error 404."


def test_an_unexpected_error_fails_with_a_generic_reason(
    workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = add_text_source(workspace, title="T", text="Some text.", enqueue=False)

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingestion, "chunk_text", explode)
    ingest_source(source.pk)

    source.refresh_from_db()
    assert (source.status, source.error) == ("failed", GENERIC_FAILURE)


def test_a_failed_reindex_removes_the_old_chunks(workspace: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _ready(add_text_source(workspace, title="T", text="Old text.", enqueue=False))
    reindex_source(source)

    def unreadable(source: KnowledgeSource, *args: Any) -> Any:
        raise KnowledgeError("Gone.")

    monkeypatch.setattr(ingestion, "_read_source", unreadable)

    ingest_source(source.pk)

    assert not Chunk.objects.filter(source=source).exists()


def test_ingesting_a_source_that_is_not_queued_does_nothing(workspace: Any) -> None:
    source = _ready(add_text_source(workspace, title="T", text="Text.", enqueue=False))
    version = workspace.__class__.objects.get(pk=workspace.pk).knowledge_version

    ingest_source(source.pk)

    workspace.refresh_from_db()
    assert workspace.knowledge_version == version


def test_ingesting_a_missing_source_does_not_raise(db: None) -> None:
    ingest_source(999_999)

    assert not KnowledgeSource.objects.exists()


def test_reindexing_replaces_the_chunks(workspace: Any) -> None:
    source = _ready(add_text_source(workspace, title="T", text="First version.", enqueue=False))
    KnowledgeSource.objects.filter(pk=source.pk).update(text="Second version.")
    reindex_source(source)

    _ready(source)

    assert list(source.chunks.values_list("text", flat=True)) == ["Second version."]


def test_deleting_a_source_removes_its_chunks_and_bumps_the_version(workspace: Any) -> None:
    source = _ready(add_text_source(workspace, title="T", text="Text.", enqueue=False))
    workspace.refresh_from_db()
    version = workspace.knowledge_version

    delete_source(source)

    workspace.refresh_from_db()
    assert workspace.knowledge_version == version + 1
    assert not Chunk.objects.exists()


def test_deleting_a_file_source_deletes_the_stored_file(
    workspace: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    source = add_file_source(workspace, upload=SimpleUploadedFile("a.txt", b"Hello."), enqueue=False)
    path = Path(source.file.path)
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        delete_source(source)

    assert not path.exists()


def test_a_source_requeued_during_ingestion_stays_queued(
    workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = add_text_source(workspace, title="T", text="Text.", enqueue=False)
    read_source = ingestion._read_source

    def read_then_requeue(reading: KnowledgeSource, *args: Any) -> Any:
        KnowledgeSource.objects.filter(pk=reading.pk).update(status=KnowledgeSource.Status.QUEUED)
        return read_source(reading, *args)

    monkeypatch.setattr(ingestion, "_read_source", read_then_requeue)
    ingest_source(source.pk)

    source.refresh_from_db()
    assert (source.status, source.chunk_count) == ("queued", 1)


def test_untitled_text_is_named_after_its_first_line(workspace: Any) -> None:
    source = add_text_source(workspace, title=" ", text="# Refund policy\n\nWithin 30 days.", enqueue=False)

    assert source.title == "Refund policy"
