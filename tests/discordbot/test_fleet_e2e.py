"""A fleet of real ``manage.py discord_bot`` processes against the Discord simulator: every
(application, shard) is connected exactly once, so every mention is answered once; a
graceful stop hands its units over at once; a process killed with SIGKILL loses them at
its leases' TTL and the others connect them within TTL + 15 s. Shard starts take turns
per IDENTIFY bucket across the processes.

Runs on SQLite (the processes share the test database file) and on Postgres + Redis when
DATABASE_URL and REDIS_URL are set."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.models import BotApplication, DiscordServer, GatewayLease
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from tests.discordbot.conftest import APP_ID, FAQ, TOKEN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[2]
TTL = 6.0
IDENTIFY_INTERVAL = 1.5
CUSTOM = [("730000000000000001", "custom-token-1"), ("730000000000000002", "custom-token-2")]
# Guild ids on shard 0 and shard 1 of 2 ((id >> 22) % 2).
SHARD_GUILDS = [str((1000 << 22) + 7), str((1001 << 22) + 7)]


def _database_env() -> dict[str, str]:
    """Point a child process at this test's database."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_FILE": str(db["NAME"])}
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return {"DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"}


@dataclass
class Fleet:
    sim: DiscordSimulator
    env: dict[str, str]
    logs: Path
    guilds: list[tuple[str, str, str]] = field(default_factory=list)  # (guild, channel, app id)
    member_of: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    identify_times: list[float] = field(default_factory=list)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "discord_bot"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def connected_once(self) -> bool:
        """Every unit has exactly one live session: shards 0 and 1 of the shared bot and
        each custom bot."""
        shards = sorted(s or [] for s in self.sim.shards(APP_ID))
        customs = [len(self.sim.hub.live_sessions(app)) for app, _ in CUSTOM]
        return shards == [[0, 2], [1, 2]] and customs == [1] * len(CUSTOM)

    async def lease_owners(self) -> set[str]:
        return {owner async for owner in GatewayLease.objects.values_list("owner", flat=True)}

    async def spread_over(self, n: int) -> bool:
        """Every unit connected once, the leases split evenly over ``n`` processes, every
        guild recorded, and still so a second later (no move under way)."""
        for attempt in range(2):
            owners = [o async for o in GatewayLease.objects.values_list("owner", flat=True)]
            counts = Counter(owners).values()
            if not (self.connected_once() and len(counts) == n and max(counts) - min(counts) <= 1):
                return False
            if await DiscordServer.objects.acount() != len(self.guilds):
                return False
            if attempt == 0:
                await asyncio.sleep(1.0)
        return True

    async def ask_everywhere(self) -> None:
        """A mention in every guild; each gets exactly one reply."""
        posted = []
        for guild, channel, app in self.guilds:
            question = await self.sim.post_message(
                guild, channel, self.member_of[guild], "How long do refunds take?", mention_bot_of=app
            )
            posted.append((channel, app, question["id"]))
        for channel, app, question_id in posted:
            reply = await self.sim.wait_for_message(
                channel,
                author_id=app,
                predicate=_replying_to(question_id),
                timeout=20,
            )
            assert "5 business days" in reply["content"]
        await asyncio.sleep(1.5)  # a second process answering too would have by now
        for channel, app, question_id in posted:
            replies = [
                m
                for m in self.sim.messages(channel)
                if m["author"]["id"] == app
                and (m.get("message_reference") or {}).get("message_id") == question_id
            ]
            assert len(replies) == 1, f"{len(replies)} replies to one mention in {channel}"

    async def watch_identifies(self) -> None:
        seen = 0
        while True:
            events = self.sim.gateway_events
            for event in events[seen:]:
                if event.kind == "identify" and event.application_id == APP_ID:
                    self.identify_times.append(time.monotonic())
            seen = len(events)
            await asyncio.sleep(0.02)


