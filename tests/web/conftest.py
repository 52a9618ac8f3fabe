"""Dashboard test helpers: signed-in clients and a clean search cache."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _fresh_search_cache() -> Iterator[None]:
    # Test databases reuse ids after rollback, so a cached index could belong to a
    # workspace of an earlier test.
    from knowledge import search

    search._cache.clear()
    yield
    search._cache.clear()


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob: Any) -> Client:
    client = Client()
    client.force_login(bob)
    return client


def add_ready_source(workspace: Any, title: str, text: str) -> Any:
    """A text source indexed synchronously, as the worker would."""
    from knowledge.actions import add_text_source
    from knowledge.ingestion import ingest_source
    from knowledge.models import KnowledgeSource

    source = add_text_source(workspace, title=title, text=text, enqueue=False)
    ingest_source(source.id)
    return KnowledgeSource.objects.get(id=source.id)
