"""IDENTIFY concurrency across the fleet: Discord lets a bot start one session per bucket
(shard id % ``max_concurrency``) every 5 seconds, whichever process starts it. Each shard
start waits for its bucket's turn through a shared slot, in Redis when ``REDIS_URL`` is
set (``SET NX PX``), otherwise a row in the database (a conditional update). discord.py
calls ``wait`` from ``before_identify_hook``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import aiohttp
from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from guildmind.db import async_db, write_transaction
from integrations.discordbot.models import IdentifySlot

log = logging.getLogger(__name__)


async def session_start_limits(api_base_url: str, token: str) -> tuple[int | None, int]:
    """Discord's recommended shard count and ``max_concurrency`` for a bot token
    (``GET /gateway/bot``); (None, 1) when it cannot be read."""
    headers = {"Authorization": f"Bot {token}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(f"{api_base_url}/gateway/bot", headers=headers) as response,
        ):
            if response.status != 200:
                return None, 1
            data: dict[str, Any] = await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None, 1
    limit = data.get("session_start_limit") or {}
    shards = data.get("shards")
    return (int(shards) if shards else None), max(1, int(limit.get("max_concurrency") or 1))


def _take_db_slot(key: str, interval: float) -> float:
    """Take the slot ``key`` for ``interval`` seconds; returns 0 when taken, else the
    seconds until it frees."""
    now = timezone.now()
    until = now + timedelta(seconds=interval)
    with write_transaction():
        if IdentifySlot.objects.filter(key=key, next_at__lte=now).update(next_at=until):
            return 0.0
        slot = IdentifySlot.objects.filter(key=key).first()
    if slot is not None:
        return max(0.01, (slot.next_at - now).total_seconds())
    try:
        with write_transaction():
            IdentifySlot.objects.create(key=key, next_at=until)
    except IntegrityError:
        return 0.05  # another process created it first: its turn
    return 0.0


class IdentifyGate:
    """The turns of one bot token's IDENTIFYs, shared by every process of the fleet."""

    def __init__(self, application_id: str, max_concurrency: int = 1, interval: float | None = None) -> None:
        self.application_id = application_id
        self.max_concurrency = max(1, max_concurrency)
        self.interval = settings.GATEWAY_IDENTIFY_INTERVAL_SECONDS if interval is None else interval
        self._redis: Any = None

    def key(self, shard_id: int) -> str:
        return f"identify:{self.application_id}:{shard_id % self.max_concurrency}"

    async def wait(self, shard_id: int) -> None:
        """Return when this shard may IDENTIFY (its bucket's slot is taken for it)."""
        if self.interval <= 0:
            return
        key = self.key(shard_id)
        while True:
            wait = await self._take(key)
            if wait <= 0:
                return
            log.info("shard %s of %s waits %.1f s for its IDENTIFY turn", shard_id, self.application_id, wait)
            await asyncio.sleep(min(wait, self.interval))

    async def _take(self, key: str) -> float:
        if not settings.REDIS_URL:
            return await async_db(_take_db_slot)(key, self.interval)
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(settings.REDIS_URL)
        full = f"{settings.HUEY_NAME}:{key}"
        if await self._redis.set(full, "1", nx=True, px=max(1, int(self.interval * 1000))):
            return 0.0
        left = await self._redis.pttl(full)
        return max(0.01, left / 1000) if left and left > 0 else 0.01

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
