"""`manage.py up` and the sandbox: when it runs (never with a real Discord application),
what the children are told, and the simulator child starting and stopping cleanly."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from accounts.management.commands.up import ChildSpec, StopRequest, build_children, port_in_use, supervise
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.sandbox import (
    SANDBOX_GUILD_ID,
    retire_sandbox,
    simulator_argv,
    start_sandbox,
    why_no_sandbox,
)
from usage.models import UsageEvent
from usage.quota import reserve

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_discord(settings: Any) -> Any:
    settings.DISCORD_APPLICATION_ID = settings.DISCORD_BOT_TOKEN = ""
    settings.SANDBOX = "auto"
    return settings


def test_with_nothing_configured_the_sandbox_runs(no_discord: Any) -> None:
    assert why_no_sandbox({}) == ""


def test_a_shared_application_in_settings_keeps_the_sandbox_off(no_discord: Any) -> None:
    no_discord.DISCORD_BOT_TOKEN = "a-real-token"
    assert why_no_sandbox({}) == "a Discord application is configured"
    no_discord.DISCORD_BOT_TOKEN, no_discord.DISCORD_APPLICATION_ID = "", "710000000000000009"
    assert why_no_sandbox({}) == "a Discord application is configured"


def test_a_custom_bot_keeps_the_sandbox_off(no_discord: Any, workspace: Any) -> None:
    BotApplication.objects.create(application_id="720000000000000001", workspace=workspace, bot_token="t")
    assert why_no_sandbox({}) == "a custom bot is configured"


def test_endpoints_the_operator_set_keep_the_sandbox_off(no_discord: Any) -> None:
    assert "DISCORD_API_BASE_URL" in why_no_sandbox({"DISCORD_API_BASE_URL": "https://proxy.example/api/v10"})


def test_sandbox_off_keeps_it_off(no_discord: Any) -> None:
    no_discord.SANDBOX = "off"
    assert why_no_sandbox({}) == "SANDBOX=off"


def test_starting_points_the_children_at_the_simulator_and_connects_the_server(
    no_discord: Any, workspace: Any
) -> None:
    environ: dict[str, str] = {}
    key = start_sandbox(workspace, environ, 8799)
    assert environ["SANDBOX_URL"] == "http://127.0.0.1:8799" and environ["SANDBOX_KEY"] == key
    assert environ["DISCORD_API_BASE_URL"] == "http://127.0.0.1:8799/api/v10"
    assert environ["DISCORD_GATEWAY_URL"] == "ws://127.0.0.1:8799/gateway"
    server = DiscordServer.objects.get(guild_id=SANDBOX_GUILD_ID)
    assert server.workspace == workspace and server.is_sandbox and server.connected
    assert server.application.bot_token == key and server.moderation_enabled
    # The owner's changes survive the next start; the token is new each time.
    DiscordServer.objects.filter(pk=server.pk).update(response_mode="all")
    second = start_sandbox(workspace, environ, 8799)
    server.refresh_from_db()
    assert second != key and server.response_mode == "all" and server.application.bot_token == second


def test_without_the_sandbox_its_server_shows_as_left(no_discord: Any, workspace: Any) -> None:
    start_sandbox(workspace, {}, 8799)
    assert retire_sandbox() == 1
    assert not DiscordServer.objects.get(guild_id=SANDBOX_GUILD_ID).connected


def test_the_simulator_is_the_first_child_when_the_sandbox_runs() -> None:
    children = build_children("127.0.0.1", 8000, sandbox_port=8790)
    assert [(c.name, c.essential) for c in children] == [
        ("sandbox", False),
        ("web", True),
        ("gateway", False),
        ("worker", False),
    ]
    assert children[0].argv[1:5] == ["-m", "devtools.discord_simulator", "--sandbox", "--port"]
    assert [c.name for c in build_children("127.0.0.1", 8000)] == ["web", "gateway", "worker"]


def test_sandbox_messages_are_not_counted(workspace: Any) -> None:
    workspace.plan = "free"  # no Discord on the plan, no messages either: the sandbox still answers
    workspace.save(update_fields=["plan"])
    assert reserve(workspace.pk, "reply", "reply:1", channel="sandbox").allowed
    assert not reserve(workspace.pk, "reply", "reply:2", channel="discord").allowed
    assert UsageEvent.objects.count() == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_up_starts_the_simulator_and_stops_it_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, key = _free_port(), "up-test-key"
    monkeypatch.setenv("SANDBOX_KEY", key)
    argv = simulator_argv(sys.executable, port)
    web = [sys.executable, "-c", "import time; time.sleep(60)"]
    stop, seen = StopRequest(), {}
    lines: list[str] = []

    def probe_then_stop() -> None:
        deadline = time.monotonic() + 20
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/_sandbox/guilds/{SANDBOX_GUILD_ID}",
            headers={"Authorization": f"Sandbox {key}"},
        )
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(request, timeout=1) as response:
                    seen.update(json.loads(response.read()))
                break
            except OSError:
                time.sleep(0.1)
        stop.request(signal.SIGTERM)

    threading.Thread(target=probe_then_stop, daemon=True).start()
    specs = [ChildSpec("sandbox", argv), ChildSpec("web", web, essential=True)]
    started = time.monotonic()
    assert supervise(specs, stop=stop, poll_interval=0.05, stop_timeout=10, log=lines.append) == 0
    assert [c["name"] for c in seen["channels"]] == ["general", "help"]
    assert {m["name"] for m in seen["members"]} == {"sam", "riley", "morgan"}
    # Stopped by its signal, not killed after the timeout; the port is free again.
    assert not any("killing" in line for line in lines)
    assert time.monotonic() - started < 25
    assert not port_in_use("127.0.0.1", port)


def test_up_runs_the_sandbox_on_its_port_unless_the_port_is_taken(
    no_discord: Any, workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounts.management.commands.up import Command

    for name in ("SANDBOX_URL", "SANDBOX_KEY", "DISCORD_API_BASE_URL", "DISCORD_GATEWAY_URL"):
        monkeypatch.setenv(name, "")  # restored after the test
        monkeypatch.delenv(name)
    port = _free_port()
    no_discord.SANDBOX_PORT = port
    command = Command()
    assert command._sandbox(workspace) == port
    import os

    assert os.environ["SANDBOX_URL"] == f"http://127.0.0.1:{port}"
    for name in ("SANDBOX_URL", "SANDBOX_KEY", "DISCORD_API_BASE_URL", "DISCORD_GATEWAY_URL"):
        monkeypatch.delenv(name)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        assert command._sandbox(workspace) is None
    assert "SANDBOX_URL" not in os.environ
    assert not DiscordServer.objects.get(guild_id=SANDBOX_GUILD_ID).connected
