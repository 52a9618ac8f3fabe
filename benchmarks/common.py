"""What several benchmarks share: a fresh Django data directory, the real gateway process
(``manage.py discord_bot``) connected to the Discord simulator, and what /proc says about
a process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.discord_simulator import DiscordSimulator

ROOT = Path(__file__).resolve().parent.parent
APP_ID, TOKEN = "720000000000000001", "bench-token"


# Benchmarks measure throughput and latency: the per-member and per-channel answer limits
# would turn most of a burst into "slow down" notices, and the runs together send more than
# a Starter month's messages from the demo workspace.
NO_ANSWER_LIMITS = {
    "RATE_LIMIT_MEMBER": "off",
    "RATE_LIMIT_CHANNEL": "off",
    "PLAN_STARTER_MESSAGES": "1000000000",
}


def setup_django() -> str:
    """Point Django at a new temporary DATA_DIR, set it up and migrate; returns the directory."""
    data_dir = tempfile.mkdtemp(prefix="guildmind-bench-")
    os.environ["DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guildmind.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> dict[str, int]:
    """A process's resident set now (``VmRSS``) and at its peak so far (``VmHWM``), in KiB (Linux)."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


@dataclass
class Gateway:
    """The running gateway process and the simulated guild it serves.

    ``replied_at`` maps a member's message id to when the bot's first reply referencing it
    reached the simulator; ``replies`` counts every reply per message (more than one is a
    duplicate answer)."""

    sim: DiscordSimulator
    guild_id: str
    channels: list[str]
    members: list[str]
    process: subprocess.Popen[bytes]
    posted_at: dict[str, float] = field(default_factory=dict)
    replied_at: dict[str, float] = field(default_factory=dict)
    replies: dict[str, int] = field(default_factory=dict)

    async def post(self, text: str, *, member: int, channel: int, mention_bot: bool = False) -> str:
        """A member's message; returns its id."""
        message = await self.sim.post_message(
            self.guild_id,
            self.channels[channel % len(self.channels)],
            self.members[member % len(self.members)],
            text,
            mention_bot_of=APP_ID if mention_bot else None,
        )
        self.posted_at[message["id"]] = time.perf_counter()
        return str(message["id"])

    async def wait_for_replies(self, ids: list[str], timeout: float) -> bool:
        """Wait until every message of ``ids`` has a reply or ``timeout`` passed; True when all have."""
        deadline = time.perf_counter() + timeout
        while any(i not in self.replied_at for i in ids):
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def watch(self) -> None:
        # Poll the simulator's store (every 2 ms) rather than parking one waiter per
        # message: hundreds of waiters woken on every event would cost more than the bot.
        seen = dict.fromkeys(self.channels, 0)
        store = self.sim.state.messages_by_channel
        while True:
            for channel in self.channels:
                stored = store.get(channel, [])
                for message in stored[seen[channel] :]:
                    reference = (message.get("message_reference") or {}).get("message_id")
                    if message["author"]["id"] == APP_ID and reference:
                        self.replied_at.setdefault(reference, time.perf_counter())
                        self.replies[reference] = self.replies.get(reference, 0) + 1
                seen[channel] = len(stored)
            await asyncio.sleep(0.002)


@contextlib.asynccontextmanager
async def running_gateway(
    env: Mapping[str, str],
    *,
    channels: int,
    members: int,
    server: Mapping[str, Any] | None = None,
) -> AsyncIterator[Gateway]:
    """The simulator with one guild (``channels`` text channels, ``members`` members) and the
    real gateway process connected to it, the guild belonging to the seeded demo workspace
    with its settings updated by ``server`` (DiscordServer fields) and seen by the gateway.

    ``env`` adds to the bot's environment (the provider, PIPELINE_CONCURRENCY…).
    ``BENCH_BOT_PREFIX`` in the environment goes before ``manage.py`` (e.g.
    ``-m cProfile -o /tmp/bot.prof``). Requires Django set up."""
    from asgiref.sync import sync_to_async
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Workspace
    from devtools.discord_simulator import DiscordSimulator
    from integrations.discordbot.models import DiscordServer

    await sync_to_async(call_command)("migrate", verbosity=0)
    await sync_to_async(call_command)("seed_demo", password="bench-password-1", verbosity=0)
    sim = DiscordSimulator()
    await sim.start()
    try:
        sim.add_application(APP_ID, TOKEN)
        guild = sim.add_guild("Bench", channels=[f"c{i}" for i in range(channels)], bot_tokens=[TOKEN])
        member_ids = [sim.add_member(guild.id, f"m{i}").user.id for i in range(members)]
        gateway_env = {
            **os.environ,
            "DISCORD_APPLICATION_ID": APP_ID,
            "DISCORD_BOT_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": sim.api_base_url,
            "DISCORD_GATEWAY_URL": sim.gateway_url,
            "LOG_LEVEL": "WARNING",
            **NO_ANSWER_LIMITS,
            **env,
        }
        prefix = os.environ.get("BENCH_BOT_PREFIX", "").split()
        command = [sys.executable, *prefix, "manage.py", "discord_bot"]
        bot = subprocess.Popen(command, cwd=ROOT, env=gateway_env)  # noqa: ASYNC220 (once, before measuring)
        gateway = Gateway(
            sim=sim,
            guild_id=guild.id,
            channels=[c.id for c in guild.channels.values()],
            members=member_ids,
            process=bot,
        )
        watcher = asyncio.create_task(gateway.watch())
        try:
            await sim.wait_until_connected(APP_ID, timeout=30)
            for _ in range(300):
                if await DiscordServer.objects.filter(guild_id=guild.id).aexists():
                    break
                await asyncio.sleep(0.05)
            # As "Add to Discord" would: the server belongs to the demo workspace.
            demo = await Workspace.objects.aget(name="Guildmind Demo")
            await DiscordServer.objects.filter(guild_id=guild.id).aupdate(
                workspace=demo, updated_at=timezone.now(), **(server or {})
            )
            await asyncio.sleep(4)  # let the gateway's settings refresh see the server
            yield gateway
        finally:
            watcher.cancel()
            bot.terminate()
            bot.wait(timeout=30)
    finally:
        await sim.stop()
