"""A workspace's own Discord bot (the "Advanced" section of the Discord setup): its
Application ID, Public Key and Bot Token, checked against Discord before anything is saved.

The gateway process runs every application that has a token (``supervisor``): saving a custom
bot starts its connection within ``SETTINGS_REFRESH_SECONDS``, a new token restarts it, and
removing it (token and key emptied) stops it. The row itself stays, because its servers
reference it; they are marked disconnected so the gateway stops acting there at once.

The token is encrypted at rest (``EncryptedTextField``) and never rendered back: the page
shows ``token_hint`` only, and the token field does not echo what was typed.

The interactions endpoint caches public keys per process for ``webhook.KEY_CACHE_SECONDS``
(no query per request). A save or removal clears this process's cache once the transaction
commits; other web processes follow when their entries expire, within those seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace
from integrations.discordbot import webhook
from integrations.discordbot.install import (
    GUILD_INSTALL,
    HTTP_TIMEOUT_SECONDS,
    INSTALL_SCOPES,
    permissions_for,
)
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.permissions import MANAGE_THREADS
from integrations.discordbot.setup_forms import InstallForm

log = logging.getLogger(__name__)

# Application flags that say the Message Content intent is enabled (the second one is what
# Discord sets for bots in fewer than 100 servers, which is nearly every custom bot).
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19

_NOTHING_SAVED = "Nothing was saved."


class CustomBotError(Exception):
    """The custom bot cannot be saved; ``str(error)`` is the message for the owner and
    ``field`` the form field it belongs to (None for the form as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DiscordApplication:
    """What Discord says about the application a bot token belongs to."""

    id: str
    name: str
    verify_key: str
    flags: int


@dataclass
class SavedBot:
    app: BotApplication
    warnings: list[str] = field(default_factory=list)


# --- what the page shows ------------------------------------------------------------------


def custom_bot_of(workspace: Workspace) -> BotApplication | None:
    """The workspace's custom bot, or None when it has none (or removed it)."""
    return (
        BotApplication.objects.filter(workspace=workspace, is_shared=False)
        .exclude(bot_token="")
        .order_by("-updated_at", "-id")
        .first()
    )


def endpoint_url() -> str:
    """The Interactions Endpoint URL to paste into the Developer Portal."""
    return settings.SITE_URL + reverse("discord_webhook")


def invite_permissions() -> int:
    """What the invite link asks for: what the "Add to Discord" form starts with (answering,
    delete only, and Manage Threads for Solved forum posts)."""
    initial: Any = InstallForm.base_fields["actions"].initial
    bits = permissions_for(initial or [])
    return bits | MANAGE_THREADS if InstallForm.base_fields["forum_posts"].initial else bits


def invite_url(application_id: str) -> str:
    """The link that adds ``application_id``'s bot to a server, with /ask."""
    query = {
        "client_id": application_id,
        "scope": INSTALL_SCOPES,
        "permissions": str(invite_permissions()),
        "integration_type": str(GUILD_INSTALL),
    }
    return f"{settings.DISCORD_OAUTH_AUTHORIZE_URL}?{urlencode(query)}"


# --- Discord ------------------------------------------------------------------------------


def fetch_application(token: str) -> DiscordApplication:
    """The application ``token`` belongs to, from ``GET /oauth2/applications/@me``.
    Raises CustomBotError with the reason in plain words."""
    retry = "Could not reach Discord to check the token, so nothing was saved. Please try again in a moment"
    try:
        response = httpx.get(
            f"{settings.DISCORD_API_BASE_URL}/oauth2/applications/@me",
            headers={"Authorization": f"Bot {token}", "User-Agent": f"DiscordBot ({settings.SITE_URL}, 1)"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        log.warning("could not reach Discord to check a custom bot token: %r", exc)
        raise CustomBotError(f"{retry}.") from exc
    if response.status_code == 401:
        raise CustomBotError(
            "Discord refused this token: it is not a valid bot token (perhaps it was reset, or only "
            "part of it was copied). In the Developer Portal, open Bot → Reset Token and paste the new "
            f"token here. {_NOTHING_SAVED}",
            "bot_token",
        )
    if response.status_code == 429 or response.status_code >= 500:
        raise CustomBotError(f"{retry} (Discord answered {response.status_code}).")
    if response.status_code != 200:
        raise CustomBotError(
            f"Discord did not accept the token check (it answered {response.status_code}: "
            f"{_detail(response)}). {_NOTHING_SAVED}",
            "bot_token",
        )
    try:
        body: Any = response.json()
    except ValueError as exc:
        raise CustomBotError(f"{retry} (Discord's answer could not be read).") from exc
    if not isinstance(body, dict) or not str(body.get("id", "")).isdigit():
        raise CustomBotError(f"{retry} (Discord's answer named no application).")
    flags = body.get("flags")
    return DiscordApplication(
        id=str(body["id"]),
        name=str(body.get("name") or "")[:100],
        verify_key=str(body.get("verify_key") or "").lower(),
        flags=flags if isinstance(flags, int) and not isinstance(flags, bool) else 0,
    )


def _detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])[:200]
    return str(body)[:200]


def check_against_discord(application_id: str, public_key: str, token: str) -> DiscordApplication:
    """Ask Discord which application ``token`` belongs to; it must be ``application_id``,
    whose public key (when Discord shows it) must be ``public_key``. Raises CustomBotError."""
    found = fetch_application(token)
    if found.id != application_id:
        raise CustomBotError(
            f"This token belongs to application {found.id}, not {application_id}. Copy the Application "
            f"ID and the bot token from the same application. {_NOTHING_SAVED}",
            "bot_token",
        )
    if found.verify_key and found.verify_key != public_key:
        raise CustomBotError(
            f"This is not the public key of application {application_id}: copy it again from General "
            f"Information → Public Key. {_NOTHING_SAVED}",
            "public_key",
        )
    return found


# --- state changes ------------------------------------------------------------------------


def _refuse_if_taken(workspace: Workspace, application_id: str) -> None:
    if (
        application_id == settings.DISCORD_APPLICATION_ID
        or BotApplication.objects.filter(application_id=application_id, is_shared=True).exists()
    ):
        raise CustomBotError(
            f"Application {application_id} is this Guildmind's own bot: add it to your servers with "
            f"“Add to Discord” on the setup page instead. {_NOTHING_SAVED}",
            "application_id",
        )
    elsewhere = BotApplication.objects.filter(application_id=application_id).exclude(
        Q(workspace=workspace) & Q(is_shared=False)
    )
    if elsewhere.exists():
        raise CustomBotError(
            f"Application {application_id} is already connected to another Guildmind workspace, so it "
            f"was not added to this one. {_NOTHING_SAVED}",
            "application_id",
        )


def _retire(app: BotApplication) -> None:
    """Empty the bot's token and key (the gateway stops it, the endpoint stops accepting
    its signatures) and mark its servers disconnected. The row stays: servers reference it."""
    now = timezone.now()
    BotApplication.objects.filter(pk=app.pk).update(
        bot_token="", public_key="", client_secret="", gateway_error="", updated_at=now
    )
    # Bumping updated_at is what makes the gateway's server directory notice the change.
    DiscordServer.objects.filter(application=app).update(connected=False, updated_at=now)


def save_custom_bot(
    workspace: Workspace, *, application_id: str, public_key: str, token: str, name: str = ""
) -> BotApplication:
    """Record ``workspace``'s custom bot (one per workspace: a bot of another application is
    retired). Call after checking the token against Discord. Raises CustomBotError when the
    application belongs to another workspace or is the shared bot."""
    try:
        with transaction.atomic():
            _refuse_if_taken(workspace, application_id)
            others = (
                BotApplication.objects.select_for_update()
                .filter(workspace=workspace, is_shared=False)
                .exclude(application_id=application_id)
                .exclude(Q(bot_token="") & Q(public_key=""))
            )
            for other in others:
                _retire(other)
            app = (
                BotApplication.objects.select_for_update()
                .filter(application_id=application_id, workspace=workspace, is_shared=False)
                .first()
            ) or BotApplication(application_id=application_id, workspace=workspace, is_shared=False)
            if app.bot_token != token:
                app.gateway_error = ""  # about the previous token; the gateway reports anew
            if app.public_key != public_key:
                app.endpoint_verified_at = None  # Discord has not reached us with this key yet
            app.public_key, app.bot_token = public_key, token
            app.name = name or app.name
            app.save()
            transaction.on_commit(webhook.clear_caches)
    except IntegrityError as exc:
        # Another workspace saved the same application between our check and our insert.
        raise CustomBotError(
            f"Application {application_id} is already connected to another Guildmind workspace, so it "
            f"was not added to this one. {_NOTHING_SAVED}",
            "application_id",
        ) from exc
    return app


def connect_custom_bot(workspace: Workspace, *, application_id: str, public_key: str, token: str) -> SavedBot:
    """Check the token and key against Discord, then save ``workspace``'s custom bot.
    Raises CustomBotError (nothing saved) with the reason in plain words. Discord is asked
    before our own table, so only someone holding the token learns that an application is
    connected elsewhere."""
    found = check_against_discord(application_id, public_key, token)
    app = save_custom_bot(
        workspace, application_id=application_id, public_key=public_key, token=token, name=found.name
    )
    log.info("workspace %s saved custom bot %s", workspace.pk, application_id)
    saved = SavedBot(app)
    if not found.flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED):
        saved.warnings.append(
            "Discord says the Message Content intent is off for this bot, so it cannot connect yet: "
            "in the Developer Portal, open Bot → Privileged Gateway Intents and turn on Message "
            "Content Intent. The bot connects within seconds after that."
        )
    return saved


def remove_custom_bot(workspace: Workspace) -> BotApplication | None:
    """Retire ``workspace``'s custom bot (the gateway stops it within seconds, its servers
    are marked disconnected); returns it, or None when there was none."""
    with transaction.atomic():
        bots = list(
            BotApplication.objects.select_for_update()
            .filter(workspace=workspace, is_shared=False)
            .exclude(Q(bot_token="") & Q(public_key=""))
        )
        for bot in bots:
            _retire(bot)
        transaction.on_commit(webhook.clear_caches)
    for bot in bots:
        log.info("workspace %s removed custom bot %s", workspace.pk, bot.application_id)
    return bots[0] if bots else None
