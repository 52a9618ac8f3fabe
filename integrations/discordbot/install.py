"""Connecting Discord servers to a workspace ("Add to Discord", Discord's OAuth2 bot install)
and disconnecting them.

The dashboard views in ``setup`` are thin adapters over these functions. Discord is reached
over plain REST at ``DISCORD_API_BASE_URL`` (Discord itself, or the simulator in tests);
every failure becomes an :class:`InstallError` or a returned message in plain words, never
a stack trace on the owner's screen.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.actions import workspaces_of
from accounts.models import Workspace
from integrations.discordbot.models import BotApplication, DiscordServer, OAuthState
from integrations.discordbot.permissions import (  # the install's permissions, re-exported
    ACTION_PERMISSIONS as ACTION_PERMISSIONS,
)
from integrations.discordbot.permissions import ADMINISTRATOR as ADMINISTRATOR
from integrations.discordbot.permissions import BASE_PERMISSIONS as BASE_PERMISSIONS
from integrations.discordbot.permissions import MANAGE_MESSAGES as MANAGE_MESSAGES
from integrations.discordbot.permissions import SEND_MESSAGES as SEND_MESSAGES
from integrations.discordbot.permissions import permission_names as permission_names
from integrations.discordbot.permissions import permissions_for as permissions_for
from integrations.discordbot.permissions import server_permissions as server_permissions
from moderation.models import ModerationEntry

log = logging.getLogger(__name__)

INSTALL_SCOPES = "bot applications.commands"
GUILD_INSTALL = 0  # integration_type: installed to a server, not to a user
STATE_TTL = timedelta(minutes=10)
# Used and expired states are kept this long, so a late or repeated callback gets an
# accurate message ("already used", "expired") rather than "not issued here".
STATE_RETENTION = timedelta(days=1)
HTTP_TIMEOUT_SECONDS = 10.0
CHOOSABLE_TYPES = {0: "text", 5: "text", 15: "forum", 4: "category"}  # threads included

# The per-server settings the dashboard edits; a server claimed by a new workspace starts
# from their defaults so nothing of an earlier workspace carries over.
SETTINGS_FIELDS = [
    "response_mode",
    "smart_mode",
    "channel_awareness",
    "thread_per_question",
    "channel_ids",
    "feedback_buttons",
    "solved_tag_name",
    "close_on_solved",
    "moderation_enabled",
    "moderation_rules",
    "moderation_delete",
    "moderation_warn",
    "moderation_timeout",
    "moderation_kick",
    "moderation_ban",
    "moderation_dry_run",
    "moderation_window_days",
    "moderation_exempt_role_ids",
    "moderation_exempt_channel_ids",
    "proactive_enabled",
    "proactive_channel",
    "proactive_frequency",
    "proactive_topic",
]


class InstallError(Exception):
    """An install that cannot go on; ``str(error)`` is the message for the owner."""


class DiscordRequestError(Exception):
    """A REST call to Discord failed; ``str(error)`` says why in plain words."""


@dataclass(frozen=True)
class InstalledGuild:
    """The server Discord names in its answer to a bot-scope code exchange."""

    id: str
    name: str
    icon: str


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    kind: str = "text"  # or "forum", "category"


# --- configuration ------------------------------------------------------------------------


def missing_install_settings() -> list[str]:
    """The settings "Add to Discord" needs that are not set; empty when it can run."""
    required = ("DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN", "DISCORD_CLIENT_SECRET")
    return [name for name in required if not getattr(settings, name, "")]


def callback_url() -> str:
    """The redirect URI Discord sends the owner back to; register it in the Developer Portal."""
    return settings.SITE_URL + reverse("discord_install_callback")


def _authorize_url() -> str:
    return str(settings.DISCORD_OAUTH_AUTHORIZE_URL)


# --- OAuth state --------------------------------------------------------------------------


def _hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start_install(*, session_key: str, user: AbstractBaseUser, workspace: Workspace, permissions: int) -> str:
    """Record a fresh single-use state bound to this session, user and workspace, and return
    the Discord authorization URL to send the owner to."""
    now = timezone.now()
    OAuthState.objects.filter(expires_at__lt=now - STATE_RETENTION).delete()
    state = secrets.token_urlsafe(32)
    OAuthState.objects.create(
        state_hash=_hash_state(state),
        session_key=session_key,
        user_id=user.pk,
        workspace=workspace,
        permissions=permissions,
        expires_at=now + STATE_TTL,
    )
    query = {
        "client_id": settings.DISCORD_APPLICATION_ID,
        "scope": INSTALL_SCOPES,
        "permissions": str(permissions),
        "response_type": "code",
        "redirect_uri": callback_url(),
        "integration_type": str(GUILD_INSTALL),
        "state": state,
    }
    return f"{_authorize_url()}?{urlencode(query)}"


def claim_state(state: str, *, session_key: str, user: AbstractBaseUser) -> OAuthState:
    """The install ``state`` belongs to, marked used. Raises InstallError when the state was
    not issued here, belongs to another session or user, was used already or expired, or
    its workspace is no longer the user's."""
    again = "Click “Add to Discord” to start again."
    row = OAuthState.objects.filter(state_hash=_hash_state(state)).first() if state else None
    if row is None:
        raise InstallError(
            f"This install link was not started from this dashboard, so it was refused. {again}"
        )
    if row.session_key != session_key or row.user_id != user.pk:
        raise InstallError(
            "This install was started in another browser session (or you signed in again since), "
            f"so it was refused. {again}"
        )
    if row.used_at is not None:
        raise InstallError(f"This install link was already used; each one works once. {again}")
    now = timezone.now()
    if row.expires_at <= now:
        minutes = int(STATE_TTL.total_seconds() // 60)
        raise InstallError(f"This install link expired (they last {minutes} minutes). {again}")
    # Two callbacks racing with the same state: only the one whose update lands goes on.
    if OAuthState.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise InstallError(f"This install link was already used; each one works once. {again}")
    if not workspaces_of(user).filter(id=row.workspace_id).exists():
        raise InstallError("You are no longer a member of the workspace this install was started for.")
    return row


# --- Discord REST -------------------------------------------------------------------------


def _api(path: str) -> str:
    return f"{settings.DISCORD_API_BASE_URL}{path}"


def _bot_headers(app: BotApplication) -> dict[str, str]:
    return {"Authorization": f"Bot {app.bot_token}", "User-Agent": f"DiscordBot ({settings.SITE_URL}, 1)"}


def _error_detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("message") or body.get("error") or body)
    return str(body)[:200]


