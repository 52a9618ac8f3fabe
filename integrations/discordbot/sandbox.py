"""The sandbox: try the product without a Discord application.

Where no Discord application is configured, ``manage.py up`` runs the bundled simulator
(``python -m devtools.discord_simulator --sandbox``) on 127.0.0.1 and points every child
process's Discord endpoints at it, and the demo workspace gets a sandbox server
(``DiscordServer.is_sandbox``) whose bot the gateway connects like any other. The
dashboard's Sandbox page posts members' messages through the simulator's control API, so
they reach the real gateway, pipeline and worker as MESSAGE_CREATE; nothing in the
pipeline knows it is a sandbox except that its messages are not counted (``usage.quota``).

Never when a real application is configured: the shared application's settings, a custom
bot saved in the database, or Discord endpoints the operator pointed elsewhere.
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import Workspace
from integrations.discordbot.models import BotApplication, DiscordServer

log = logging.getLogger(__name__)

# Fixed, so the sandbox's conversations continue across restarts (the simulator derives its
# channel and member ids from the guild's).
SANDBOX_APPLICATION_ID = "1099511627776000001"
SANDBOX_GUILD_ID = "1099511627776000100"
SANDBOX_SERVER_NAME = "Sandbox server"
SANDBOX_RULES = (
    "No invite links or advertising other servers → warning.\n"
    "No spam or repeated messages → warning.\n"
    "No insults or slurs → warning."
)
DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg"
CONTROL_TIMEOUT_SECONDS = 5.0


def real_application_configured() -> bool:
    """The shared application's settings are set: the sandbox stays off."""
    return bool(settings.DISCORD_APPLICATION_ID or settings.DISCORD_BOT_TOKEN)


def sandbox_running() -> bool:
    """Whether this process has a sandbox: ``up`` started the simulator (SANDBOX_URL and
    SANDBOX_KEY) and no real application is configured."""
    return (
        settings.SANDBOX != "off"
        and bool(settings.SANDBOX_URL and settings.SANDBOX_KEY)
        and not real_application_configured()
    )


def why_no_sandbox(environ: MutableMapping[str, str]) -> str:
    """Why ``up`` should not start the sandbox, "" when it should. Reads the database."""
    if settings.SANDBOX == "off":
        return "SANDBOX=off"
    if real_application_configured():
        return "a Discord application is configured"
    if environ.get("DISCORD_API_BASE_URL") or environ.get("DISCORD_GATEWAY_URL"):
        return "the Discord endpoints are set (DISCORD_API_BASE_URL, DISCORD_GATEWAY_URL)"
    if BotApplication.objects.filter(is_sandbox=False).exclude(bot_token="").exists():
        return "a custom bot is configured"
    return ""


def start_sandbox(workspace: Workspace, environ: MutableMapping[str, str], port: int) -> str:
    """Prepare the sandbox for ``up``'s children: a fresh key, the simulator's endpoints in
    ``environ`` (inherited by every child) and the sandbox server connected to
    ``workspace``. Returns the key."""
    key = secrets.token_urlsafe(32)
    base = f"http://127.0.0.1:{port}"
    environ.update(
        {
            "SANDBOX_URL": base,
            "SANDBOX_KEY": key,
            "DISCORD_API_BASE_URL": f"{base}/api/v10",
            "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
        }
    )
    ensure_sandbox(workspace, key)
    return key


def simulator_argv(python: str, port: int) -> list[str]:
    """The command that serves the sandbox world (the key comes from SANDBOX_KEY)."""
    return [
        python,
        "-m",
        "devtools.discord_simulator",
        "--sandbox",
        "--port",
        str(port),
        "--application-id",
        SANDBOX_APPLICATION_ID,
        "--guild-id",
        SANDBOX_GUILD_ID,
    ]


