"""Runs every benchmark in one go: ``.venv/bin/python -m benchmarks``.

Each prints its figure next to the limit it is held to; README.md quotes the last run.
"""

from __future__ import annotations

import asyncio
import os
import sys

from benchmarks.common import setup_django


def main() -> int:
    setup_django()
    from django.conf import settings

    from benchmarks import (
        ask_latency,
        concurrency,
        fleet_memory,
        flood,
        hot_path,
        interactions,
        moderation,
        quality,
        retrieval,
    )

    failures = 0
    hot = hot_path.main()
    ok = hot["ratio"] <= 0.5 and hot["queries"] == 0
    failures += not ok
    print(
        f"[{'ok' if ok else 'FAIL'}] gateway hot path: discord.py parses a MESSAGE_CREATE in "
        f"{hot['parse_us']:.1f} µs; our handler adds {hot['ours_us']:.2f} µs = {hot['ratio']:.3f}x "
        f"(limit 0.5x), {hot['queries']:.0f} database queries (limit 0)"
    )
    moderated = asyncio.run(moderation.run())
    failures += not moderation.passed(moderated)
    moderation.print_result(moderated)
    judged = quality.run()
    failures += not quality.passed(judged)
    verdict = "ok" if quality.passed(judged) else "FAIL"
    print(f"[{verdict}] answer quality on our labelled set (benchmarks/data/quality):")
    quality.print_table(judged, settings.AI_PROVIDER)
    found = retrieval.main()
    ok = found["p95_ms"] < 10 and found["embedded"] == 20_000
    failures += not ok
    print(
        f"[{'ok' if ok else 'FAIL'}] hybrid retrieval on 20,000 chunks ({found['embedded']:.0f} embedded), "
        f"the question's embedding included: p50 {found['p50_ms']:.2f} ms, p95 {found['p95_ms']:.2f} ms "
        f"(limit 10 ms), max {found['max_ms']:.2f} ms; index built in {found['build_s']:.1f} s, "
        f"{found['index_mb']:.0f} MB"
    )
    ok = found["embed_per_s"] >= 500
    failures += not ok
    print(
        f"[{'ok' if ok else 'FAIL'}] ingestion embeds {found['embed_per_s']:.0f} chunks/s on one core "
        "(limit 500/s)"
    )
    burst = asyncio.run(concurrency.run())
    ok = burst["answered"] == 200 and burst["p95"] < 1.5
    failures += not ok
    print(
        f"[{'ok' if ok else 'FAIL'}] 200 simultaneous mentions, 1 s provider, through the simulator: "
        f"{burst['answered']:.0f} answered, p50 {burst['p50']:.2f} s, p95 {burst['p95']:.2f} s "
        f"(limit 1.5 s), max {burst['max']:.2f} s; gateway CPU {burst['bot_cpu']:.2f} s"
    )
    flooded = asyncio.run(flood.run())
    failures += not flood.passed(flooded)
    flood.print_result(flooded)
    flood.print_ceiling(asyncio.run(flood.ceiling(settings.PIPELINE_CONCURRENCY)))
    fleet = [fleet_memory.run(1000), fleet_memory.run(5000, bounded=False)]
    failures += not fleet_memory.passed(fleet)
    fleet_memory.print_result(fleet)
    endpoint = asyncio.run(interactions.run())
    failures += not interactions.passed(endpoint)
    interactions.print_result(endpoint, "as deployed")
    for queue, redis_url, limit in (
        ("SQLite", "", 250.0),
        ("Redis", os.environ.get("BENCH_REDIS_URL", ""), 100.0),
    ):
        if queue == "Redis" and not redis_url:
            print("[skip] /ask through Redis: set BENCH_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
            continue
        asked = asyncio.run(ask_latency.run(redis_url=redis_url))
        ok = asked["provider_to_edit_p50_ms"] < limit
        failures += not ok
        print(
            f"[{'ok' if ok else 'FAIL'}] /ask with the {queue} queue: provider returns -> edited response at "
            f"the simulator p50 {asked['provider_to_edit_p50_ms']:.1f} ms, p95 "
            f"{asked['provider_to_edit_p95_ms']:.1f} ms (limit p50 {limit:.0f} ms); acknowledgement -> edit "
            f"p50 {asked['ack_to_edit_p50_ms']:.0f} ms including the provider's 200 ms"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
