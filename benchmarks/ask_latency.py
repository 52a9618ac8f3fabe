"""/ask through the queue: from the AI provider returning to the edited response reaching
the simulator, with the embedded SQLite queue and with Redis.

Real processes: the web endpoint (uvicorn) acknowledges each signed /ask and enqueues it;
the worker (``run_huey``) answers with the real OpenAI provider against
``devtools.fake_llm`` and edits the response through discord.py's REST client. One /ask
at a time, so each edit pairs with the provider response that preceded it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import NO_ANSWER_LIMITS

ROOT = Path(__file__).resolve().parent.parent
APP_ID, TOKEN = "730000000000000001", "ask-bench-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run(*, redis_url: str = "", asks: int = 40, llm_latency: float = 0.2) -> dict[str, float]:
    """Requires Django set up on a DATA_DIR already migrated and seeded (the demo)."""
    from asgiref.sync import sync_to_async

    from accounts.models import Workspace
    from devtools.discord_simulator import DiscordSimulator
    from devtools.fake_llm import FakeLLM
    from integrations.discordbot.models import BotApplication, DiscordServer

    sim, llm = DiscordSimulator(), FakeLLM(latency=llm_latency)
    await sim.start()
    await llm.start()
    registered = sim.add_application(APP_ID, TOKEN)
    guild = sim.add_guild("Ask bench", bot_tokens=[TOKEN])
    member = sim.add_member(guild.id, "asker")
    channel = guild.channels["general"].id
    app, _ = await BotApplication.objects.aupdate_or_create(
        application_id=APP_ID, defaults={"bot_token": TOKEN, "public_key": registered.public_key}
    )
    demo = await Workspace.objects.aget(name="Guildmind Demo")
    await DiscordServer.objects.aupdate_or_create(
        guild_id=guild.id, defaults={"workspace": demo, "application": app, "name": guild.name}
    )
    port = _free_port()
    env = {
        **os.environ,
        "DISCORD_API_BASE_URL": sim.api_base_url,
        "DISCORD_GATEWAY_URL": sim.gateway_url,
        "AI_PROVIDER": "openai",
        "AI_BASE_URL": llm.base_url,
        "AI_API_KEY": "fake-key",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": redis_url,
        "HUEY_NAME": f"ask-bench-{os.getpid()}",
        **NO_ANSWER_LIMITS,
    }
    serve = [sys.executable, "-m", "uvicorn", "guildmind.asgi:application", "--port", str(port)]
    web = subprocess.Popen([*serve, "--log-level", "warning"], cwd=ROOT, env=env)  # noqa: ASYNC220
    work = [sys.executable, "manage.py", "run_huey", "--quiet"]
    worker = subprocess.Popen(work, cwd=ROOT, env=env)  # noqa: ASYNC220 (once, before measuring)
    endpoint = f"http://127.0.0.1:{port}/discord/webhook/"
    after_provider: list[float] = []
    after_ack: list[float] = []
    try:
        await _wait_for_web(endpoint)
        for i in range(asks + 1):
            interaction = sim.build_interaction(
                APP_ID,
                guild.id,
                channel,
                member.user.id,
                "ask",
                {"question": "How often can proactive messages post?"},
            )
            status, _ = await sim.deliver_interaction(endpoint, interaction)
            acknowledged = time.perf_counter()
            assert status == 200, status
            await sim.wait_for_message(channel, author_id=APP_ID, timeout=30)
            edited = time.perf_counter()
            if i:  # the first one warms up the worker's Discord client and provider pool
                after_provider.append(edited - llm.last_response_at)
                after_ack.append(edited - acknowledged)
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            process.wait(timeout=30)
        await llm.stop()
        await sim.stop()
    await sync_to_async(_forget_queue)(redis_url, env["HUEY_NAME"])
    return {
        "provider_to_edit_p50_ms": statistics.median(after_provider) * 1000,
        "provider_to_edit_p95_ms": sorted(after_provider)[int(0.95 * len(after_provider)) - 1] * 1000,
        "ack_to_edit_p50_ms": statistics.median(after_ack) * 1000,
        "asks": float(len(after_provider)),
    }


async def _wait_for_web(endpoint: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(endpoint.replace("/discord/webhook/", "/health/")) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the web process did not start")


def _forget_queue(redis_url: str, name: str) -> None:
    if redis_url:
        import redis

        client: Any = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"huey.*{name}*"):
            client.delete(key)
