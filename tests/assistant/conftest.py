"""Fixtures for the AI layer: the local engine by default, a fake knowledge search,
respx routers for the provider APIs and a fake key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import respx

from assistant.providers.base import Passage
from assistant.providers.registry import reset_providers
from tests.assistant.support import KNOWLEDGE, rank


@pytest.fixture(autouse=True)
def _local_ai_by_default(settings: Any) -> Iterator[None]:
    """Whatever the environment says, tests start on the local engine."""
    settings.AI_PROVIDER = "local"
    reset_providers()
    yield
    reset_providers()


@pytest.fixture
def openai_api() -> Iterator[respx.MockRouter]:
    with respx.mock(using="httpx2", base_url="https://api.openai.com/v1") as router:
        yield router


@pytest.fixture
def anthropic_api() -> Iterator[respx.MockRouter]:
    with respx.mock(using="httpx2", base_url="https://api.anthropic.com") as router:
        yield router


@pytest.fixture
def fake_key(settings: Any) -> Iterator[None]:
    """Real provider settings with a key no real server would accept."""
    settings.AI_API_KEY = "sk-test-not-a-real-key"
    settings.AI_BASE_URL = ""
    settings.AI_MODEL = ""
    reset_providers()
    yield
    reset_providers()


@pytest.fixture
def searched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace knowledge search with ``rank`` over KNOWLEDGE; the list records the queries."""
    from knowledge import search

    queries: list[str] = []

    async def fake_asearch(workspace_id: int, query: str, k: int | None = None) -> list[Passage]:
        queries.append(query)
        return rank(query)[: k or 4]

    monkeypatch.setattr(search, "asearch", fake_asearch)
    return queries


@pytest.fixture
def whole_knowledge(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every search returns KNOWLEDGE as is, so passage numbers are [1] refunds, [2]
    passwords, [3] shipping whatever the question."""
    from knowledge import search

    async def fake_asearch(workspace_id: int, query: str, k: int | None = None) -> list[Passage]:
        return list(KNOWLEDGE)

    monkeypatch.setattr(search, "asearch", fake_asearch)
