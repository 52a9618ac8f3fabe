"""Dashboard pages to connect Discord servers ("Add to Discord"), list them and edit each
server's settings.

Thin adapters over ``integrations.discordbot.install``. Like every dashboard view these are
login_required and scope servers by ``get_workspace_for(request)``, so a server of another
workspace is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.actions import get_workspace_for
from accounts.models import Workspace
from integrations.discordbot.actions import ensure_shared_application, record_settings_saved
from integrations.discordbot.commands import sync_commands_for
from integrations.discordbot.diagnostics import diagnose
from integrations.discordbot.install import (
    DiscordRequestError,
    InstallError,
    callback_url,
    claim_state,
    connect_server,
    disconnect_server,
    exchange_code,
    fetch_text_channels,
    missing_install_settings,
    permission_names,
    server_permissions,
    start_install,
)
from integrations.discordbot.models import DiscordServer
from integrations.discordbot.permissions import enabled_but_lacking, lacking_for_actions
from integrations.discordbot.setup_forms import InstallForm, ServerSettingsForm
from moderation.rules import describe_rules
from usage.plans import plan_allows

# Discord's own words for an owner who pressed "Cancel" in its dialog.
_DENIED = "access_denied"


def _form_may_go_to_discord(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
    """The "Add to Discord" form posts to us and our answer redirects to Discord's consent
    page; browsers hold that redirect to the form-action of the page the form is on, so
    this page (only) also allows the consent page's origin, read per request from settings."""

    @wraps(view)
    def with_discord_form_action(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        parts = urlsplit(str(settings.DISCORD_OAUTH_AUTHORIZE_URL))
        allowed = csp_update({"form-action": [f"{parts.scheme}://{parts.netloc}"]})(view)
        return allowed(request, *args, **kwargs)

    return with_discord_form_action


def _setup_page(
    request: HttpRequest, workspace: Workspace, *, form: InstallForm | None = None, error: str = ""
) -> HttpResponse:
    context: dict[str, Any] = {
        "workspace": workspace,
        "form": form or InstallForm(),
        "missing_settings": missing_install_settings(),
        "callback_url": callback_url(),
        "install_error": error,
        "servers": DiscordServer.objects.filter(workspace=workspace).order_by("name", "guild_id"),
        "diagnostics": diagnose(workspace),
    }
    return render(request, "discord/setup.html", context, status=400 if error else 200)


@login_required
@require_GET
def servers(request: HttpRequest) -> HttpResponse:
    """The workspace's connected servers, with links to their settings and logs."""
    workspace = get_workspace_for(request)
    context = {
        "workspace": workspace,
        "servers": DiscordServer.objects.filter(workspace=workspace).order_by("name", "guild_id"),
    }
    return render(request, "discord/servers.html", context)


@login_required
@require_GET
@_form_may_go_to_discord
def setup(request: HttpRequest) -> HttpResponse:
    return _setup_page(request, get_workspace_for(request))


@login_required
@require_POST
@_form_may_go_to_discord
def install(request: HttpRequest) -> HttpResponse:
    """Start Discord's bot install for the current workspace."""
    workspace = get_workspace_for(request)
    form = InstallForm(request.POST)
    if missing_install_settings():
        return _setup_page(
            request, workspace, form=form, error="“Add to Discord” is not configured on this Guildmind yet."
        )
    if not form.is_valid():
        return _setup_page(request, workspace, form=form, error="Pick permissions from the list.")
    allowed = plan_allows(workspace, "discord")
    if not allowed.allowed:
        return _setup_page(request, workspace, form=form, error=f"{allowed.reason} See the Plan page.")
    if request.session.session_key is None:
        request.session.save()
    assert request.session.session_key is not None
    assert request.user.is_authenticated  # login_required
    url = start_install(
        session_key=request.session.session_key,
        user=request.user,
        workspace=workspace,
        permissions=form.permissions(),
    )
    return redirect(url)


@login_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Where Discord sends the owner back: check the state, exchange the code, record the
    server, register /ask and open the server's settings."""
    assert request.user.is_authenticated  # login_required
    try:
        state = claim_state(
            request.GET.get("state", ""), session_key=request.session.session_key or "", user=request.user
        )
    except InstallError as exc:
        return _setup_page(request, get_workspace_for(request), error=str(exc))
    workspace = state.workspace
    if "error" in request.GET:
        reason = request.GET.get("error_description") or request.GET["error"]
        if request.GET["error"] == _DENIED:
            reason = "you cancelled in Discord's dialog"
        return _setup_page(request, workspace, error=f"No server was connected: {reason[:200]}.")
    app = ensure_shared_application()
    if app is None:
        return _setup_page(
            request, workspace, error="“Add to Discord” is not configured on this Guildmind yet."
        )
    try:
        guild = exchange_code(request.GET.get("code", ""))
        server, _ = connect_server(workspace, app, guild)
    except InstallError as exc:
        return _setup_page(request, workspace, error=str(exc))
    messages.success(request, f"Connected “{server}”. Choose how the bot behaves there.")
    _warn_missing_permissions(request, asked=state.permissions, granted=request.GET.get("permissions"))
    error = sync_commands_for(app)
    if error:
        messages.warning(
            request, f"/ask could not be registered yet ({error}); it is retried when the bot starts."
        )
    return redirect("discord_server_settings", server_id=server.id)


def _warn_missing_permissions(request: HttpRequest, *, asked: int, granted: str | None) -> None:
    if granted is None or not granted.isdigit():
        return
    missing = permission_names(asked & ~int(granted))
    if missing:
        messages.warning(
            request,
            "Discord granted the bot fewer permissions than asked: " + ", ".join(missing) + ". "
            "Actions that need them will fail until you add the bot again with them.",
        )


def _warn_lacking_permissions(request: HttpRequest, server: DiscordServer) -> None:
    failing = enabled_but_lacking(server)
    if failing:
        names = ", ".join(f"“{name}”" for _, name in failing)
        messages.warning(
            request,
            f"The bot lacks Discord's {names} permission{'s' if len(failing) > 1 else ''} in “{server}”, "
            "so those actions will fail: give the bot's role the permission in Discord "
            "(Server Settings → Roles), or turn the action off.",
        )


@login_required
@require_http_methods(["GET", "POST"])
def server_settings(request: HttpRequest, server_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    server = get_object_or_404(
        DiscordServer.objects.select_related("application"), id=server_id, workspace=workspace
    )
    channels_error = ""
    try:
        channels = fetch_text_channels(server)
    except DiscordRequestError as exc:
        channels, channels_error = None, str(exc)
    form = ServerSettingsForm(request.POST or None, instance=server, channels=channels)
    if request.method == "POST" and form.is_valid():
        form.save()
        record_settings_saved(server)
        messages.success(request, f"Saved. The bot uses the new settings in “{server}” within seconds.")
        _warn_lacking_permissions(request, server)
        return redirect("discord_server_settings", server_id=server.id)
    context = {
        "workspace": workspace,
        "server": server,
        "form": form,
        "channels_error": channels_error,
        "needed_permissions": permission_names(server_permissions(server)),
        # Beside each action: the permission the bot lacks for it (as the gateway saw it).
        "lacking": lacking_for_actions(server),
        "failing": enabled_but_lacking(server),
        "rules_view": describe_rules(
            server.moderation_rules,
            window_days=server.moderation_window_days,
            enabled=tuple(
                a for a in ("delete", "warn", "timeout", "kick", "ban") if getattr(server, f"moderation_{a}")
            ),
        ),
    }
    return render(request, "discord/server_settings.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def server_disconnect(request: HttpRequest, server_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    server = get_object_or_404(
        DiscordServer.objects.select_related("application"), id=server_id, workspace=workspace
    )
    error = disconnect_server(server)
    if error:
        messages.warning(
            request,
            f"Disconnected “{server}”: the bot no longer acts there, but it could not leave the server "
            f"({error}). Remove it in Discord: Server Settings → Integrations.",
        )
    else:
        messages.success(request, f"Disconnected “{server}”; the bot left the server.")
    return redirect("discord_setup")
