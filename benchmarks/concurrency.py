"""Concurrency: 200 simultaneous mentions through the simulator, answered by the real
gateway process (``manage.py discord_bot``) with a provider that takes 1 s.

The provider is ``devtools.slow_provider`` (the local provider, 1 s per answer) or, with
``provider="openai"``, the real OpenAI provider talking to ``devtools.fake_llm`` (1 s per
completion); the knowledge base is the demo one. If nothing serializes, every
mention is answered a little over 1 s after it was posted (p95 must stay under 1.5 s).
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import cpu_seconds, running_gateway

QUESTIONS = [
    "Which plans include Discord and how many messages do they have?",
    "How often can proactive messages be posted?",
    "What moderation actions can the bot take?",
    "Which file types can I add to the knowledge base?",
]


async def run(mentions: int = 200, latency: float = 1.0, provider: str = "slow") -> dict[str, float]:
    """``provider`` "slow": the local provider delayed by ``latency`` in the gateway process;
    "openai": the real OpenAI provider (SDK and HTTP) against a fake server that takes
    ``latency`` to answer."""
    from devtools.fake_llm import FakeLLM

    llm = FakeLLM(latency=latency)
    await llm.start()
    env = {
        "AI_PROVIDER": "openai" if provider == "openai" else "devtools.slow_provider.SlowProvider",
        "SLOW_PROVIDER_SECONDS": str(latency),
        "AI_BASE_URL": llm.base_url,
        "AI_API_KEY": "fake-key",
    }
    try:
        async with running_gateway(env, channels=10, members=mentions + 1) as gateway:
            # Warm-up: the first search loads the index, the first call opens a pool.
            warm = await gateway.post(QUESTIONS[0], member=0, channel=0, mention_bot=True)
            await gateway.wait_for_replies([warm], timeout=30)
            cpu_before, sim_cpu_before = cpu_seconds(gateway.process.pid), time.process_time()
            started = time.perf_counter()
            ids = [
                await gateway.post(QUESTIONS[i % len(QUESTIONS)], member=i, channel=i, mention_bot=True)
                for i in range(1, mentions + 1)
            ]
            await gateway.wait_for_replies(ids, timeout=30)
            bot_cpu = cpu_seconds(gateway.process.pid) - cpu_before
            sim_cpu = time.process_time() - sim_cpu_before
            answered, posted = gateway.replied_at, gateway.posted_at
            latencies = sorted(answered[i] - posted[i] for i in ids if i in answered)
            wall = time.perf_counter() - started
    finally:
        await llm.stop()
    return {
        "answered": float(len(latencies)),
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * len(latencies)) - 1],
        "max": latencies[-1],
        "wall": wall,
        "provider_calls": float(llm.requests),
        "bot_cpu": bot_cpu,
        "simulator_cpu": sim_cpu,
    }