def _replying_to(question_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: (m.get("message_reference") or {}).get("message_id") == question_id


async def until(check: Callable[[], Any], timeout: float, what: str) -> float:
    """Wait for ``check`` (sync or async) to hold; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {timeout:g} s: {what}")


@contextlib.contextmanager
def _stopped(processes: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@pytest.fixture
async def fleet(sim: DiscordSimulator, workspace: Any, tmp_path: Path) -> AsyncIterator[Fleet]:
    shared = sim.add_application(APP_ID, TOKEN, bot_name="Guildmind")
    shared.recommended_shards = 2
    source = await sync_to_async(add_text_source)(workspace, title="Help Center", text=FAQ, enqueue=False)
    await sync_to_async(ingest_source)(source.pk)
    env = {
        **os.environ,
        **_database_env(),
        "DATA_DIR": str(settings.DATA_DIR),
        "DISCORD_APPLICATION_ID": APP_ID,
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": sim.api_base_url,
        "DISCORD_GATEWAY_URL": sim.gateway_url,
        "GATEWAY_LEASE_TTL_SECONDS": str(TTL),
        "GATEWAY_LEASE_RENEW_SECONDS": "0.5",
        "GATEWAY_IDENTIFY_INTERVAL_SECONDS": str(IDENTIFY_INTERVAL),
        "SETTINGS_REFRESH_SECONDS": "0.5",
        "RATE_LIMIT_MEMBER": "off",
        "RATE_LIMIT_CHANNEL": "off",
        "LOG_LEVEL": "WARNING",
        "GATEWAY_DB_THREADS": "2",
    }
    env.pop("DISCORD_SHARD_IDS", None)
    env.pop("DISCORD_SHARD_COUNT", None)  # Discord's recommendation (2) from /gateway/bot
    fleet = Fleet(sim=sim, env=env, logs=tmp_path)
    for guild_id in SHARD_GUILDS:
        guild = sim.add_guild(f"Shared {guild_id}", bot_tokens=[TOKEN], guild_id=guild_id)
        fleet.guilds.append((guild.id, guild.channels["general"].id, APP_ID))
        fleet.member_of[guild.id] = sim.add_member(guild.id, "mia").user.id
    for app_id, token in CUSTOM:
        sim.add_application(app_id, token, bot_name=f"Custom {app_id[-1]}")
        await BotApplication.objects.acreate(application_id=app_id, workspace=workspace, bot_token=token)
        guild = sim.add_guild(f"Custom {app_id}", bot_tokens=[token])
        fleet.guilds.append((guild.id, guild.channels["general"].id, app_id))
        fleet.member_of[guild.id] = sim.add_member(guild.id, "mia").user.id
    watcher = asyncio.create_task(fleet.watch_identifies())
    with _stopped(fleet.processes):
        try:
            yield fleet
        finally:
            watcher.cancel()
            for process in fleet.processes:
                if process.poll() is None:
                    process.kill()
            _show_tracebacks(tmp_path)


def _show_tracebacks(logs: Path) -> None:
    """A failing run shows what went wrong inside the processes."""
    for log in logs.glob("*.log"):
        text = log.read_text(errors="replace")
        if "Traceback" in text:
            print(f"--- {log.name}\n{text[-4000:]}")


async def test_a_fleet_connects_everything_once_and_takes_over_a_stopped_or_killed_process(
    fleet: Fleet,
) -> None:
    first, second = fleet.start("first"), fleet.start("second")

    spread_over = fleet.spread_over
    await until(lambda: spread_over(2), 60, "every unit connected once, leased by two processes")
    await fleet.ask_everywhere()

    # The shared bot's shards identified in turns, whichever process started them (without
    # the turns, the first process starts both shards at once). The simulator sees each
    # IDENTIFY a little after its turn was taken, later still on a loaded machine: half the
    # interval is the margin.
    gaps = [b - a for a, b in zip(fleet.identify_times, fleet.identify_times[1:], strict=False)]
    assert gaps and min(gaps) >= IDENTIFY_INTERVAL * 0.5, gaps

    # A graceful stop gives its leases back at once: the other takes over before any TTL.
    second.send_signal(signal.SIGTERM)
    await asyncio.to_thread(second.wait, 30)
    took = await until(lambda: spread_over(1), TTL + 15, "the first process runs everything")
    assert took < TTL, f"a graceful stop took {took:.1f} s to hand over"
    await fleet.ask_everywhere()

    third = fleet.start("third")
    await until(lambda: spread_over(2), 60, "the new process takes its share")

    # SIGKILL: no goodbye; its leases expire after the TTL and the third process connects
    # what it ran within TTL + 15 s.
    first.send_signal(signal.SIGKILL)
    await asyncio.to_thread(first.wait, 30)
    took = await until(lambda: spread_over(1), TTL + 15, "the third process runs everything")
    assert took >= TTL * 0.5, "the leases of a killed process were taken before they expired"
    await fleet.ask_everywhere()
    assert third.poll() is None
