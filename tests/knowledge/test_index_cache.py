"""The index cache across workspaces is held to a memory bound."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Workspace
from knowledge import search
from knowledge.models import Chunk, KnowledgeSource

pytestmark = pytest.mark.django_db


def _workspace(name: str) -> Workspace:
    workspace = Workspace.objects.create(name=name)
    source = KnowledgeSource.objects.create(workspace=workspace, kind="text", title=name, status="ready")
    Chunk.objects.create(source=source, workspace=workspace, ordinal=0, text="refunds " * 2000)
    return workspace


def test_the_least_recently_searched_index_is_dropped_past_the_bound(settings: Any) -> None:
    settings.KNOWLEDGE_INDEX_CACHE_MB = 1
    search._cache.clear()
    old, newer, newest = (_workspace(n) for n in ("old", "newer", "newest"))
    for workspace in (old, newer):
        search.search(workspace.pk, "refunds")
    one = search._cache[old.pk].index.nbytes
    search.search(old.pk, "refunds")  # old is now the most recently searched
    # Make room for two indexes only.
    settings.KNOWLEDGE_INDEX_CACHE_MB = 2 * one / (1024 * 1024) + 0.001
    search.search(newest.pk, "refunds")

    assert set(search._cache) == {old.pk, newest.pk}
    search._cache.clear()


def test_warming_builds_an_index_ahead_of_the_first_question_while_there_is_room(settings: Any) -> None:
    search._cache.clear()
    first, second = _workspace("first"), _workspace("second")
    search.warm_index(first.pk)
    assert set(search._cache) == {first.pk}
    # Once the cache is nearly full, warming never evicts an index members are using.
    settings.KNOWLEDGE_INDEX_CACHE_MB = search.cached_bytes() / (1024 * 1024)
    search.warm_index(second.pk)

    assert set(search._cache) == {first.pk}
    search._cache.clear()