def exchange_code(code: str) -> InstalledGuild:
    """Trade the authorization code for a token at Discord's token endpoint and return the
    server the bot was added to. Raises InstallError with the reason in plain words."""
    if not code:
        raise InstallError("Discord sent no authorization code, so no server was connected.")
    try:
        response = httpx.post(
            _api("/oauth2/token"),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": callback_url()},
            auth=(settings.DISCORD_APPLICATION_ID, settings.DISCORD_CLIENT_SECRET),
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise InstallError(
            f"Could not reach Discord to finish the install ({exc}). Please try again."
        ) from exc
    if response.status_code == 401:
        log.error("Discord refused our client credentials: %s", _error_detail(response))
        raise InstallError(
            "Discord refused this Guildmind's application credentials, so no server was connected. "
            "The operator should check DISCORD_APPLICATION_ID and DISCORD_CLIENT_SECRET."
        )
    if response.status_code >= 400:
        raise InstallError(
            f"Discord did not accept the authorization ({_error_detail(response)}), so no server was "
            "connected. Authorizations work once and only for a few minutes: click “Add to Discord” again."
        )
    try:
        token: Any = response.json()
    except ValueError as exc:
        raise InstallError("Discord's answer could not be read, so no server was connected.") from exc
    guild = token.get("guild") if isinstance(token, dict) else None
    scopes = str(token.get("scope", "")).split() if isinstance(token, dict) else []
    if "bot" not in scopes or not isinstance(guild, dict) or not str(guild.get("id", "")).isdigit():
        raise InstallError(
            "Discord's answer named no server: the bot was not added anywhere. Pick a server in "
            "Discord's dialog and approve adding the bot."
        )
    return InstalledGuild(
        id=str(guild["id"]), name=str(guild.get("name") or "")[:100], icon=str(guild.get("icon") or "")[:64]
    )


def fetch_text_channels(server: DiscordServer) -> list[Channel]:
    """The server's text and announcement channels in Discord's order, as the bot sees
    them. Raises DiscordRequestError."""
    try:
        response = httpx.get(
            _api(f"/guilds/{server.guild_id}/channels"),
            headers=_bot_headers(server.application),
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise DiscordRequestError(f"could not reach Discord ({exc})") from exc
    if response.status_code != 200:
        raise DiscordRequestError(f"Discord answered {response.status_code}: {_error_detail(response)}")
    try:
        rows: Any = response.json()
    except ValueError as exc:
        raise DiscordRequestError("Discord's answer could not be read") from exc
    if not isinstance(rows, list):
        raise DiscordRequestError("Discord's answer was not a channel list")
    channels = [c for c in rows if isinstance(c, dict) and c.get("type") in CHOOSABLE_TYPES and c.get("id")]
    channels.sort(key=lambda c: (int(c.get("position") or 0), str(c["id"])))
    kinds = [CHOOSABLE_TYPES[c["type"]] for c in channels]
    return [
        Channel(str(c["id"]), str(c.get("name") or c["id"]), k) for c, k in zip(channels, kinds, strict=True)
    ]


def _leave_guild(app: BotApplication, guild_id: str) -> str | None:
    """Make the bot leave the guild; None when it is gone, otherwise why not."""
    if not app.bot_token:
        return "the bot has no token here, so it could not leave the server"
    try:
        response = httpx.delete(
            _api(f"/users/@me/guilds/{guild_id}"), headers=_bot_headers(app), timeout=HTTP_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        return f"could not reach Discord ({exc})"
    # 404: the bot was not in the guild any more, which is what we wanted.
    if response.status_code in (200, 204, 404):
        return None
    if response.status_code == 401:
        return "Discord refused the bot token"
    return f"Discord answered {response.status_code}: {_error_detail(response)}"


# --- servers ------------------------------------------------------------------------------


def _reset_settings(server: DiscordServer) -> None:
    for name in SETTINGS_FIELDS:
        field = DiscordServer._meta.get_field(name)
        assert isinstance(field, models.Field)
        setattr(server, name, field.get_default())


def connect_server(
    workspace: Workspace, app: BotApplication, guild: InstalledGuild
) -> tuple[DiscordServer, bool]:
    """Record ``guild`` under ``workspace`` (installed through ``app``); returns the server and
    whether it is new to the workspace. Raises InstallError when another workspace has it.

    A server the gateway already recorded without a workspace (or one disconnected earlier)
    is claimed with default settings, and moderation log entries of any earlier workspace
    are dropped, so nothing of another team shows up here."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _connect_locked(workspace, app, guild)
        except IntegrityError:
            # The gateway created the row (GUILD_CREATE) between our lookup and insert.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _connect_locked(
    workspace: Workspace, app: BotApplication, guild: InstalledGuild
) -> tuple[DiscordServer, bool]:
    server = DiscordServer.objects.select_for_update().filter(guild_id=guild.id).first()
    if server is None:
        server = DiscordServer.objects.create(
            guild_id=guild.id, application=app, workspace=workspace, name=guild.name, icon=guild.icon
        )
        return server, True
    if server.workspace_id is not None and server.workspace_id != workspace.id:
        raise InstallError(
            f"The server “{guild.name or guild.id}” is already connected to another Guildmind workspace, "
            "so it was not added to this one. Someone in that workspace must disconnect it first."
        )
    claimed = server.workspace_id is None
    if claimed:
        _reset_settings(server)
        ModerationEntry.objects.filter(server=server).exclude(workspace=workspace).delete()
    server.workspace = workspace
    server.application = app
    server.name, server.icon = guild.name or server.name, guild.icon
    server.connected, server.left_at = True, None
    server.save()
    return server, claimed


def disconnect_server(server: DiscordServer) -> str | None:
    """Detach ``server`` from its workspace (the gateway stops acting there within
    ``SETTINGS_REFRESH_SECONDS``) and make the bot leave it. Returns None when the bot left,
    otherwise why it could not; the server is detached either way."""
    now = timezone.now()
    DiscordServer.objects.filter(pk=server.pk).update(workspace=None, updated_at=now)
    error = _leave_guild(server.application, server.guild_id)
    if error is None:
        DiscordServer.objects.filter(pk=server.pk).update(connected=False, left_at=now, updated_at=now)
    else:
        log.warning("disconnected server %s, but the bot could not leave it: %s", server.guild_id, error)
    return error
