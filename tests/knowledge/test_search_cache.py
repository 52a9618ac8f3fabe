"""The per-process index cache, without a database: builds are slow and searches are not."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from knowledge import search as search_module
from knowledge.index import IndexedChunk
from knowledge.search import search

SLOW_WORKSPACE = 1
FAST_WORKSPACE = 2


@dataclass
class FakeKnowledge:
    """Stands in for the database; builds of SLOW_WORKSPACE wait for ``release`` when ``block``."""

    versions: dict[int, int] = field(default_factory=lambda: {SLOW_WORKSPACE: 1, FAST_WORKSPACE: 1})
    texts: dict[int, str] = field(
        default_factory=lambda: {SLOW_WORKSPACE: "old refund rules", FAST_WORKSPACE: "refund rules elsewhere"}
    )
    block: bool = False
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def load_chunks(self, workspace_id: int) -> list[IndexedChunk]:
        if workspace_id == SLOW_WORKSPACE and self.block:
            self.started.set()
            self.release.wait(5)
        text = self.texts[workspace_id]
        return [
            IndexedChunk(chunk_id=workspace_id * 100, source_id=1, title="T", heading="", url="", text=text)
        ]


@pytest.fixture
def knowledge(monkeypatch: pytest.MonkeyPatch) -> FakeKnowledge:
    fake = FakeKnowledge()
    monkeypatch.setattr(search_module, "_load_chunks", fake.load_chunks)
    monkeypatch.setattr(search_module, "_database_version", lambda workspace_id: fake.versions[workspace_id])
    monkeypatch.setattr(search_module, "VERSION_CHECK_SECONDS", 0.0)
    return fake


def _search_in_background(workspace_id: int) -> threading.Thread:
    thread = threading.Thread(target=search, args=(workspace_id, "refund"), daemon=True)
    thread.start()
    return thread


def test_a_slow_build_does_not_hold_up_another_workspace(knowledge: FakeKnowledge) -> None:
    knowledge.block = True
    builder = _search_in_background(SLOW_WORKSPACE)
    assert knowledge.started.wait(5)

    [passage] = search(FAST_WORKSPACE, "refund")

    assert passage.chunk_id == FAST_WORKSPACE * 100
    assert builder.is_alive()  # the slow build is still going
    knowledge.release.set()
    builder.join(5)


def test_searches_use_the_previous_index_while_it_is_rebuilt(knowledge: FakeKnowledge) -> None:
    search(SLOW_WORKSPACE, "refund")
    knowledge.versions[SLOW_WORKSPACE] = 2
    knowledge.texts[SLOW_WORKSPACE] = "new refund rules"
    knowledge.block = True
    builder = _search_in_background(SLOW_WORKSPACE)
    assert knowledge.started.wait(5)

    [during] = search(SLOW_WORKSPACE, "refund")
    knowledge.release.set()
    builder.join(5)
    [after] = search(SLOW_WORKSPACE, "refund")

    assert during.text == "old refund rules"
    assert after.text == "new refund rules"
