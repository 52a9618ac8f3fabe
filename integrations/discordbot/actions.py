"""State changes for the Discord integration; the gateway, worker and dashboard call these."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from integrations.discordbot.models import BotApplication, DiscordServer

log = logging.getLogger(__name__)


def ensure_shared_application() -> BotApplication | None:
    """Create or update the shared application from settings; None when not configured."""
    if not (settings.DISCORD_APPLICATION_ID and settings.DISCORD_BOT_TOKEN):
        return None
    app, _ = BotApplication.objects.update_or_create(
        is_shared=True,
        defaults={
            "application_id": settings.DISCORD_APPLICATION_ID,
            "public_key": settings.DISCORD_PUBLIC_KEY,
            "bot_token": settings.DISCORD_BOT_TOKEN,
            "client_secret": settings.DISCORD_CLIENT_SECRET,
            "workspace": None,
        },
    )
    return app


def _default_workspace(app: BotApplication) -> Workspace | None:
    if app.workspace_id is not None:
        return app.workspace
    # A self-hosted install with a single workspace owns every server its bot joins;
    # with several, a server must be claimed through "Add to Discord".
    workspaces = list(Workspace.objects.order_by("id")[:2])
    return workspaces[0] if len(workspaces) == 1 else None


def record_guild_joined(
    application_id: str, *, guild_id: str, name: str, icon: str = ""
) -> DiscordServer | None:
    """Remember a guild the bot is in (called on READY/GUILD_CREATE); None for unknown apps."""
    app = BotApplication.objects.filter(application_id=application_id).first()
    if app is None:
        return None
    with transaction.atomic():
        server = DiscordServer.objects.select_for_update().filter(guild_id=guild_id).first()
        if server is None:
            return DiscordServer.objects.create(
                guild_id=guild_id, application=app, workspace=_default_workspace(app), name=name, icon=icon
            )
        if server.application_id != app.id:
            log.warning(
                "guild %s is connected through another application; ignoring %s", guild_id, application_id
            )
            return server
        changed = server.name != name or server.icon != icon or not server.connected
        if changed:
            server.name, server.icon, server.connected, server.left_at = name, icon, True, None
            server.save(update_fields=["name", "icon", "connected", "left_at", "updated_at"])
    return server


def record_guild_left(application_id: str, *, guild_id: str) -> None:
    DiscordServer.objects.filter(guild_id=guild_id, application__application_id=application_id).update(
        connected=False, left_at=timezone.now(), updated_at=timezone.now()
    )


def record_server_error(guild_id: str, error: str) -> None:
    DiscordServer.objects.filter(guild_id=guild_id).update(last_error=error[:2000])


def record_heartbeat(statuses: dict[int, str]) -> None:
    """The gateway process checks in for the bots it runs: application pk → why the bot is
    not connected ("" when it is). The dashboard's diagnostics read these."""
    now = timezone.now()
    for pk, error in statuses.items():
        BotApplication.objects.filter(pk=pk).update(gateway_seen_at=now, gateway_error=error[:2000])


def record_server_facts(
    application_id: str, guild_id: str, *, permissions: int, roles_above: list[str]
) -> None:
    """What the bot can do in a guild, for diagnostics (does not reload the gateway)."""
    DiscordServer.objects.filter(guild_id=guild_id, application__application_id=application_id).update(
        bot_permissions=permissions, roles_above_bot=roles_above[:50], facts_at=timezone.now()
    )


# A guild's names are capped so a server with a huge number of threads cannot grow one row
# without bound; the newest names win.
CHANNEL_NAMES_KEPT = 2000


def record_channel_names(application_id: str, guild_id: str, names: dict[str, str]) -> None:
    """Merge channel id -> name into the server's names (called by the gateway when it sees
    a guild or a channel created or renamed; does not reload the gateway)."""
    with transaction.atomic():
        server = (
            DiscordServer.objects.select_for_update()
            .filter(guild_id=guild_id, application__application_id=application_id)
            .only("pk", "channel_names")
            .first()
        )
        if server is None:
            return
        merged = {**(server.channel_names or {}), **{str(k): str(v)[:100] for k, v in names.items()}}
        if merged == server.channel_names:
            return
        if len(merged) > CHANNEL_NAMES_KEPT:
            merged = dict(list(merged.items())[-CHANNEL_NAMES_KEPT:])
        DiscordServer.objects.filter(pk=server.pk).update(channel_names=merged)


def record_settings_saved(server: DiscordServer) -> None:
    """The owner saved the server's settings (ticks "choose a mode" on the overview)."""
    DiscordServer.objects.filter(pk=server.pk).update(settings_saved_at=timezone.now())
