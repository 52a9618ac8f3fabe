"""The gateway process runs one discord.py connection per bot application: the shared bot
(from settings) and every workspace's custom bot. The supervisor starts a connection within
seconds of a custom bot being saved, restarts it when its token changes, and stops it when
the bot is removed, all without restarting the process.

A token Discord refuses is not retried until it changes (retrying a bad token only earns
a rate limit); the error is kept for the dashboard's diagnostics. ``run_gateway`` is the
whole gateway process (``manage.py discord_bot``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import discord
from django.conf import settings

from guildmind.db import async_db
from integrations.discordbot.actions import ensure_shared_application, record_heartbeat
from integrations.discordbot.endpoints import configure_from_settings
from integrations.discordbot.gateway import GuildmindBot
from integrations.discordbot.models import BotApplication
from integrations.discordbot.servers import ServerDirectory
from pipeline.messages import Pipeline
from pipeline.servers import Directory

log = logging.getLogger(__name__)

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
    servers: ServerDirectory
    concurrency: int = 256
    shard_count: int | None = None
    shard_ids: list[int] | None = None
    connections: dict[int, Connection] = field(default_factory=dict)
    # Application pk → fingerprint of a token Discord refused (not retried until it changes).
    refused: dict[int, str] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)

    async def sync(self) -> None:
        """Bring the running connections in line with the applications in the database,
        then check in (the dashboard shows whether each bot is connected)."""
        wanted = {spec.pk: spec for spec in await async_db(runnable_applications)()}
        for pk, connection in list(self.connections.items()):
            spec = wanted.get(pk)
            if spec is None or spec.fingerprint != connection.spec.fingerprint or connection.task.done():
                await self._stop(pk)
        for pk, spec in wanted.items():
            if pk in self.connections or self.refused.get(pk) == spec.fingerprint:
                continue
            self._start(spec)
        await async_db(record_heartbeat)(self.statuses(wanted))

    def statuses(self, wanted: dict[int, BotSpec]) -> dict[int, str]:
        statuses = {}
        for pk in wanted:
            connection = self.connections.get(pk)
            if connection is not None and connection.bot.is_ready() and not connection.bot.is_closed():
                statuses[pk] = ""
            else:
                statuses[pk] = self.errors.get(pk) or "connecting to Discord"
        return statuses

    def _start(self, spec: BotSpec) -> None:
        bot = GuildmindBot(
            pipeline=Pipeline(self.servers, application_id=spec.application_id),
            application_id=spec.application_id,
            concurrency=self.concurrency,
            # Sharding settings are the shared bot's; custom bots are small (one shard).
            shard_count=self.shard_count if spec.is_shared else None,
            shard_ids=self.shard_ids if spec.is_shared else None,
        )
        task = asyncio.create_task(self._run(spec, bot), name=f"bot-{spec.application_id}")
        self.connections[spec.pk] = Connection(spec, bot, task)
        log.info("starting the bot of application %s", spec.application_id)

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

    async def _stop(self, pk: int) -> None:
        connection = self.connections.pop(pk)
        log.info("stopping the bot of application %s", connection.spec.application_id)
        await connection.bot.close()
        await connection.bot.drain()
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
                        for connection in list(self.connections.values()):
                            await connection.bot.record_all_facts()
                except Exception:
                    log.exception("could not sync the bots; keeping the running ones")
                rounds += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=every)
        finally:
            for pk in list(self.connections):
                await self._stop(pk)

    def bot_for(self, application_id: str) -> GuildmindBot | None:
        for connection in self.connections.values():
            if connection.spec.application_id == application_id:
                return connection.bot
        return None


def runnable_applications() -> list[BotSpec]:
    """The shared application and every custom bot that has a token."""
    rows: Any = BotApplication.objects.exclude(bot_token="").order_by("id")
    specs = []
    for app in rows:
        if app.is_shared or app.workspace_id is not None:
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
    servers = ServerDirectory()
    await async_db(servers.refresh)()
    refresher = asyncio.create_task(refresh_settings_forever(servers, settings.SETTINGS_REFRESH_SECONDS))
    try:
        if await async_db(ensure_shared_application)() is None:
            log.warning(NOT_CONFIGURED)
        supervisor = Supervisor(
            servers,
            concurrency=settings.PIPELINE_CONCURRENCY,
            shard_count=settings.DISCORD_SHARD_COUNT or None,
            shard_ids=settings.DISCORD_SHARD_IDS or None,
        )
        await supervisor.run(stop, every=settings.SETTINGS_REFRESH_SECONDS)
    finally:
        refresher.cancel()
