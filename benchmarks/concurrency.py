"""Concurrency: 200 simultaneous mentions through the simulator, answered by the real
gateway process (``manage.py discord_bot``) with a provider that takes 1 s.

The provider is the real OpenAI-compatible provider talking to ``devtools.fake_llm``
(1 s per completion); the knowledge base is the demo one. If nothing serializes, every
mention is answered a little over 1 s after it was posted (p95 must stay under 1.5 s).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_ID, TOKEN = "720000000000000001", "bench-token"
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
    from asgiref.sync import sync_to_async
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Workspace
    from devtools.discord_simulator import DiscordSimulator
    from devtools.fake_llm import FakeLLM
    from integrations.discordbot.models import DiscordServer

    await sync_to_async(call_command)("migrate", verbosity=0)
    await sync_to_async(call_command)("seed_demo", password="bench-password-1", verbosity=0)
    sim, llm = DiscordSimulator(), FakeLLM(latency=latency)
    await sim.start()
    await llm.start()
    sim.add_application(APP_ID, TOKEN)
    guild = sim.add_guild("Bench", channels=[f"c{i}" for i in range(10)], bot_tokens=[TOKEN])
    members = [sim.add_member(guild.id, f"m{i}") for i in range(mentions + 1)]
    channels = [c.id for c in guild.channels.values()]
    env = {
        **os.environ,
        "DISCORD_APPLICATION_ID": APP_ID,
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": sim.api_base_url,
        "DISCORD_GATEWAY_URL": sim.gateway_url,
        "AI_PROVIDER": "openai" if provider == "openai" else "devtools.slow_provider.SlowProvider",
        "SLOW_PROVIDER_SECONDS": str(latency),
        "AI_BASE_URL": llm.base_url,
        "AI_API_KEY": "fake-key",
        "LOG_LEVEL": "WARNING",
    }
    prefix = os.environ.get("BENCH_BOT_PREFIX", "").split()  # e.g. "-m cProfile -o /tmp/bot.prof"
    command = [sys.executable, *prefix, "manage.py", "discord_bot"]
    bot = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: ASYNC220 (once, before measuring)
    try:
        await sim.wait_until_connected(APP_ID, timeout=30)
        for _ in range(300):
            if await DiscordServer.objects.filter(guild_id=guild.id).aexists():
                break
            await asyncio.sleep(0.05)
        # As "Add to Discord" would: the server belongs to the demo workspace.
        demo = await Workspace.objects.aget(name="Guildmind Demo")
        await DiscordServer.objects.filter(guild_id=guild.id).aupdate(
            workspace=demo, updated_at=timezone.now()
        )
        await asyncio.sleep(4)  # let the gateway's settings refresh see the server

        posted_at: dict[str, float] = {}
        answered_at: dict[str, float] = {}

        async def watch() -> None:
            # Poll the simulator's store (every 2 ms) rather than parking one waiter per
            # message: 200 waiters woken on every event would cost more than the bot.
            seen = dict.fromkeys(channels, 0)
            while True:
                for channel in channels:
                    stored = sim.state.messages_by_channel.get(channel, [])
                    for message in stored[seen[channel] :]:
                        reference = (message.get("message_reference") or {}).get("message_id")
                        if message["author"]["id"] == APP_ID and reference:
                            answered_at.setdefault(reference, time.perf_counter())
                    seen[channel] = len(stored)
                await asyncio.sleep(0.002)

        async def post(i: int) -> str:
            channel = channels[i % len(channels)]
            message = await sim.post_message(
                guild.id, channel, members[i].user.id, QUESTIONS[i % len(QUESTIONS)], mention_bot_of=APP_ID
            )
            posted_at[message["id"]] = time.perf_counter()
            return str(message["id"])

        watcher = asyncio.create_task(watch())
        warm = await post(0)  # warm-up: the first search loads the index, the first call opens a pool
        while warm not in answered_at:  # noqa: ASYNC110 (the watcher polls the store)
            await asyncio.sleep(0.01)
        cpu_before, sim_cpu_before = _cpu_seconds(bot.pid), time.process_time()
        started = time.perf_counter()
        ids = [await post(i) for i in range(1, mentions + 1)]
        deadline = time.perf_counter() + 30
        while any(i not in answered_at for i in ids) and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        watcher.cancel()
        bot_cpu = _cpu_seconds(bot.pid) - cpu_before
        sim_cpu = time.process_time() - sim_cpu_before
        latencies = sorted(answered_at[i] - posted_at[i] for i in ids if i in answered_at)
        wall = time.perf_counter() - started
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        await llm.stop()
        await sim.stop()
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
