"""Interactions endpoint: how fast a running web process acknowledges a signed /ask
(record + enqueue) compared with a signed PING (signature check only), measured in one run.

The web process is the real one (uvicorn on ``guildmind.asgi``, its own temporary data
directory, Huey queueing for real but with no worker). The load is open-loop: request i
leaves at ``t0 + i / rate`` whether or not earlier ones were answered, and its latency
counts from that scheduled time, so a server that falls behind cannot hide it. PINGs run
first, then /ask with the same schedule. Targets: p99(ask) <= 3x p99(ping) and < 50 ms.

Run alone: ``.venv/bin/python -m benchmarks.interactions [rate] [seconds]``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
APP_ID, TOKEN = "750000000000000001", "bench-token"
URL_PATH = "/discord/webhook/"

_SETUP = """
import django, sys
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from integrations.discordbot.models import BotApplication
BotApplication.objects.create(application_id=sys.argv[1], is_shared=True, public_key=sys.argv[2],
                              bot_token=sys.argv[3])
"""


async def run(
    rate: float = 200.0,
    seconds: float = 30.0,
    *,
    warmup: int = 200,
    timeout: float = 10.0,
) -> dict[str, float]:
    """Measures both loads against a fresh web process and returns p50/p99 (ms) of each,
    ``ratio`` = p99(ask) / p99(ping), ``errors`` (non-200 answers, failed or timed-out
    requests, both loads), ``late_ms`` (the client's worst lag behind its own schedule)
    and the web process's CPU ms per request for each load."""
    from devtools.discord_simulator import DiscordSimulator

    sim = DiscordSimulator()  # its world and signing key only; no server is started
    sim.add_application(APP_ID, TOKEN)
    guild = sim.add_guild("Bench", bot_tokens=[TOKEN])
    member = sim.add_member(guild.id, "mia")
    channel = guild.channels["general"].id
    count = int(rate * seconds)

    def signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        headers = sim.sign_interaction(APP_ID, body, str(int(time.time())))
        return body, {**headers, "Content-Type": "application/json"}

    def asks(n: int) -> list[tuple[bytes, dict[str, str]]]:
        # Every /ask is a new interaction; a repeated id would be a redelivery (no enqueue).
        return [
            signed(sim.build_interaction(APP_ID, guild.id, channel, member.user.id, "ask", {"question": q}))
            for q in (f"How long do refunds take? ({i})" for i in range(n))
        ]

    ping = signed({"id": "1", "application_id": APP_ID, "type": 1, "token": "t", "version": 1})
    data_dir = tempfile.mkdtemp(prefix="guildmind-bench-interactions-")
    env = {
        **os.environ,
        "DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "guildmind.settings"),
        "HUEY_IMMEDIATE": "0",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
    }
    public_key = sim.state.application(APP_ID).public_key
    subprocess.run([sys.executable, "-c", _SETUP, APP_ID, public_key, TOKEN], cwd=ROOT, env=env, check=True)  # noqa: ASYNC221
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "guildmind.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off", "--no-access-log"]
    command += ["--log-level", "warning"]
    web = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: ASYNC220 (once, before measuring)
    url = f"http://127.0.0.1:{port}{URL_PATH}"
    connector = aiohttp.TCPConnector(limit=2000, limit_per_host=2000)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
            await _wait_until_up(session, f"http://127.0.0.1:{port}/health/")
            # Warm-up: imports, the key cache, the first Huey write, connections in the pool.
            for body, headers in [ping] * warmup + asks(warmup):
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
            pings = await _open_loop(session, url, [ping] * count, rate, web.pid)
            ask = await _open_loop(session, url, asks(count), rate, web.pid)
    finally:
        web.terminate()
        web.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "requests": float(count),
        "ping_p50": pings["p50"],
        "ping_p99": pings["p99"],
        "ping_max": pings["max"],
        "ask_p50": ask["p50"],
        "ask_p99": ask["p99"],
        "ask_max": ask["max"],
        "ratio": ask["p99"] / pings["p99"] if pings["p99"] else float("inf"),
        "errors": pings["errors"] + ask["errors"],
        "late_ms": max(pings["late_ms"], ask["late_ms"]),
        "ping_cpu_ms": pings["cpu_ms"],
        "ask_cpu_ms": ask["cpu_ms"],
    }


async def _open_loop(
    session: Any, url: str, requests: Sequence[tuple[bytes, dict[str, str]]], rate: float, server_pid: int
) -> dict[str, float]:
    """Sends request i at t0 + i / rate without waiting for earlier answers; latency (ms)
    counts from the scheduled time."""
    latencies: list[float] = []
    errors = 0
    late = 0.0

    async def send(body: bytes, headers: dict[str, str], scheduled: float) -> None:
        nonlocal errors
        try:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                ok = response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError):
            ok = False
        latencies.append((time.perf_counter() - scheduled) * 1000)
        errors += not ok

    cpu_before = _cpu_seconds(server_pid)
    tasks = []
    t0 = time.perf_counter() + 0.05
    for i, (body, headers) in enumerate(requests):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        late = max(late, time.perf_counter() - scheduled)
        tasks.append(asyncio.create_task(send(body, headers, scheduled)))
    await asyncio.gather(*tasks)
    cpu = _cpu_seconds(server_pid) - cpu_before
    latencies.sort()
    return {
        "p50": _percentile(latencies, 0.50),
        "p99": _percentile(latencies, 0.99),
        "max": latencies[-1],
        "errors": float(errors),
        "late_ms": late * 1000,
        "cpu_ms": cpu * 1000 / len(requests),
    }


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_until_up(session: Any, health_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with session.get(health_url) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the web process did not answer {health_url} within {timeout:.0f} s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def passed(result: dict[str, float]) -> bool:
    """/ask's p99 within 3x a PING's and under 50 ms, with no errors."""
    return result["ask_p99"] <= 3 * result["ping_p99"] and result["ask_p99"] < 50 and not result["errors"]


def print_result(result: dict[str, float], label: str) -> None:
    ok = passed(result)
    print(
        f"[{'ok' if ok else 'FAIL'}] interactions endpoint ({label}), "
        f"{result['requests']:.0f} signed requests per load, open loop: "
        f"PING p50 {result['ping_p50']:.1f} ms p99 {result['ping_p99']:.1f} ms; "
        f"/ask p50 {result['ask_p50']:.1f} ms p99 {result['ask_p99']:.1f} ms (limit 50 ms) = "
        f"{result['ratio']:.2f}x PING's p99 (limit 3x); {result['errors']:.0f} errors; "
        f"web CPU {result['ping_cpu_ms']:.2f} / {result['ask_cpu_ms']:.2f} ms per request; "
        f"client lag at most {result['late_ms']:.1f} ms"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    rate, seconds = ([float(a) for a in sys.argv[1:3]] + [200.0, 30.0][len(sys.argv[1:3]) :])[:2]
    print_result(asyncio.run(run(rate, seconds)), "as deployed")