def ensure_sandbox(workspace: Workspace, token: str) -> DiscordServer:
    """The sandbox bot (with this run's token) and its server, connected to ``workspace``.
    Settings the owner changed on the server are kept."""
    app, _ = BotApplication.objects.update_or_create(
        application_id=SANDBOX_APPLICATION_ID,
        defaults={
            "is_sandbox": True,
            "is_shared": False,
            "workspace": None,
            "bot_token": token,
            "name": "Sandbox",
        },
    )
    server, created = DiscordServer.objects.get_or_create(
        guild_id=SANDBOX_GUILD_ID,
        defaults={
            "workspace": workspace,
            "application": app,
            "name": SANDBOX_SERVER_NAME,
            "is_sandbox": True,
            "moderation_enabled": True,
            "moderation_rules": SANDBOX_RULES,
            "moderation_delete": True,
            "moderation_warn": True,
        },
    )
    if not created:
        server.workspace, server.application, server.is_sandbox = workspace, app, True
        server.connected, server.left_at = True, None
        server.save(
            update_fields=["workspace", "application", "is_sandbox", "connected", "left_at", "updated_at"]
        )
    return server


def retire_sandbox() -> int:
    """The sandbox is not running: its server shows as left. Returns how many were."""
    now = timezone.now()
    return DiscordServer.objects.filter(is_sandbox=True, connected=True).update(
        connected=False, left_at=now, updated_at=now
    )


def sandbox_server_for(workspace: Workspace) -> DiscordServer | None:
    """The workspace's sandbox server while the sandbox runs, else None."""
    if not sandbox_running():
        return None
    return DiscordServer.objects.filter(workspace=workspace, is_sandbox=True, connected=True).first()


def sandbox_nav(request: Any) -> dict[str, bool]:
    """Template context processor: show the Sandbox link only where there is one."""
    if not sandbox_running() or not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"sandbox_nav": False}
    from accounts.actions import get_workspace_for

    return {"sandbox_nav": sandbox_server_for(get_workspace_for(request)) is not None}


# --- the simulator's control API ----------------------------------------------------------


class SandboxUnavailable(Exception):
    """The simulator did not answer (not started yet, restarting) or refused the request."""


class SandboxRefused(SandboxUnavailable):
    """The simulator answered with a 4xx: no such message or button (gone, or never there)."""


@dataclass(frozen=True)
class Place:
    channels: list[dict[str, str]]
    members: list[dict[str, Any]]

    def channel(self, channel_id: str) -> dict[str, str] | None:
        return next((c for c in self.channels if c["id"] == channel_id), None)

    def member(self, member_id: str) -> dict[str, Any] | None:
        return next((m for m in self.members if m["id"] == member_id), None)


class SandboxClient:
    """Speaks to the simulator's control API for one guild (``devtools/discord_simulator/control.py``)."""

    def __init__(self, guild_id: str, *, base_url: str | None = None, key: str | None = None) -> None:
        self.guild_id = guild_id
        self.base_url = (base_url or settings.SANDBOX_URL).rstrip("/")
        self.key = key or settings.SANDBOX_KEY

    def place(self) -> Place:
        data = self._call("GET", f"/_sandbox/guilds/{self.guild_id}")
        return Place(channels=list(data["channels"]), members=list(data["members"]))

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", self._channel(channel_id))["messages"])

    def post(self, channel_id: str, author_id: str, content: str, *, mention_bot: bool) -> dict[str, Any]:
        body = {"author_id": author_id, "content": content, "mention_bot": mention_bot}
        return dict(self._call("POST", self._channel(channel_id), body))

    def click(self, channel_id: str, message_id: str, author_id: str, custom_id: str) -> dict[str, Any]:
        body = {"author_id": author_id, "custom_id": custom_id}
        return dict(self._call("POST", f"{self._channel(channel_id)}/{int(message_id)}/clicks", body))

    def _channel(self, channel_id: str) -> str:
        return f"/_sandbox/guilds/{self.guild_id}/channels/{int(channel_id)}/messages"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 (our own loopback address from settings)
            self.base_url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Sandbox {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_SECONDS) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500:
                raise SandboxRefused(f"{exc.code} {exc.reason}") from exc
            log.warning("the sandbox simulator failed %s %s: %s", method, path, exc)
            raise SandboxUnavailable(str(exc)) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("the sandbox simulator did not answer %s %s: %s", method, path, exc)
            raise SandboxUnavailable(str(exc)) from exc
