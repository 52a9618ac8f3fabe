"""Discord's REST limits across the fleet, as an aiohttp trace on discord.py's HTTP session.

discord.py's rate limiter lives in one process, so several processes of one bot token could
together pass Discord's global limit (50 requests a second per token) and each learn of a
429 on its own. With ``REDIS_URL`` set, every REST request of a token first takes the next
free moment in the token's shared schedule, which spaces the fleet's requests evenly at
45 a second (a tenth under the limit, for the clock and the trip to Discord), and waits out
any 429's ``retry_after`` another process recorded (for its route, or for everything when
the 429 was global). Spacing rather than a per-second count keeps the end of one second and
the start of the next from reaching Discord as one burst. Without Redis nothing
waits: one process keeps discord.py's own limiter, as before.

Either way, responses with 401, 403 and 429 are counted over 10-minute windows (shared in
Redis, else per process) and logged as the count nears Discord's ban threshold of 10,000
invalid requests in 10 minutes from one address.
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import SimpleNamespace
from typing import Any

import aiohttp
from discord.http import Route
from django.conf import settings

log = logging.getLogger(__name__)

GLOBAL_PER_SECOND = 50
# The share of the limit the schedule hands out.
HEADROOM = 0.9
# Connections one process's limiter opens to Redis at most; requests beyond wait for one.
REDIS_CONNECTIONS = 16
INVALID_WINDOW_SECONDS = 600
INVALID_BAN_THRESHOLD = 10_000
# Logged when the window's count reaches each of these (a warning, then errors).
INVALID_WARN_AT = (1_000, 2_500, 5_000, 7_500, 9_000)


# The token's schedule (a generic cell rate algorithm without a burst): the request goes at
# the later of now and the stored next free moment, which moves on by one interval. Redis's
# own clock, so the processes' clocks need not agree. Returns the wait in seconds.
_NEXT_MOMENT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local send = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local after = send + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', after), 'PX', math.ceil((after - now) * 1000) + 1000)
return string.format('%.6f', send - now)
"""


def route_key(method: str, path: str) -> str:
    """The 429 bucket a request falls in: its method and path, ids kept only for the major
    parameters (channel, guild, webhook) Discord buckets by."""
    parts = path.split("/")
    kept = []
    for i, part in enumerate(parts):
        major = i > 0 and parts[i - 1] in ("channels", "guilds", "webhooks")
        kept.append(part if major or not part.isdigit() else ":id")
    return f"{method} {'/'.join(kept)}"


class RestLimits:
    """The shared counters of one bot token (keyed by its application id)."""

    def __init__(
        self, application_id: str, redis_url: str | None = None, per_second: int = GLOBAL_PER_SECOND
    ):
        self.application_id = application_id
        self.per_second = per_second
        self.prefix = f"{settings.HUEY_NAME}:rest:{application_id}"
        self._redis: Any = None
        if redis_url:
            import redis.asyncio

            pool = redis.asyncio.BlockingConnectionPool.from_url(
                redis_url, max_connections=REDIS_CONNECTIONS, timeout=10
            )
            self._redis = redis.asyncio.Redis.from_pool(pool)
            self._next_moment = self._redis.register_script(_NEXT_MOMENT)
        self._invalid: list[float] = []  # without Redis: this process's invalid requests

    @property
    def shared(self) -> bool:
        return self._redis is not None

    async def acquire(self, route: str) -> None:
        """Wait for any recorded 429 on ``route`` (or a global one) to pass, then for this
        request's moment in the token's schedule. Never raises: Redis trouble lets the
        request go."""
        if self._redis is None:
            return
        try:
            while True:
                pauses = await self._redis.mget(f"{self.prefix}:pause", f"{self.prefix}:route:{route}")
                until = max(float(p) for p in [*pauses, 0] if p is not None)
                now = time.time()
                if until > now:
                    await asyncio.sleep(min(until - now, 60))
                    continue
                interval = 1 / (self.per_second * HEADROOM)
                wait = float(await self._next_moment(keys=[f"{self.prefix}:next"], args=[interval]))
                if wait > 0:
                    await asyncio.sleep(wait)
                return
        except Exception as exc:  # a limiter must not take the bot down with Redis
            log.warning("shared rate limit unavailable (%s); sending anyway", exc)

    async def record(self, route: str, status: int, headers: Any) -> None:
        """Note a response: a 429 pauses its route (or everything) fleet-wide; 401, 403
        and 429 count as invalid requests."""
        if status not in (401, 403, 429):
            return
        try:
            if status == 429 and self._redis is not None:
                retry_after = float(headers.get("Retry-After") or headers.get("X-RateLimit-Reset-After") or 1)
                is_global = str(headers.get("X-RateLimit-Global", "")).lower() == "true"
                key = f"{self.prefix}:pause" if is_global else f"{self.prefix}:route:{route}"
                await self._redis.set(key, str(time.time() + retry_after), px=int(retry_after * 1000) + 1)
            count = await self._count_invalid()
        except Exception as exc:
            log.warning("could not record a %s from Discord (%s)", status, exc)
            return
        if count in INVALID_WARN_AT:
            level = logging.WARNING if count < INVALID_WARN_AT[2] else logging.ERROR
            log.log(
                level,
                "%s invalid requests (401/403/429) to Discord in 10 minutes for application %s; "
                "at %s Discord bans the address for an hour",
                count,
                self.application_id,
                INVALID_BAN_THRESHOLD,
            )

    async def _count_invalid(self) -> int:
        now = time.time()
        if self._redis is None:
            self._invalid = [t for t in self._invalid if t > now - INVALID_WINDOW_SECONDS]
            self._invalid.append(now)
            return len(self._invalid)
        window = int(now // INVALID_WINDOW_SECONDS)
        key = f"{self.prefix}:invalid:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, INVALID_WINDOW_SECONDS * 2)
        count, _ = await pipe.execute()
        return int(count)

    def trace(self) -> aiohttp.TraceConfig:
        """The trace to give discord.py's client (``http_trace``): it waits before each
        REST request and records each response."""
        config = aiohttp.TraceConfig()

        async def on_start(session: Any, context: SimpleNamespace, params: Any) -> None:
            url = str(params.url)
            if url.startswith(Route.BASE):  # REST only, not the gateway's websocket
                context.route = route_key(params.method, params.url.path)
                await self.acquire(context.route)

        async def on_end(session: Any, context: SimpleNamespace, params: Any) -> None:
            route = getattr(context, "route", None)
            if route is not None:
                await self.record(route, params.response.status, params.response.headers)

        config.on_request_start.append(on_start)
        config.on_request_end.append(on_end)
        return config

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
