"""Diagnostics for the setup page, in plain words: is the gateway connected, has Discord
reached the interactions endpoint, and what each server's bot lacks, with the advice that
matches. Everything here reads what the gateway process and the endpoint wrote down; the
dashboard never calls Discord to render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace
from conversations.models import ForumPost
from integrations.discordbot.install import ADMINISTRATOR, permission_names, server_permissions
from integrations.discordbot.models import BotApplication, DiscordServer
from proactive.actions import LAST_ERROR_PREFIX as PROACTIVE_ERROR_PREFIX
from proactive.models import ProactivePost

# The gateway checks in every SETTINGS_REFRESH_SECONDS; this many missed check-ins and it
# counts as down.
MISSED_CHECK_INS = 5


@dataclass
class Check:
    ok: bool
    title: str
    detail: str = ""
    advice: str = ""


@dataclass
class ServerCheck:
    server: DiscordServer
    problems: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Diagnostics:
    gateway: list[Check]
    endpoint: list[Check]
    servers: list[ServerCheck]


def diagnose(workspace: Workspace, now: datetime | None = None) -> Diagnostics:
    now = now or timezone.now()
    apps = list(
        BotApplication.objects.filter(Q(is_shared=True) | Q(workspace=workspace))
        .exclude(bot_token="")
        .order_by("-is_shared", "id")
    )
    servers = list(
        DiscordServer.objects.filter(workspace=workspace).select_related("application").order_by("name")
    )
    return Diagnostics(
        gateway=[_gateway(app, now) for app in apps],
        endpoint=[_endpoint(app) for app in apps],
        servers=[_server(server) for server in servers],
    )


def _label(app: BotApplication) -> str:
    return "The Guildmind bot" if app.is_shared else f"Your custom bot ({app.name or app.application_id})"


def _gateway(app: BotApplication, now: datetime) -> Check:
    label = _label(app)
    stale = timedelta(seconds=settings.SETTINGS_REFRESH_SECONDS * MISSED_CHECK_INS + 5)
    if app.gateway_seen_at is None or now - app.gateway_seen_at > stale:
        return Check(
            False,
            f"{label} is not connected: the gateway process is not running",
            "The gateway has not checked in"
            + (
                f" since {timezone.localtime(app.gateway_seen_at):%Y-%m-%d %H:%M}."
                if app.gateway_seen_at
                else " yet."
            ),
            "Start it with ./run.sh (it runs everything) or `manage.py discord_bot`, and check its log.",
        )
    if app.gateway_error:
        advice = "Check the bot token in the Developer Portal (Bot → Reset Token) and save it again."
        if "intent" in app.gateway_error.lower():
            advice = (
                "In the Developer Portal, open Bot → Privileged Gateway Intents, turn on Message Content."
            )
        elif "connecting" in app.gateway_error.lower():
            advice = "This usually takes a few seconds. If it stays, check the gateway's log."
        return Check(False, f"{label} is not connected", app.gateway_error, advice)
    return Check(True, f"{label} is connected to Discord")


def _endpoint(app: BotApplication) -> Check:
    label = _label(app)
    url = settings.SITE_URL.rstrip("/") + reverse("discord_webhook")
    if app.endpoint_verified_at is None:
        return Check(
            False,
            f"Discord has not reached the interactions endpoint for {label.lower()} yet",
            f"Interactions Endpoint URL: {url}",
            "Paste that URL in the Developer Portal (General Information → Interactions Endpoint URL) and "
            "save; Discord checks it at once. Until then /ask is answered over the gateway connection.",
        )
    when = timezone.localtime(app.endpoint_verified_at)
    return Check(
        True,
        f"Discord reaches the interactions endpoint ({label.lower()})",
        f"Last verified {when:%Y-%m-%d %H:%M}.",
    )


def _server(server: DiscordServer) -> ServerCheck:
    check = ServerCheck(server)
    name = server.name or server.guild_id
    if not server.connected:
        check.problems.append(
            Check(
                False,
                "The bot is no longer in this server",
                advice="Add it again with “Add to Discord”, or disconnect the server here.",
            )
        )
        return check
    if server.bot_permissions is not None and not server.bot_permissions & ADMINISTRATOR:
        forum_posts = ForumPost.objects.filter(
            workspace_id=server.workspace_id or 0, place_id=server.guild_id
        )
        missing = server_permissions(server, forum_posts=forum_posts.exists()) & ~server.bot_permissions
        if missing:
            names = ", ".join(permission_names(missing))
            check.problems.append(
                Check(
                    False,
                    f"The bot lacks permissions your settings need: {names}",
                    advice=f"In {name}: Server Settings → Roles → the bot's role → turn on {names}. "
                    "Or run “Add to Discord” again, which asks for them.",
                )
            )
    if server.moderation_enabled and server.roles_above_bot:
        roles = ", ".join(server.roles_above_bot[:10])
        check.problems.append(
            Check(
                False,
                "The bot's role is not high enough to moderate everyone",
                f"Roles above the bot's: {roles}. Members with these roles are never moderated.",
                f"In {name}: Server Settings → Roles, drag the bot's role above those it should moderate.",
            )
        )
    proactive_problem = _proactive(server)
    if proactive_problem is not None:
        check.problems.append(proactive_problem)
    # A failed proactive post is also the server's last error: reported once, above.
    reported = proactive_problem is not None and server.last_error.startswith(PROACTIVE_ERROR_PREFIX)
    if server.last_error and not reported:
        check.problems.append(
            Check(
                False,
                "Last error",
                server.last_error,
                "Usually a missing permission in that channel: check the channel's overrides for the bot.",
            )
        )
    return check


def _proactive(server: DiscordServer) -> Check | None:
    """The latest proactive post when it did not go out (the schedule keeps trying)."""
    if not server.proactive_enabled or server.workspace_id is None:
        return None
    latest = (
        ProactivePost.objects.filter(server=server, workspace_id=server.workspace_id)
        .exclude(status=ProactivePost.Status.POSTING)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or latest.status == ProactivePost.Status.POSTED:
        return None
    when = timezone.localtime(latest.finished_at or latest.created_at)
    retry = "It is tried again at the next scheduled run."
    if latest.status == ProactivePost.Status.SKIPPED:
        advice = "See the reason above."
        if latest.error.startswith("Nothing new"):
            advice = "Add knowledge on the topic, or choose another topic in the server's settings."
        return Check(
            False,
            "The last proactive post was skipped",
            f"{when:%Y-%m-%d %H:%M}: {latest.error}",
            f"{advice} {retry}",
        )
    error = latest.error.lower()
    if "no text channel named" in error:
        advice = (
            f"Create #{latest.channel_name} in Discord, or type the name of an existing channel in the "
            "server's proactive settings."
        )
    elif "may not post" in error:
        advice = (
            f"In Discord, open #{latest.channel_name} → Edit Channel → Permissions and allow the bot's role "
            "View Channel and Send Messages."
        )
    else:
        advice = "Check the bot's access to the server."
    return Check(
        False,
        f"The last proactive post to #{latest.channel_name} failed",
        f"{when:%Y-%m-%d %H:%M}: {latest.error}",
        f"{advice} {retry}",
    )
