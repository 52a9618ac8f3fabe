"""The knowledge page: adding text, files and addresses; re-index, delete and search."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from knowledge.models import KnowledgeSource
from tests.web.conftest import add_ready_source

Capture = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]

FAQ_MD = (
    b"# Shipping FAQ\n\n## Do you ship abroad?\n\nWe ship to every country in Europe within three days.\n"
)
RETURNS = "# Returns\n\nReturns are accepted within thirty days of delivery."


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def immediate_huey() -> Iterator[None]:
    """Ingestion jobs run inline, as soon as the transaction that queued them commits."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture
def csrf_client(alice: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def htmx(client: Client, url: str, data: dict[str, str] | None = None) -> Any:
    return client.post(url, data or {}, headers={"HX-Request": "true"})


# --- Adding ---------------------------------------------------------------------------------


def test_added_text_is_indexed_and_listed_with_its_status_and_chunk_count(
    alice_client: Client,
    workspace: Any,
    immediate_huey: None,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("knowledge_add_text"),
            {"title": "Opening hours", "text": "We open at nine every weekday."},
        )
    assert response.status_code == 302
    source = KnowledgeSource.objects.get(workspace=workspace)
    assert (source.title, source.status, source.chunk_count) == ("Opening hours", "ready", 1)

    page = alice_client.get(reverse("knowledge")).content.decode()
    assert "Opening hours" in page
    assert '<span class="badge status-ready">Ready</span>' in page
    assert '<td data-label="Chunks">1</td>' in page


def test_added_text_is_queued_and_the_page_says_so(alice_client: Client, workspace: Any) -> None:
    response = alice_client.post(
        reverse("knowledge_add_text"),
        {"title": "", "text": "# Parking\n\nPark behind the shop."},
        follow=True,
    )
    page = response.content.decode()
    assert "Added “Parking”. It is queued for indexing" in page
    assert '<span class="badge status-queued">Queued</span>' in page
    assert 'hx-trigger="every 3s"' in page


def test_empty_text_is_refused_with_what_to_do(alice_client: Client, workspace: Any) -> None:
    response = alice_client.post(reverse("knowledge_add_text"), {"title": "Nothing", "text": "   "})
    assert response.status_code == 200
    assert "Write the answer or FAQ you want the bot to know, then add it." in response.content.decode()
    assert not KnowledgeSource.objects.exists()


def test_an_uploaded_markdown_file_is_stored_and_indexed(
    alice_client: Client,
    workspace: Any,
    settings: Any,
    immediate_huey: None,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    upload = SimpleUploadedFile("shipping.md", FAQ_MD, content_type="text/markdown")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("knowledge_add_file"), {"file": upload, "title": ""})
    assert response.status_code == 302
    source = KnowledgeSource.objects.get(workspace=workspace)
    assert (source.kind, source.title, source.status) == ("file", "shipping", "ready")
    assert source.size_bytes == len(FAQ_MD)
    assert source.chunk_count >= 1
    assert len(stored_files(settings)) == 1


def test_a_file_over_the_upload_limit_is_refused_and_nothing_is_saved(
    alice_client: Client, workspace: Any, settings: Any
) -> None:
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("big.md", b"a" * (1024 * 1024 + 1), content_type="text/markdown")
    response = alice_client.post(reverse("knowledge_add_file"), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert "This file is 1.0 MB; the largest upload is 1.0 MB." in page
    assert not KnowledgeSource.objects.exists()
    assert stored_files(settings) == []


def test_a_file_of_an_unsupported_type_is_refused_naming_the_supported_ones(
    alice_client: Client, workspace: Any, settings: Any
) -> None:
    upload = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    page = alice_client.post(reverse("knowledge_add_file"), {"file": upload}).content.decode()
    assert "Guildmind cannot read tool.exe; upload a .txt, .md, .pdf, .docx file." in page
    assert not KnowledgeSource.objects.exists()
    assert stored_files(settings) == []


def test_a_post_without_a_file_asks_for_one(alice_client: Client, workspace: Any) -> None:
    page = alice_client.post(reverse("knowledge_add_file"), {}).content.decode()
    assert "Choose a file to upload (.txt, .md, .pdf, .docx)." in page


def test_a_loopback_address_is_refused_with_the_reason(alice_client: Client, workspace: Any) -> None:
    response = alice_client.post(
        reverse("knowledge_add_url"), {"url": "http://127.0.0.1:8000/admin/", "kind": "page"}
    )
    assert response.status_code == 200
    assert "127.0.0.1 is a private or loopback address" in response.content.decode()
    assert not KnowledgeSource.objects.exists()


def test_something_that_is_not_an_address_is_refused(alice_client: Client, workspace: Any) -> None:
    page = alice_client.post(reverse("knowledge_add_url"), {"url": "not an address", "kind": "page"})
    assert "write the full address, like https://example.com/help" in page.content.decode()
    assert not KnowledgeSource.objects.exists()


def test_a_public_sitemap_is_queued_for_crawling(alice_client: Client, workspace: Any) -> None:
    response = alice_client.post(
        reverse("knowledge_add_url"), {"url": "https://93.184.215.14/sitemap.xml", "kind": "sitemap"}
    )
    assert response.status_code == 302
    source = KnowledgeSource.objects.get(workspace=workspace)
    assert (source.kind, source.status, source.url) == (
        "sitemap",
        "queued",
        "https://93.184.215.14/sitemap.xml",
    )


# --- Re-index and delete --------------------------------------------------------------------


def test_reindex_queues_the_source_again_and_runs_the_job(
    alice_client: Client, workspace: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    source = add_ready_source(workspace, "Returns", RETURNS)
    KnowledgeSource.objects.filter(id=source.id).update(status="failed", error="old failure")
    with django_capture_on_commit_callbacks() as callbacks:
        response = alice_client.post(reverse("knowledge_reindex", args=[source.id]), follow=True)
    source.refresh_from_db()
    assert (source.status, source.error) == ("queued", "")
    assert len(callbacks) == 1  # the ingestion job, enqueued once the change commits
    assert "“Returns” is queued for indexing again" in response.content.decode()


def test_delete_removes_the_source_and_its_passages(alice_client: Client, workspace: Any) -> None:
    source = add_ready_source(workspace, "Returns", RETURNS)
    response = alice_client.post(reverse("knowledge_delete", args=[source.id]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("knowledge")
    assert "Deleted “Returns”." in response.content.decode()
    assert not KnowledgeSource.objects.filter(id=source.id).exists()
    assert (
        "thirty days" not in alice_client.get(reverse("knowledge_search"), {"q": "returns"}).content.decode()
    )


@pytest.mark.parametrize("name", ["knowledge_reindex", "knowledge_delete"])
def test_reindex_and_delete_refuse_get(alice_client: Client, workspace: Any, name: str) -> None:
    source = add_ready_source(workspace, "Returns", RETURNS)
    assert alice_client.get(reverse(name, args=[source.id])).status_code == 405
    source.refresh_from_db()
    assert source.status == "ready"


@pytest.mark.parametrize("name", ["knowledge_reindex", "knowledge_delete"])
def test_reindex_and_delete_require_a_csrf_token(csrf_client: Client, workspace: Any, name: str) -> None:
    source = add_ready_source(workspace, "Returns", RETURNS)
    assert csrf_client.post(reverse(name, args=[source.id])).status_code == 403
    source.refresh_from_db()
    assert source.status == "ready"


@pytest.mark.parametrize("name", ["knowledge_add_text", "knowledge_add_url"])
def test_adding_requires_a_csrf_token(csrf_client: Client, workspace: Any, name: str) -> None:
    data = {"text": "Some fact.", "url": "https://93.184.215.14/", "kind": "page"}
    assert csrf_client.post(reverse(name), data).status_code == 403
    assert not KnowledgeSource.objects.exists()


def test_every_form_on_the_page_carries_a_csrf_token(alice_client: Client, workspace: Any) -> None:
    add_ready_source(workspace, "Returns", RETURNS)
    page = alice_client.get(reverse("knowledge")).content.decode()
    post_forms = page.count('method="post"')
    assert post_forms == 6  # add text, file, address; re-index, delete; log out
    assert page.count('name="csrfmiddlewaretoken"') >= post_forms


def test_htmx_delete_on_the_list_swaps_in_the_refreshed_table(alice_client: Client, workspace: Any) -> None:
    keep = add_ready_source(workspace, "Opening hours", "We open at nine every weekday.")
    gone = add_ready_source(workspace, "Returns", RETURNS)
    response = htmx(alice_client, reverse("knowledge_delete", args=[gone.id]))
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="sources"')
    assert "Deleted “Returns”." in fragment
    assert keep.title in fragment
    assert "<html" not in fragment


def test_htmx_delete_from_the_source_page_sends_the_browser_to_the_list(
    alice_client: Client, workspace: Any
) -> None:
    source = add_ready_source(workspace, "Returns", RETURNS)
    response = htmx(alice_client, reverse("knowledge_delete", args=[source.id]), {"from": "source"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("knowledge")


def test_reindex_from_the_source_page_goes_back_to_it(alice_client: Client, workspace: Any) -> None:
    source = add_ready_source(workspace, "Returns", RETURNS)
    response = alice_client.post(reverse("knowledge_reindex", args=[source.id]), {"from": "source"})
    assert response["Location"] == reverse("knowledge_source", args=[source.id])


def test_the_source_page_polls_while_indexing_and_offers_reindex_and_delete(
    alice_client: Client, workspace: Any
) -> None:
    source = KnowledgeSource.objects.create(workspace=workspace, kind="text", title="Wait", status="indexing")
    page = alice_client.get(reverse("knowledge_source", args=[source.id])).content.decode()
    assert 'hx-trigger="every 3s"' in page
    assert reverse("knowledge_reindex", args=[source.id]) in page
    assert reverse("knowledge_delete", args=[source.id]) in page


def test_the_polled_table_stops_polling_once_everything_is_ready(
    alice_client: Client, workspace: Any
) -> None:
    source = KnowledgeSource.objects.create(workspace=workspace, kind="text", title="Wait", status="indexing")
    assert "every 3s" in alice_client.get(reverse("knowledge_sources")).content.decode()
    KnowledgeSource.objects.filter(id=source.id).update(status="ready")
    fragment = alice_client.get(reverse("knowledge_sources")).content.decode()
    assert "every 3s" not in fragment
    assert "status-ready" in fragment


# --- Search ---------------------------------------------------------------------------------


def test_the_search_box_shows_the_passage_the_bot_would_read(alice_client: Client, workspace: Any) -> None:
    source = add_ready_source(workspace, "Returns", RETURNS)
    add_ready_source(workspace, "Opening hours", "We open at nine every weekday.")
    fragment = alice_client.get(reverse("knowledge_search"), {"q": "How long do I have for returns?"})
    text = fragment.content.decode()
    assert "Returns are accepted within thirty days of delivery." in text
    assert reverse("knowledge_source", args=[source.id]) in text
    # Semantic search ranks every passage; the one that answers comes first.
    assert "We open at nine" not in text or text.index("Returns are accepted") < text.index("We open at nine")


def test_the_search_box_works_without_javascript(alice_client: Client, workspace: Any) -> None:
    add_ready_source(workspace, "Returns", RETURNS)
    page = alice_client.get(reverse("knowledge"), {"q": "returns"}).content.decode()
    assert "<h1>Knowledge</h1>" in page
    assert "Returns are accepted within thirty days of delivery." in page


def test_a_search_that_finds_nothing_says_what_the_bot_would_do(alice_client: Client, workspace: Any) -> None:
    add_ready_source(workspace, "Returns", RETURNS)
    text = alice_client.get(reverse("knowledge_search"), {"q": "parking"}).content.decode()
    assert "Nothing in the knowledge base matches “parking”, so the bot would say it does not know." in text


def test_an_empty_search_asks_for_a_question(alice_client: Client, workspace: Any) -> None:
    text = alice_client.get(reverse("knowledge_search"), {"q": "  "}).content.decode()
    assert "Type a question to see what the bot would retrieve for it." in text


def test_the_search_box_never_shows_another_workspaces_passages(
    bob_client: Client, workspace: Any, alice: Any
) -> None:
    add_ready_source(workspace, "Returns", RETURNS)
    text = bob_client.get(reverse("knowledge_search"), {"q": "returns"}).content.decode()
    assert "thirty days" not in text


# --- Other workspaces -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [("knowledge_source", "get"), ("knowledge_reindex", "post"), ("knowledge_delete", "post")],
)
def test_another_workspaces_source_is_not_found(
    bob_client: Client, workspace: Any, alice: Any, name: str, method: str
) -> None:
    source = add_ready_source(workspace, "Alice's secret recipe", "Two spoons of sugar.")
    response = getattr(bob_client, method)(reverse(name, args=[source.id]))
    assert response.status_code == 404
    source.refresh_from_db()
    assert (source.status, source.chunk_count) == ("ready", 1)
