"""The gateway process runs one discord.py connection per unit it holds a lease on: each
shard of the shared bot (from settings) and each workspace's custom bot. Several processes
form a fleet (``leases.py``): every unit is connected by exactly one of them, spread evenly,
taken over when a process dies (at its leases' TTL) or stops (at once). The supervisor
starts a connection within seconds of a custom bot being saved, restarts it when its token
changes, and stops it when the bot is removed, all without restarting the process.

A token Discord refuses is not retried until it changes (retrying a bad token only earns
a rate limit); the error is kept for the dashboard's diagnostics. ``run_gateway`` is the
whole gateway process (``manage.py discord_bot``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import discord
from django.conf import settings
from django.db import connections

from guildmind.db import async_db
from integrations.discordbot import leases
from integrations.discordbot.actions import ensure_shared_application, record_heartbeat
from integrations.discordbot.endpoints import configure_from_settings, current_discord_endpoints
from integrations.discordbot.gateway import GuildmindBot
from integrations.discordbot.identify import IdentifyGate, session_start_limits
from integrations.discordbot.leases import Unit, new_owner_id
from integrations.discordbot.models import BotApplication
from integrations.discordbot.ratelimit import RestLimits
from integrations.discordbot.sandbox import sandbox_running
from integrations.discordbot.servers import ServerDirectory, Shards
from pipeline.messages import Pipeline
from pipeline.servers import Directory

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# A stopping connection's websockets close within this long (else its lease goes anyway).
DISCONNECT_SECONDS = 5.0

# Every this many sync rounds, the bots re-check what they can do in each guild (role
# assignments to the bot arrive without an event the bot's intents receive).
FACTS_EVERY_ROUNDS = 20


@dataclass(frozen=True)
class BotSpec:
    """What the supervisor needs to run one application's bot."""

    pk: int
    application_id: str
    token: str
    is_shared: bool

    @property
    def fingerprint(self) -> str:
        # Compared to notice a new token without keeping two copies of it around.
        return hashlib.sha256(f"{self.application_id}:{self.token}".encode()).hexdigest()


@dataclass
class Connection:
    spec: BotSpec
    bot: GuildmindBot
    task: asyncio.Task[None]


