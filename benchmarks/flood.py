"""Flood: 2,000 messages across 50 channels from 500 members, posted as fast as the simulator
takes them, answered by the real gateway process (``manage.py discord_bot``) with a
provider that takes 0.5 s per answer.

The concurrency is 128 slots: one gateway process spends 3-4 ms of CPU per answered
message (2026-12-04 on that session's 2-core machine; 9-11 ms on the previous session's
slower one): recording and quota in one transaction, retrieval, the local answer,
parsing, the reply. It so tops out near 270-290 messages/s there whatever the slots, and
it is that CPU ceiling, not the pipeline, that binds. The full run also reports the
ceiling (``ceiling()``); more throughput comes from more gateway processes (shards).

The server is in all-messages mode with smart mode off, so every message goes down the
answer path (record, retrieve, answer, reply, record the reply). The gateway works on
``PIPELINE_CONCURRENCY`` messages at once (read from the environment like the bot does,
and passed to it explicitly), so no gateway can do better than concurrency / 0.5 s
messages per second; the flood must reach 80% of that with every message answered (one
reply referencing it in the simulator). Answer rate limits are off, as in
every gateway benchmark. Also reported: the gateway's peak resident memory
(``VmHWM``) against its resident memory just before the flood.

Run alone: ``.venv/bin/python -m benchmarks.flood [messages] [concurrency]``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from benchmarks.common import cpu_seconds, memory_kib, running_gateway
from benchmarks.concurrency import QUESTIONS

MESSAGES, CHANNELS, MEMBERS, LATENCY, CONCURRENCY = 2000, 50, 500, 0.5, 128
REQUIRED_SHARE = 0.8


async def run(
    messages: int = MESSAGES,
    *,
    concurrency: int | None = None,
    latency: float = LATENCY,
    channels: int = CHANNELS,
    members: int = MEMBERS,
) -> dict[str, float]:
    """Requires Django set up on a migrated DATA_DIR; ``concurrency`` is passed to the bot
    as ``PIPELINE_CONCURRENCY``."""
    slots = concurrency or CONCURRENCY
    env = {
        "AI_PROVIDER": "devtools.slow_provider.SlowProvider",
        "SLOW_PROVIDER_SECONDS": str(latency),
        "PIPELINE_CONCURRENCY": str(slots),
    }
    every_message = {"response_mode": "all", "smart_mode": False, "channel_ids": []}
    async with running_gateway(env, channels=channels, members=members, server=every_message) as gateway:
        pid = gateway.process.pid
        # Warm-up: the first search loads the index; one message per channel.
        warm = [await gateway.post(QUESTIONS[0], member=i, channel=i) for i in range(channels)]
        if not await gateway.wait_for_replies(warm, timeout=60):
            raise RuntimeError("the gateway did not answer the warm-up messages")
        memory_before = memory_kib(pid)
        cpu_before, sim_cpu_before = cpu_seconds(pid), time.process_time()
        started = time.perf_counter()
        ids = [
            await gateway.post(_question(i), member=i % members, channel=i % channels)
            for i in range(messages)
        ]
        posted = time.perf_counter() - started
        await gateway.wait_for_replies(ids, timeout=max(60.0, 5 * messages * latency / slots))
        answered = [gateway.replied_at[i] for i in ids if i in gateway.replied_at]
        wall = (max(answered) if answered else time.perf_counter()) - started
        bot_cpu = cpu_seconds(pid) - cpu_before
        sim_cpu = time.process_time() - sim_cpu_before
        memory_peak = memory_kib(pid)
        await asyncio.sleep(1)  # replies recorded, tasks gone: what the flood left behind
        memory_after = memory_kib(pid)
        latencies = sorted(
            gateway.replied_at[i] - gateway.posted_at[i] for i in ids if i in gateway.replied_at
        )
        duplicates = sum(gateway.replies.get(i, 0) > 1 for i in ids)
    bound = slots / latency
    throughput = len(answered) / wall
    return {
        "messages": float(messages),
        "answered": float(len(answered)),
        "duplicates": float(duplicates),
        "concurrency": float(slots),
        "latency": latency,
        "post_s": posted,
        "wall_s": wall,
        "throughput": throughput,
        "bound": bound,
        "share": throughput / bound,
        "p50_s": statistics.median(latencies) if latencies else float("nan"),
        "max_s": latencies[-1] if latencies else float("nan"),
        "bot_cpu_s": bot_cpu,
        "simulator_cpu_s": sim_cpu,
        "rss_before_mib": memory_before["VmRSS"] / 1024,
        "hwm_before_mib": memory_before["VmHWM"] / 1024,
        "hwm_mib": memory_peak["VmHWM"] / 1024,
        "rss_after_mib": memory_after["VmRSS"] / 1024,
    }


def _question(i: int) -> str:
    # Numbered so no two messages are the same text.
    return f"{QUESTIONS[i % len(QUESTIONS)]} ({i})"


def passed(result: dict[str, float]) -> bool:
    """Every message answered exactly once, at 80% of concurrency / latency or more."""
    complete = result["answered"] == result["messages"] and not result["duplicates"]
    return complete and result["share"] >= REQUIRED_SHARE


def print_result(result: dict[str, float]) -> None:
    print(
        f"[{'ok' if passed(result) else 'FAIL'}] flood of {result['messages']:.0f} messages in "
        f"{CHANNELS} channels, {result['latency']:.1f} s provider, all answered: "
        f"{result['answered']:.0f} answered ({result['duplicates']:.0f} twice) in {result['wall_s']:.1f} s = "
        f"{result['throughput']:.0f}/s, {result['share']:.0%} of {result['concurrency']:.0f} slots / "
        f"{result['latency']:.1f} s = {result['bound']:.0f}/s (limit {REQUIRED_SHARE:.0%}); "
        f"gateway CPU {result['bot_cpu_s']:.1f} s, memory {result['rss_before_mib']:.0f} MiB before, "
        f"peak {result['hwm_mib']:.0f} MiB, {result['rss_after_mib']:.0f} MiB after"
    )


async def ceiling(slots: int) -> dict[str, float]:
    """The same flood with ``slots`` slots: what one process sustains when CPU binds."""
    return await run(concurrency=slots)


def print_ceiling(result: dict[str, float]) -> None:
    per_message_ms = result["bot_cpu_s"] / result["answered"] * 1000 if result["answered"] else float("nan")
    print(
        f"[info] flood at {result['concurrency']:.0f} slots (bound {result['bound']:.0f}/s): "
        f"{result['throughput']:.0f}/s, {result['answered']:.0f} answered; "
        f"{per_message_ms:.1f} ms of gateway CPU per message"
    )


if __name__ == "__main__":
    from benchmarks.common import setup_django

    numbers = [int(arg) for arg in sys.argv[1:3]]
    setup_django()
    outcome = asyncio.run(run(*numbers[:1], concurrency=numbers[1] if len(numbers) > 1 else None))
    print_result(outcome)
    sys.exit(0 if passed(outcome) else 1)
