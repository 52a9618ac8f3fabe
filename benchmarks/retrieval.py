"""Retrieval: search latency on a 20,000-chunk knowledge base (p95 must stay under 10 ms)."""

from __future__ import annotations

import random
import statistics
import time

WORDS = (
    "refund invoice billing plan upgrade downgrade account password login token server channel "
    "role permission moderation spam warning kick ban timeout mention webhook endpoint gateway "
    "shipping delivery warehouse order tracking return exchange discount coupon subscription "
    "trial cancel renew payment card paypal receipt tax region language support ticket agent "
    "escalation email notification schedule topic frequency daily weekly knowledge source sitemap "
    "upload document pdf docx markdown crawl index search answer question follow context"
).split()


def main(chunks: int = 20_000, queries: int = 2_000, seed: int = 7) -> dict[str, float]:
    from accounts.models import Workspace
    from knowledge.models import Chunk, KnowledgeSource
    from knowledge.search import search

    rng = random.Random(seed)
    workspace = Workspace.objects.create(name="Retrieval bench")
    source = KnowledgeSource.objects.create(
        workspace=workspace, kind="text", title="Bench", status=KnowledgeSource.Status.READY
    )
    Chunk.objects.bulk_create(
        (
            Chunk(
                source=source,
                workspace=workspace,
                ordinal=i,
                heading=f"Section {i // 20}",
                text=" ".join(rng.choice(WORDS) for _ in range(120)),
            )
            for i in range(chunks)
        ),
        batch_size=2000,
    )
    Workspace.objects.filter(pk=workspace.pk).update(knowledge_version=1)
    started = time.perf_counter()
    search(workspace.pk, "warm up the index")
    build = time.perf_counter() - started
    timings = []
    for _ in range(queries):
        question = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
        started = time.perf_counter()
        search(workspace.pk, question)
        timings.append(time.perf_counter() - started)
    timings.sort()
    return {
        "build_s": build,
        "p50_ms": statistics.median(timings) * 1000,
        "p95_ms": timings[int(0.95 * len(timings)) - 1] * 1000,
        "max_ms": timings[-1] * 1000,
    }
