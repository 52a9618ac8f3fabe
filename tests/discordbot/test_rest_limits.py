"""The fleet's shared REST limits: one bot token's requests from every process stay within
Discord's 50 a second, a 429 one process gets pauses its route in all of them, and invalid
requests (401/403/429) are counted and logged long before Discord's ban threshold."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from django.conf import settings

from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.ports import RestClients
from integrations.discordbot.ratelimit import INVALID_WARN_AT, RestLimits, route_key
from tests.discordbot.conftest import APP_ID, TOKEN

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="the shared limits live in Redis (REDIS_URL)")


def test_routes_keep_only_their_major_ids() -> None:
    assert route_key("POST", "/api/v10/channels/123456789012345678/messages") == (
        "POST /api/v10/channels/123456789012345678/messages"
    )
    assert route_key("DELETE", "/api/v10/channels/1/messages/987654321098765432") == (
        "DELETE /api/v10/channels/1/messages/:id"
    )


async def test_without_redis_nothing_waits() -> None:
    limits = RestLimits("1", None, per_second=2)
    started = time.monotonic()
    for _ in range(10):
        await limits.acquire("GET /x")
    assert time.monotonic() - started < 0.5


async def test_invalid_requests_are_logged_as_they_near_the_ban_threshold(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = RestLimits("1", None)
    with caplog.at_level(logging.WARNING, logger="integrations.discordbot.ratelimit"):
        for _ in range(INVALID_WARN_AT[0] - 1):
            await limits.record("GET /x", 403, {})
        assert not caplog.records
        await limits.record("GET /x", 200, {})  # a good response does not count
        assert not caplog.records
        await limits.record("GET /x", 401, {})
    assert len(caplog.records) == 1
    assert "1000 invalid requests" in caplog.records[0].getMessage()


@pytest.fixture
async def fleet_limits() -> AsyncIterator[tuple[RestLimits, RestLimits]]:
    app = f"test-{uuid.uuid4().hex[:8]}"  # its own keys in the shared Redis
    first = RestLimits(app, settings.REDIS_URL, per_second=20)
    second = RestLimits(app, settings.REDIS_URL, per_second=20)
    yield first, second
    await first.close()
    await second.close()


@needs_redis
async def test_two_processes_together_stay_within_the_global_limit(
    fleet_limits: tuple[RestLimits, RestLimits],
) -> None:
    stamps: list[float] = []

    async def send(limits: RestLimits, n: int) -> None:
        for _ in range(n):
            await limits.acquire("POST /api/v10/channels/1/messages")
            stamps.append(time.time())

    await asyncio.gather(send(fleet_limits[0], 30), send(fleet_limits[1], 30))
    per_second = Counter(int(t) for t in stamps)
    assert len(stamps) == 60
    assert max(per_second.values()) <= 20, per_second
    assert len(per_second) >= 3  # 60 requests at 20 a second span three seconds


@needs_redis
async def test_requests_are_spaced_so_no_second_boundary_sees_a_burst(
    fleet_limits: tuple[RestLimits, RestLimits],
) -> None:
    """At 20 a second, two processes' requests leave one every 1/18 s (the headroom), not
    twenty at the end of one second and twenty more at the start of the next."""
    stamps: list[float] = []

    async def send(limits: RestLimits) -> None:
        for _ in range(10):
            await limits.acquire("GET /api/v10/users/@me")
            stamps.append(time.monotonic())

    await asyncio.gather(send(fleet_limits[0]), send(fleet_limits[1]))
    stamps.sort()
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert min(gaps) > 0.03, gaps  # 1/18 s is 0.056 s; the event loop wakes a little early
    in_any_half_second = max(sum(1 for t in stamps if start <= t < start + 0.5) for start in stamps)
    assert in_any_half_second <= 10


@needs_redis
async def test_a_429_in_one_process_pauses_its_route_in_the_others(
    fleet_limits: tuple[RestLimits, RestLimits],
) -> None:
    first, second = fleet_limits
    route = "POST /api/v10/channels/1/messages"
    await first.record(route, 429, {"Retry-After": "0.6"})
    started = time.monotonic()
    await second.acquire("GET /api/v10/users/@me")  # another route is not held up
    assert time.monotonic() - started < 0.3
    await second.acquire(route)
    assert time.monotonic() - started >= 0.5


@needs_redis
async def test_a_global_429_pauses_every_route(fleet_limits: tuple[RestLimits, RestLimits]) -> None:
    first, second = fleet_limits
    await first.record("GET /a", 429, {"Retry-After": "0.5", "X-RateLimit-Global": "true"})
    started = time.monotonic()
    await second.acquire("GET /b")
    assert time.monotonic() - started >= 0.4


async def test_discord_py_requests_go_through_the_limits(sim: DiscordSimulator) -> None:
    sim.add_application(APP_ID, TOKEN)
    limits = RestLimits(f"{APP_ID}-{uuid.uuid4().hex[:8]}", settings.REDIS_URL or None)
    client = discord.Client(intents=discord.Intents.none(), http_trace=limits.trace())
    try:
        await client.login(TOKEN)
        sim.fail_next("GET", r"^/gateway/bot$", 403)
        with pytest.raises(discord.GatewayNotFound):  # its wrapping of the 403
            await client.http.get_bot_gateway()
        assert await limits._count_invalid() == 2  # the 403, and this call's own count
        if limits.shared:
            sim.fail_next("GET", r"^/gateway/bot$", 429, retry_after=0.5)
            call = asyncio.create_task(client.http.get_bot_gateway())  # retried after the 429
            key = f"{limits.prefix}:route:GET /api/v10/gateway/bot"
            paused = None
            for _ in range(100):
                paused = paused or await limits._redis.get(key)
                await asyncio.sleep(0.01)
            await call
            assert paused is not None  # the other processes wait too
    finally:
        await client.close()
        await limits.close()


async def test_the_workers_rest_clients_take_their_turn_with_the_gateways(
    sim: DiscordSimulator, settings: Any
) -> None:
    """A worker's REST-only client (an /ask answer, an agent's reply, a proactive post) counts
    its invalid requests and, with Redis, waits out a 429 a gateway of the same bot got."""
    settings.DISCORD_API_BASE_URL, settings.DISCORD_GATEWAY_URL = sim.api_base_url, sim.gateway_url
    sim.add_application(APP_ID, TOKEN)
    clients = RestClients()
    client = await asyncio.to_thread(clients.run, lambda: clients.client(APP_ID, TOKEN), timeout=10)
    limits = clients._limits[APP_ID]
    gateway = RestLimits(APP_ID, settings.REDIS_URL or None)  # another process of the same token
    try:
        sim.fail_next("GET", r"^/gateway/bot$", 403)
        with pytest.raises(discord.GatewayNotFound):
            await asyncio.to_thread(clients.run, client.http.get_bot_gateway, timeout=10)
        if not limits.shared:
            assert len(limits._invalid) == 1  # the 403, counted in this process
            return
        await gateway.record("GET /x", 429, {"Retry-After": "0.6", "X-RateLimit-Global": "true"})
        started = time.monotonic()
        await asyncio.to_thread(clients.run, client.http.get_bot_gateway, timeout=10)
        assert time.monotonic() - started >= 0.5
    finally:
        await asyncio.to_thread(clients.run, client.close, timeout=10)
        await asyncio.to_thread(clients.run, limits.close, timeout=10)
        await gateway.close()
