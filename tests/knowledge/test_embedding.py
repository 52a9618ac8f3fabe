"""The offline embedding model, and what hybrid retrieval does with its vectors."""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from assistant.providers.base import Passage
from knowledge import embedding
from knowledge.index import IndexedChunk, WorkspaceIndex


def test_the_default_model_loads_from_its_package_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("the embedding loader tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    embedder = embedding.WordLlamaEmbedder()
    vectors = embedder.embed(["How far does an e-bike go?", "A charged e-bike goes about 60 km."])

    assert attempts == []
    assert vectors.shape == (2, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_model_is_found_in_the_installed_package_folder() -> None:
    folder = embedding.package_folder("wordllama")

    assert (folder / "weights" / "l2_supercat_256.safetensors").is_file()


def test_related_texts_are_closer_than_unrelated_ones() -> None:
    embedder = embedding.WordLlamaEmbedder()
    question, related, unrelated = embedder.embed(
        ["my card was declined", "If a payment fails, update your card.", "The shop opens at nine."]
    )

    assert question @ related > question @ unrelated


def test_a_list_under_its_heading_is_near_a_question_naming_the_heading_s_topic() -> None:
    # Embedded as one text, the cities outweigh the heading that says what they are.
    embedder = embedding.WordLlamaEmbedder()
    chunk = (
        "Server locations",
        "Server locations",
        "- London, United Kingdom\n- Frankfurt, Germany\n- Singapore",
    )
    (question,) = embedder.embed(["Which server locations do you have?"])
    (as_one_text,) = embedder.embed([embedding.chunk_text_for_embedding(*chunk)])
    (stored,) = embedder.embed_chunks([chunk])

    assert np.linalg.norm(stored) == pytest.approx(1.0, abs=1e-5)
    assert question @ stored > question @ as_one_text + 0.1


def test_a_question_s_case_does_not_change_its_vector() -> None:
    typed = embedding.embed_query("What is the SFTP port for Cobble?")
    shouted = embedding.embed_query("WHAT IS THE SFTP PORT FOR COBBLE?")

    assert typed is not None and shouted is not None
    assert typed[0] == shouted[0] == embedding.current_model_id()
    assert np.allclose(typed[1], shouted[1])


def test_a_missing_model_file_is_refused_not_downloaded(tmp_path: Any) -> None:
    with pytest.raises(embedding.EmbeddingUnavailableError):
        embedding.WordLlamaEmbedder(folder=tmp_path)


def _chunk(chunk_id: int, source_id: int, title: str, text: str) -> IndexedChunk:
    model_id, (stored,) = embedding.embed_chunks_for_storage([(title, "", text)])
    return IndexedChunk(
        chunk_id=chunk_id,
        source_id=source_id,
        title=title,
        heading="",
        url="",
        text=text,
        vector=embedding.load_vector(stored),
        embedding_model=model_id,
    )


def _index() -> WorkspaceIndex:
    return WorkspaceIndex(
        1,
        [
            _chunk(1, 1, "Weather suspensions", "The service stops when wind gusts are above 70 km/h."),
            _chunk(2, 2, "Lost property", "Items found on bikes are kept for 30 days at the depot."),
            _chunk(3, 3, "Pricing", "Every ride costs an unlock fee of one euro plus a price per minute."),
        ],
    )


def test_fusion_finds_a_page_that_shares_no_word_with_the_question() -> None:
    found = _index().search("it's really stormy, can I still go out?", 3)

    assert found[0].title == "Weather suspensions"


def test_fusion_keeps_exact_words_on_top() -> None:
    found = _index().search("unlock fee", 3)

    assert found[0].title == "Pricing"
    assert found[0].lexical == 1.0


def test_each_passage_carries_its_evidence() -> None:
    best, *others = _index().search("how long do you keep lost items", 3)

    assert best.title == "Lost property"
    assert best.dense is not None and all(best.dense > (p.dense or 0) for p in others)
    assert best.margin is not None and best.margin > 0
    assert all((p.margin or 0) < 0 for p in others)


def test_in_a_knowledge_base_of_one_document_the_margin_is_over_its_other_sections() -> None:
    # One source, three sections: a question one section answers stands out from the
    # others; one the document does not answer matches them all about equally.
    one = WorkspaceIndex(1, [replace(c, source_id=7) for c in _index().chunks])
    answered = one.search("how long do you keep lost items", 3)
    unrelated = one.search("do you sell gift cards", 3)

    assert answered[0].title == "Lost property"
    # Ahead of its document's other sections, not of nothing (which would be its score).
    assert 0 < (answered[0].margin or 0) < answered[0].score
    assert all((p.margin or 0) < 0 for p in answered[1:])
    assert not unrelated or (unrelated[0].margin or 0) < (answered[0].margin or 0)


def test_chunks_not_embedded_yet_are_still_found_by_their_words() -> None:
    bare = IndexedChunk(
        chunk_id=9, source_id=9, title="Vouchers", heading="", url="", text="Gift vouchers never expire."
    )
    index = WorkspaceIndex(1, [*_index().chunks, bare])

    assert index.search("gift vouchers", 3)[0].title == "Vouchers"


def test_a_passage_without_evidence_is_a_plain_passage() -> None:
    assert Passage(text="x", title="t", score=1.0).dense is None


@pytest.mark.django_db
def test_chunks_of_another_model_are_re_embedded_in_the_background() -> None:
    from accounts.models import Workspace
    from knowledge.models import Chunk, KnowledgeSource
    from knowledge.reembedding import embedding_status, reembed_stale

    workspace = Workspace.objects.create(name="Shop")
    source = KnowledgeSource.objects.create(workspace=workspace, kind="text", title="Hours", status="ready")
    Chunk.objects.create(
        source=source, workspace=workspace, ordinal=0, text="We open at nine.", embedding_model="old"
    )
    assert embedding_status(workspace.pk).pending == 1

    assert reembed_stale(budget_seconds=5) == 1

    status = embedding_status(workspace.pk)
    assert (status.pending, status.embedded, status.model_id) == (0, 1, embedding.current_model_id())
    assert Chunk.objects.get().embedding is not None