@dataclass
class Supervisor:
    """Runs the units (shards of the shared bot, custom bots) this process holds a lease on
    (``leases.balance``): one discord.py connection per unit, so a unit that moves to or
    from another process disconnects nothing else."""

    servers: ServerDirectory
    concurrency: int = 256
    shard_count: int | None = None
    shard_ids: list[int] | None = None
    owner: str = field(default_factory=new_owner_id)
    lease_ttl: float = 30.0
    connections: dict[Unit, Connection] = field(default_factory=dict)
    # Application pk → fingerprint of a token Discord refused (not retried until it changes).
    refused: dict[int, str] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    # Token fingerprint → (shard count, max_concurrency) from Discord's /gateway/bot.
    _limits: dict[str, tuple[int, int]] = field(default_factory=dict)
    _gates: dict[str, IdentifyGate] = field(default_factory=dict)
    _rest: dict[str, RestLimits] = field(default_factory=dict)
    _renewed_at: float = field(default_factory=time.monotonic)
    # The leases' own database thread: a burst of messages queues its database work on the
    # gateway's threads, and renewals waiting behind it would let the leases expire while
    # the process is well (the others would take its units, then hand them back).
    _lease_thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="gateway-leases")
    )
    _facts_task: asyncio.Task[None] | None = None
    # Connections disconnected from the gateway that are still answering the messages they
    # took (their REST session closes after that).
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    async def sync(self) -> None:
        """Renew and balance the leases, bring the running connections in line with them,
        then check in (the dashboard shows whether each bot is connected)."""
        wanted = {spec.pk: spec for spec in await self._db(runnable_applications)()}
        shared = next((spec for spec in wanted.values() if spec.is_shared), None)
        units: list[Unit] = []
        for spec in wanted.values():
            count = (await self._limits_of(spec))[0] if spec.is_shared else 1
            units.extend((spec.pk, shard) for shard in range(count))
        assignment = await self._db(leases.balance)(
            self.owner,
            units,
            ttl=self.lease_ttl,
            shared_pk=shared.pk if shared else None,
            pinned_shards=self.shard_ids,
        )
        self._renewed_at = time.monotonic()
        for unit, connection in list(self.connections.items()):
            current = wanted.get(unit[0])
            if (
                unit not in assignment.held
                or current is None
                or current.fingerprint != connection.spec.fingerprint
                or connection.task.done()
            ):
                await self._stop(unit)
        if assignment.released:
            # Closed first, then given back: never connected by two processes at once.
            await self._db(leases.release)(self.owner, assignment.released)
        await self._own(wanted, assignment.held)
        for unit in sorted(assignment.held):
            held = wanted.get(unit[0])
            if held is None or unit in self.connections or self.refused.get(held.pk) == held.fingerprint:
                continue
            self._start(held, unit)
        held_apps = {pk: wanted[pk] for pk, _ in assignment.held if pk in wanted}
        await self._db(record_heartbeat)(self.statuses(held_apps))

    def _db(self, func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
        return async_db(func, executor=self._lease_thread)

    async def _own(self, wanted: dict[int, BotSpec], held: frozenset[Unit]) -> None:
        """Hold the settings of the guilds this process connects, and only those, before
        its new connections start (their guilds arrive right after IDENTIFY)."""
        shards: dict[str, set[int]] = {}
        counts: dict[str, int] = {}
        for pk, shard in held:
            spec = wanted.get(pk)
            if spec is None:
                continue
            shards.setdefault(spec.application_id, set()).add(shard)
            counts[spec.application_id] = (
                self._limits.get(spec.fingerprint, (1, 1))[0] if spec.is_shared else 1
            )
        scope = {app: Shards(counts[app], frozenset(s)) for app, s in shards.items()}
        if self.servers.own(scope):
            await self._db(self.servers.refresh)()

    async def _limits_of(self, spec: BotSpec) -> tuple[int, int]:
        """The shared bot's shard count (the setting, else Discord's recommendation) and
        its IDENTIFY concurrency."""
        known = self._limits.get(spec.fingerprint)
        if known is not None:
            return known
        shards, concurrency = await session_start_limits(current_discord_endpoints()[0], spec.token)
        count = self.shard_count or shards
        if count is None:
            return (1, concurrency)  # asked again next round
        self._limits[spec.fingerprint] = (count, concurrency)
        return self._limits[spec.fingerprint]

    def statuses(self, wanted: dict[int, BotSpec]) -> dict[int, str]:
        statuses = {}
        for pk in wanted:
            mine = [c for unit, c in self.connections.items() if unit[0] == pk]
            if mine and all(c.bot.is_ready() and not c.bot.is_closed() for c in mine):
                statuses[pk] = ""
            else:
                statuses[pk] = self.errors.get(pk) or "connecting to Discord"
        return statuses

    def _start(self, spec: BotSpec, unit: Unit) -> None:
        count, concurrency = self._limits.get(spec.fingerprint, (1, 1))
        gate = self._gates.get(spec.fingerprint)
        if gate is None:
            gate = self._gates[spec.fingerprint] = IdentifyGate(spec.application_id, concurrency)
        rest = self._rest.get(spec.fingerprint)
        if rest is None:
            rest = self._rest[spec.fingerprint] = RestLimits(spec.application_id, settings.REDIS_URL or None)
        bot = GuildmindBot(
            pipeline=Pipeline(self.servers, application_id=spec.application_id),
            application_id=spec.application_id,
            concurrency=self.concurrency,
            # One connection per shard of the shared bot; custom bots are small (one shard).
            shard_count=count if spec.is_shared else None,
            shard_ids=[unit[1]] if spec.is_shared else None,
            identify_gate=gate,
            http_trace=rest.trace(),
        )
        task = asyncio.create_task(self._run(spec, bot), name=f"bot-{spec.application_id}-{unit[1]}")
        self.connections[unit] = Connection(spec, bot, task)
        log.info("starting the bot of application %s (shard %s)", spec.application_id, unit[1])

    async def _run(self, spec: BotSpec, bot: GuildmindBot) -> None:
        try:
            await bot.start(spec.token)
        except discord.LoginFailure as exc:
            self.refused[spec.pk] = spec.fingerprint
            self.errors[spec.pk] = f"Discord refused the bot token: {exc}"
            log.error("Discord refused the token of application %s (%s)", spec.application_id, exc)
        except discord.PrivilegedIntentsRequired:
            self.refused[spec.pk] = spec.fingerprint
            self.errors[spec.pk] = (
                "Discord refused the Message Content intent: enable it under Bot → Privileged "
                "Gateway Intents in the Developer Portal"
            )
            log.error("application %s lacks the Message Content intent", spec.application_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.errors[spec.pk] = f"the connection stopped: {exc!r}"
            log.exception("the bot of application %s stopped", spec.application_id)

    async def _stop(self, unit: Unit) -> None:
        """Disconnect ``unit`` from the gateway (no more events: its lease can go to another
        process); the messages it took are answered in the background (``_closing``)."""
        connection = self.connections.pop(unit)
        log.info("stopping the bot of application %s", connection.spec.application_id)
        closing = asyncio.create_task(self._close(connection), name=f"closing-{unit}")
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        await connection.bot.disconnected(timeout=DISCONNECT_SECONDS)

    @staticmethod
    async def _close(connection: Connection) -> None:
        await connection.bot.close()  # the messages it took are answered first
        if not connection.task.done():
            connection.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await connection.task

    async def run(self, stop: asyncio.Event, every: float) -> None:
        """Sync every ``every`` seconds until ``stop``; then close every connection."""
        rounds = 0
        try:
            while not stop.is_set():
                try:
                    await self.sync()
                    if rounds % FACTS_EVERY_ROUNDS == FACTS_EVERY_ROUNDS - 1:
                        self._recheck_facts()
                except Exception:
                    log.exception("could not sync the bots; keeping the running ones")
                    if time.monotonic() - self._renewed_at > self.lease_ttl:
                        # Leases not renewed for a TTL are another process's by now.
                        log.error("the leases expired unrenewed: closing every connection")
                        await self._stop_all()
                rounds += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=every)
        finally:
            if self._facts_task is not None:
                self._facts_task.cancel()
            await self._stop_all()
            # Handed over at once: the other processes claim these on their next round,
            # while these answer what they took.
            with contextlib.suppress(Exception):
                await self._db(leases.leave)(self.owner)
            await asyncio.gather(*list(self._closing))
            with contextlib.suppress(Exception):
                await self._db(connections.close_all)()
            self._lease_thread.shutdown(wait=False)
            for gate in self._gates.values():
                await gate.close()
            for rest in self._rest.values():
                await rest.close()

    async def _stop_all(self) -> None:
        """Disconnect every connection at once."""
        await asyncio.gather(*(self._stop(unit) for unit in list(self.connections)))

    def _recheck_facts(self) -> None:
        """What each bot can do in its guilds, re-read beside the rounds (not in their way:
        the writes queue behind the messages' database work)."""
        if self._facts_task is not None and not self._facts_task.done():
            return
        bots = [connection.bot for connection in self.connections.values()]

        async def recheck() -> None:
            for bot in bots:
                if not bot.is_closed():
                    await bot.record_all_facts()

        self._facts_task = asyncio.create_task(recheck(), name="recheck-facts")

    def bot_for(self, application_id: str) -> GuildmindBot | None:
        for connection in self.connections.values():
            if connection.spec.application_id == application_id:
                return connection.bot
        return None


def runnable_applications() -> list[BotSpec]:
    """The shared application and every custom bot that has a token; the sandbox's bot
    only while the sandbox runs (its token is valid at the simulator alone)."""
    rows: Any = BotApplication.objects.exclude(bot_token="").order_by("id")
    if not sandbox_running():
        rows = rows.filter(is_sandbox=False)
    specs = []
    for app in rows:
        if app.is_shared or app.workspace_id is not None or app.is_sandbox:
            specs.append(BotSpec(app.pk, app.application_id, app.bot_token, app.is_shared))
    return specs


async def refresh_settings_forever(servers: Directory, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await async_db(servers.refresh)()
        except Exception:
            log.exception("could not refresh server settings; keeping the previous ones")


NOT_CONFIGURED = (
    "No shared Discord bot is configured, so only custom bots will run. To connect one, set "
    "DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY, DISCORD_BOT_TOKEN and DISCORD_CLIENT_SECRET "
    "(Discord Developer Portal → your application) in .env and restart. The dashboard and "
    "the playground work without it."
)


async def run_gateway(stop: asyncio.Event) -> None:
    """Run the shared bot and every custom bot until ``stop`` is set. Without a shared bot
    configured it says so and still starts custom bots as workspaces add them."""
    configure_from_settings()
    # Empty until the first round's leases say which guilds are this process's.
    servers = ServerDirectory(scope={})
    await async_db(servers.refresh)()
    refresher = asyncio.create_task(refresh_settings_forever(servers, settings.SETTINGS_REFRESH_SECONDS))
    try:
        if await async_db(ensure_shared_application)() is None:
            log.warning(NOT_CONFIGURED)
        if sandbox_running():
            log.warning("Sandbox: Discord here is the bundled simulator at %s", settings.SANDBOX_URL)
        supervisor = Supervisor(
            servers,
            concurrency=settings.PIPELINE_CONCURRENCY,
            shard_count=settings.DISCORD_SHARD_COUNT or None,
            shard_ids=settings.DISCORD_SHARD_IDS or None,
            lease_ttl=settings.GATEWAY_LEASE_TTL_SECONDS,
        )
        log.info("gateway process %s joins the fleet", supervisor.owner)
        every = min(settings.SETTINGS_REFRESH_SECONDS, settings.GATEWAY_LEASE_RENEW_SECONDS)
        await supervisor.run(stop, every=every)
    finally:
        refresher.cancel()
