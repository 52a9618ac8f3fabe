"""A fleet of real ``manage.py discord_bot`` processes against the Discord simulator: every
(application, shard) is connected exactly once, so every mention is answered once; a
graceful stop hands its units over at once; a process killed with SIGKILL loses them at
its leases' TTL and the others connect them within TTL + 15 s. Shard starts take turns
per IDENTIFY bucket across the processes.

Runs on SQLite (the processes share the test database file) and on Postgres + Redis when
DATABASE_URL and REDIS_URL are set. The whole fleet (three gateways, two workers and two
web replicas; four shards and six custom bots over 40 guilds) needs both, and also checks
that no second's REST traffic of a token passes Discord's global limit, that a session and
the sign-in limits are shared by the web replicas, and that two workers post a proactive
message once per slot."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, connections

from accounts.models import Membership
from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.models import BotApplication, DiscordServer, GatewayLease
from integrations.discordbot.ratelimit import GLOBAL_PER_SECOND
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from proactive.models import ProactivePost
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
    shard_count: int = 2
    customs: list[str] = field(default_factory=lambda: [app for app, _ in CUSTOM])

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        """A child process: ``manage.py discord_bot`` unless ``command`` says otherwise."""
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            list(command) or [sys.executable, "manage.py", "discord_bot"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def connected_once(self) -> bool:
        """Every unit has exactly one live session: each shard of the shared bot and each
        custom bot."""
        shards = sorted(s or [] for s in self.sim.shards(APP_ID))
        customs = [len(self.sim.hub.live_sessions(app)) for app in self.customs]
        wanted = [[n, self.shard_count] for n in range(self.shard_count)]
        return shards == wanted and customs == [1] * len(self.customs)

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

    async def ask_everywhere(self, rounds: int = 1, timeout: float = 20) -> None:
        """``rounds`` mentions in every guild; each gets exactly one reply."""
        posted = []
        for _ in range(rounds):
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
                timeout=timeout,
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
            await _close_thread_connections()


async def _close_thread_connections() -> None:
    """Close the connection the test's own async queries opened in asgiref's thread, so the
    test database can be dropped at the end of the run."""
    await sync_to_async(connections.close_all)()


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


# --- the whole fleet: gateways, workers and web replicas on Postgres + Redis -------------------

needs_postgres_and_redis = pytest.mark.skipif(
    not (settings.DATABASE_URL and settings.REDIS_URL),
    reason=(
        "the fleet of gateway, worker and web processes needs PostgreSQL and Redis "
        "(set DATABASE_URL and REDIS_URL, as .ci/run does); SQLite and Huey on SQLite are one machine's"
    ),
)
BIG_SHARDS = 4
BIG_CUSTOM = [(f"7400000000000000{n:02d}", f"fleet-custom-token-{n}") for n in range(6)]
BIG_SHARED_GUILDS = 34  # + one guild per custom bot: 40
PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BigFleet:
    fleet: Fleet
    webs: list[str]  # base URLs
    proactive_guild: tuple[int, str]  # (server pk, channel id)

    def gateways(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.fleet.processes if p.args[-1] == "discord_bot"]  # type: ignore[index]


@pytest.fixture
async def big_fleet(
    sim: DiscordSimulator, workspace: Any, tmp_path: Path, settings: Any
) -> AsyncIterator[BigFleet]:
    shared = sim.add_application(APP_ID, TOKEN, bot_name="Guildmind")
    shared.recommended_shards = BIG_SHARDS
    source = await sync_to_async(add_text_source)(workspace, title="Help Center", text=FAQ, enqueue=False)
    await sync_to_async(ingest_source)(source.pk)
    # The web processes check passwords with Django's default hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = await sync_to_async(User.objects.create_user)("alice", "alice@example.org", PASSWORD)
    await Membership.objects.acreate(user=user, workspace=workspace, role=Membership.Role.OWNER)
    env = {
        **os.environ,
        **_database_env(),
        "REDIS_URL": settings.REDIS_URL,
        # Its own queue and keys in the shared Redis: no other test's worker takes its jobs.
        "HUEY_NAME": f"fleet-{uuid.uuid4().hex[:8]}",
        "DATA_DIR": str(settings.DATA_DIR),
        "DISCORD_APPLICATION_ID": APP_ID,
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": sim.api_base_url,
        "DISCORD_GATEWAY_URL": sim.gateway_url,
        "GATEWAY_LEASE_TTL_SECONDS": str(TTL),
        "GATEWAY_LEASE_RENEW_SECONDS": "0.5",
        "GATEWAY_IDENTIFY_INTERVAL_SECONDS": "0.3",
        "SETTINGS_REFRESH_SECONDS": "0.5",
        "RATE_LIMIT_MEMBER": "off",
        "RATE_LIMIT_CHANNEL": "off",
        "LOGIN_LIMIT_PER_ACCOUNT": "2/15 minutes",
        "LOG_LEVEL": "WARNING",
        "WORKER_THREADS": "2",
    }
    for name in ("DISCORD_SHARD_IDS", "DISCORD_SHARD_COUNT", "HUEY_IMMEDIATE"):
        env.pop(name, None)
    fleet = Fleet(sim=sim, env=env, logs=tmp_path, shard_count=BIG_SHARDS, customs=[a for a, _ in BIG_CUSTOM])
    app = await BotApplication.objects.acreate(application_id=APP_ID, is_shared=True, bot_token=TOKEN)
    for n in range(BIG_SHARED_GUILDS):
        guild = sim.add_guild(f"Shared {n}", bot_tokens=[TOKEN], guild_id=str(((1000 + n) << 22) + 7))
        fleet.guilds.append((guild.id, guild.channels["general"].id, APP_ID))
        fleet.member_of[guild.id] = sim.add_member(guild.id, "mia").user.id
    # The first guild posts on its own: due at once, as a schedule seen for the first time.
    first_guild, first_channel, _ = fleet.guilds[0]
    proactive = await DiscordServer.objects.acreate(
        guild_id=first_guild,
        workspace=workspace,
        application=app,
        name="Shared 0",
        proactive_enabled=True,
        proactive_channel="general",
        proactive_topic="Refunds",
        proactive_frequency="2h",
    )
    for app_id, token in BIG_CUSTOM:
        sim.add_application(app_id, token, bot_name=f"Custom {app_id[-2:]}")
        await BotApplication.objects.acreate(application_id=app_id, workspace=workspace, bot_token=token)
        guild = sim.add_guild(f"Custom {app_id}", bot_tokens=[token])
        fleet.guilds.append((guild.id, guild.channels["general"].id, app_id))
        fleet.member_of[guild.id] = sim.add_member(guild.id, "mia").user.id
    webs = []
    with _stopped(fleet.processes):
        try:
            for n in range(2):
                port = _free_port()
                web = [sys.executable, "-m", "uvicorn", "guildmind.asgi:application", "--port", str(port)]
                fleet.start(f"web{n}", *web, "--host", "127.0.0.1", "--lifespan", "off")
                webs.append(f"http://127.0.0.1:{port}")
            for n in range(2):
                fleet.start(f"worker{n}", sys.executable, "manage.py", "run_huey")
            for n in range(3):
                fleet.start(f"gateway{n}")
            yield BigFleet(fleet, webs, (proactive.pk, first_channel))
        finally:
            for process in fleet.processes:
                if process.poll() is None:
                    process.kill()
            _show_tracebacks(tmp_path)
            await _close_thread_connections()


def _signed_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """Submit the login form (with its CSRF token) through ``client``."""
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    return client.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{client.base_url}/login/"},
    )


def _check_web_replicas(webs: list[str]) -> None:
    """Both replicas answer their health check; a session signed in on one is signed in on
    the other; failed sign-ins are counted in one window across both."""
    for base in webs:
        assert httpx.get(f"{base}/health/", timeout=10).json() == {"ok": True}
    first, second = (httpx.Client(base_url=base, timeout=30) for base in webs)
    with first, second:
        signed_in = _signed_in(first, "alice", PASSWORD)
        assert signed_in.status_code == 302, signed_in.text[-500:]
        second.cookies.set("sessionid", first.cookies["sessionid"])
        assert httpx.get(f"{webs[1]}/", timeout=30).status_code == 302  # signed out: to the login
        home = second.get("/")
        assert home.status_code == 200, f"the other replica lost the session ({home.status_code})"
        # LOGIN_LIMIT_PER_ACCOUNT is 2 in 15 minutes: one failure on each replica uses it up.
        for client in (first, second):
            client.cookies.clear()
            assert "didn&#x27;t match" in _signed_in(client, "nobody", "wrong").text
        assert "Too many attempts" in _signed_in(first, "nobody", "wrong").text


async def _posted_once(big: BigFleet) -> None:
    """Both workers ran the periodic tick on start, for the same slot: one post went out."""
    server_pk, channel = big.proactive_guild

    @sync_to_async
    def posts() -> list[ProactivePost]:
        return list(ProactivePost.objects.filter(server_id=server_pk))

    async def posted() -> bool:
        return any(p.status == ProactivePost.Status.POSTED for p in await posts())

    await until(posted, 45, "a proactive post from the workers")
    await asyncio.sleep(1.0)
    done = await posts()
    assert len(done) == 1, [(p.status, p.error) for p in done]
    unprompted = [
        m
        for m in big.fleet.sim.messages(channel)
        if m["author"]["id"] == APP_ID and not m.get("message_reference")
    ]
    assert len(unprompted) == 1


def _within_global_limit(sim: DiscordSimulator) -> None:
    for app in [APP_ID, *(a for a, _ in BIG_CUSTOM)]:
        busiest = sim.recorder.busiest_second(app)
        if busiest > GLOBAL_PER_SECOND:
            per_second = Counter(int(c.at) for c in sim.recorder.calls if c.bot_id == app)
            second = max(per_second, key=lambda s: per_second[s])
            calls = Counter(
                f"{c.method} {c.path}" for c in sim.recorder.calls if c.bot_id == app and int(c.at) == second
            )
            raise AssertionError(f"{app} sent {busiest} REST requests in one second: {calls.most_common(5)}")


@needs_postgres_and_redis
@pytest.mark.timeout(240)
async def test_a_fleet_of_gateways_workers_and_web_replicas_runs_everything_once(big_fleet: BigFleet) -> None:
    fleet = big_fleet.fleet
    started = time.monotonic()
    await until(lambda: fleet.spread_over(3), 90, "10 units connected once, spread over 3 gateways")
    connected = time.monotonic() - started
    await asyncio.to_thread(_check_web_replicas, big_fleet.webs)

    await fleet.ask_everywhere(rounds=10, timeout=60)  # 400 mentions, each answered once
    answered = time.monotonic() - started
    _within_global_limit(fleet.sim)
    await _posted_once(big_fleet)

    # SIGKILL: the others connect its shards and bots within TTL + 15 s.
    killed, graceful, survivor = big_fleet.gateways()
    killed.send_signal(signal.SIGKILL)
    await asyncio.to_thread(killed.wait, 30)
    took = await until(lambda: fleet.spread_over(2), TTL + 15, "the killed gateway's units taken over")
    assert took >= TTL * 0.5, "the leases of a killed process were taken before they expired"
    await fleet.ask_everywhere()

    # A graceful stop hands over at once.
    graceful.send_signal(signal.SIGTERM)
    await asyncio.to_thread(graceful.wait, 30)
    handed = await until(lambda: fleet.spread_over(1), TTL + 15, "the last gateway runs everything")
    assert handed < TTL, f"a graceful stop took {handed:.1f} s to hand over"
    await fleet.ask_everywhere()
    assert survivor.poll() is None
    _within_global_limit(fleet.sim)
    print(
        f"fleet: connected in {connected:.1f} s, 400 mentions answered by {answered:.1f} s, "
        f"SIGKILL taken over in {took:.1f} s, graceful stop in {handed:.1f} s, "
        f"busiest second of the shared token {fleet.sim.recorder.busiest_second(APP_ID)} requests"
    )
