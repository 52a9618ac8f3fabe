"""Answer rate limits per member and per channel, so one member (or one busy channel)
cannot spend the workspace's messages.

Built on the ``limits`` library (moving windows). The gateway keeps its windows in memory:
all of a guild's messages reach the one shard that owns the guild, so memory is exact
there. ``/ask`` is answered by worker processes; set ``RATE_LIMIT_STORAGE`` to a Redis
URL to share windows between several workers (and the gateway).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


@dataclass(frozen=True, slots=True)
class Limited:
    scope: Literal["member", "channel"]
    retry_after: int
    # At most one notice per member (or channel) per notice window: the rest are silent.
    notify: bool

    def notice(self, member_name: str) -> str:
        wait = _duration(self.retry_after)
        if self.scope == "member":
            return f"{member_name}, you're asking faster than I can answer. Please wait {wait} and ask again."
        return f"I'm answering a lot of questions in this channel right now. Please ask again in {wait}."


class AnswerLimits:
    def __init__(self, *, member: str, channel: str, notice: str, storage_uri: str) -> None:
        self.member = parse(member) if member else None
        self.channel = parse(channel) if channel else None
        self.notice_rate = parse(notice) if notice else None
        options = {"implementation": "redispy"} if "redis" in storage_uri.split("://")[0] else {}
        storage = storage_from_string(storage_uri, **options)
        if not isinstance(storage, Storage):
            raise ValueError(f"RATE_LIMIT_STORAGE={storage_uri!r} must be an async+ storage URL")
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(self.storage)

    @classmethod
    def from_settings(cls) -> AnswerLimits:
        return cls(
            member=settings.RATE_LIMIT_MEMBER,
            channel=settings.RATE_LIMIT_CHANNEL,
            notice=settings.RATE_LIMIT_NOTICE,
            storage_uri=settings.RATE_LIMIT_STORAGE,
        )

    async def check(self, guild_id: int, channel_id: int, member_id: int) -> Limited | None:
        """Spend one answer for the member and the channel; None when both allow it."""
        namespace = settings.RATE_LIMIT_NAMESPACE
        place = (namespace, str(guild_id), str(channel_id))
        if self.member is not None and not await self.limiter.hit(
            self.member, *place, "member", str(member_id)
        ):
            return await self._limited("member", self.member, (*place, "member", str(member_id)))
        if self.channel is not None and not await self.limiter.hit(self.channel, *place, "channel"):
            return await self._limited("channel", self.channel, (*place, "channel"))
        return None

    async def _limited(
        self, scope: Literal["member", "channel"], item: RateLimitItem, identifiers: tuple[str, ...]
    ) -> Limited:
        stats = await self.limiter.get_window_stats(item, *identifiers)
        retry_after = max(1, round(stats.reset_time - time.time()))
        notify = self.notice_rate is None or await self.limiter.hit(self.notice_rate, *identifiers, "notice")
        return Limited(scope, retry_after, notify)


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AnswerLimits] = weakref.WeakKeyDictionary()


def answer_limits() -> AnswerLimits:
    """This event loop's limits (async storage clients belong to the loop that made them)."""
    loop = asyncio.get_running_loop()
    limits = _per_loop.get(loop)
    if limits is None:
        limits = _per_loop[loop] = AnswerLimits.from_settings()
    return limits


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
