from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.db.models import F

from accounts.models import Workspace
from knowledge import search as search_module
from knowledge.actions import add_text_source, delete_source
from knowledge.ingestion import ingest_source
from knowledge.models import Chunk, KnowledgeSource
from knowledge.search import asearch, invalidate, search

pytestmark = pytest.mark.django_db


def _add(workspace: Any, title: str, text: str) -> KnowledgeSource:
    source = add_text_source(workspace, title=title, text=text, enqueue=False)
    ingest_source(source.pk)
    source.refresh_from_db()
    return source


@pytest.fixture
def shop(workspace: Any) -> Any:
    _add(workspace, "Shipping", "# Delivery\n\nWe ship parcels to every country in the EU within five days.")
    _add(
        workspace, "Refund policy", "# Refunds\n\nRefunds are paid back to the original card within 30 days."
    )
    _add(
        workspace, "Opening hours", "# Hours\n\nThe shop opens at nine and closes at six, Monday to Saturday."
    )
    return workspace


def test_it_ranks_the_matching_chunk_first(shop: Any) -> None:
    [best, *_] = search(shop.pk, "How do I get a refund on my card?")

    assert best.title == "Refund policy"
    assert best.heading == "Refunds"
    assert best.text == "Refunds are paid back to the original card within 30 days."


def test_passages_carry_their_source_and_chunk(shop: Any) -> None:
    [best, *_] = search(shop.pk, "refund")

    assert best.chunk_id is not None
    chunk = Chunk.objects.get(pk=best.chunk_id)
    assert best.source_id == chunk.source_id
    assert best.score > 0


def test_it_returns_at_most_k_passages(shop: Any) -> None:
    assert len(search(shop.pk, "shop refunds ship", k=2)) == 2


def test_the_default_k_comes_from_settings(shop: Any, settings: Any) -> None:
    settings.KNOWLEDGE_TOP_K = 1

    assert len(search(shop.pk, "shop refunds ship")) == 1


def test_it_leaves_out_chunks_sharing_no_word_with_the_query(shop: Any) -> None:
    assert search(shop.pk, "quantum chromodynamics") == []


def test_a_query_of_only_stop_words_finds_nothing(shop: Any) -> None:
    assert search(shop.pk, "the and of") == []


def test_a_workspace_never_sees_another_workspaces_chunks(shop: Any, other_workspace: Any) -> None:
    bakery_source = _add(other_workspace, "Bakery refunds", "Refunds for cakes are paid in cash.")

    shop_results = search(shop.pk, "refunds cakes cash")
    bakery_results = search(other_workspace.pk, "refunds card")

    assert all(p.source_id != bakery_source.pk for p in shop_results)
    assert [p.source_id for p in bakery_results] == [bakery_source.pk]


def test_an_empty_workspace_finds_nothing(workspace: Any) -> None:
    assert search(workspace.pk, "refunds") == []


def test_a_new_source_is_found_after_it_is_indexed(
    shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert "Vouchers" not in [p.title for p in search(shop.pk, "gift vouchers")]

    with django_capture_on_commit_callbacks(execute=True):
        _add(shop, "Vouchers", "Gift vouchers never expire.")

    assert search(shop.pk, "gift vouchers")[0].title == "Vouchers"


def test_a_deleted_source_is_no_longer_found(shop: Any, django_capture_on_commit_callbacks: Any) -> None:
    refunds = KnowledgeSource.objects.get(title="Refund policy")
    assert search(shop.pk, "refund")

    with django_capture_on_commit_callbacks(execute=True):
        delete_source(refunds)

    assert search(shop.pk, "refund") == []


def test_the_index_follows_a_version_bump_made_by_another_process(
    shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    search(shop.pk, "vouchers")  # builds and caches the index
    source = KnowledgeSource.objects.create(workspace=shop, kind="text", title="Vouchers", status="ready")
    Chunk.objects.create(source=source, workspace=shop, ordinal=0, text="Gift vouchers never expire.")
    Workspace.objects.filter(pk=shop.pk).update(knowledge_version=F("knowledge_version") + 1)
    monkeypatch.setattr(search_module, "VERSION_CHECK_SECONDS", 0.0)

    assert search(shop.pk, "vouchers")[0].title == "Vouchers"


def test_hot_searches_do_not_query_the_database(shop: Any, django_assert_num_queries: Any) -> None:
    search(shop.pk, "refund")

    with django_assert_num_queries(0):
        search(shop.pk, "opening hours")


def test_a_failed_source_is_not_searched(shop: Any) -> None:
    source = KnowledgeSource.objects.get(title="Opening hours")
    KnowledgeSource.objects.filter(pk=source.pk).update(status=KnowledgeSource.Status.FAILED)
    invalidate(shop.pk)

    assert all(p.source_id != source.pk for p in search(shop.pk, "shop opens nine"))


@pytest.mark.django_db(transaction=True)
async def test_concurrent_async_searches_each_get_their_answer(shop: Any) -> None:
    refunds, hours = await asyncio.gather(asearch(shop.pk, "refund card"), asearch(shop.pk, "opening hours"))

    assert refunds[0].title == "Refund policy"
    assert hours[0].title == "Opening hours"
