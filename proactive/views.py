"""Dashboard pages of proactive messages: a server's posts and next run, and "Post now"
(preview first, then send what was previewed).

Thin adapters over ``proactive.actions``. Like every dashboard view these
are login_required and find the server in the member's workspace only (another
workspace's server is a 404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.actions import get_workspace_for
from integrations.discordbot.models import DiscordServer
from proactive import actions, schedule
from proactive.models import ProactivePost

# The preview form carries the text it showed, signed, so "Send" posts exactly that text
# and nothing a tampered form says; a preview left open this long must be made again.
PREVIEW_SALT = "guildmind.proactive.post-now"
PREVIEW_MAX_AGE_SECONDS = 60 * 60
RECENT_POSTS = 5
HISTORY_POSTS = 100


def _server(request: HttpRequest, server_id: int) -> DiscordServer:
    return get_object_or_404(
        DiscordServer.objects.select_related("application"),
        id=server_id,
        workspace=get_workspace_for(request),
    )


def _schedule_context(server: DiscordServer, limit: int) -> dict[str, Any]:
    now = timezone.now()
    upcoming = schedule.next_run(server, now)
    posts = ProactivePost.objects.filter(server=server, workspace=server.workspace).order_by(
        "-run_at", "-id"
    )[:limit]
    return {
        "server": server,
        "posts": list(posts),
        "next_run": upcoming,
        "next_run_due": upcoming is not None and upcoming <= now,
    }


@login_required
@require_GET
def proactive_panel(request: HttpRequest, server_id: int) -> HttpResponse:
    """The proactive section of the server's settings page (loaded into it by htmx)."""
    server = _server(request, server_id)
    context = _schedule_context(server, RECENT_POSTS)
    return render(request, "proactive/_panel.html", {**context, "compact": True})


@login_required
@require_GET
def proactive_history(request: HttpRequest, server_id: int) -> HttpResponse:
    server = _server(request, server_id)
    context = _schedule_context(server, HISTORY_POSTS)
    return render(request, "proactive/history.html", {**context, "workspace": server.workspace})


@login_required
@require_POST
def proactive_preview(request: HttpRequest, server_id: int) -> HttpResponse:
    """Compose the post "Post now" would send; nothing is sent or counted yet."""
    server = _server(request, server_id)
    previewed_at = timezone.now()
    preview = actions.preview_post(server)
    token = ""
    if preview.text and not preview.error:
        token = signing.dumps(
            {"server": server.pk, "text": preview.text, "at": previewed_at.isoformat()}, salt=PREVIEW_SALT
        )
    context = {"server": server, "workspace": server.workspace, "preview": preview, "token": token}
    return render(request, "proactive/preview.html", context)


@login_required
@require_POST
def proactive_send(request: HttpRequest, server_id: int) -> HttpResponse:
    """Send the previewed post (once, however often the form is submitted)."""
    server = _server(request, server_id)
    try:
        signed: Any = signing.loads(
            request.POST.get("token", ""), salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE_SECONDS
        )
        if signed["server"] != server.pk:
            raise Http404("this preview belongs to another server")
        text, previewed_at = str(signed["text"]), datetime.fromisoformat(signed["at"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        messages.error(request, "That preview is too old or was changed; nothing was sent. Make a new one.")
        return redirect("discord_proactive", server_id=server.pk)
    post, sent_now = actions.send_now(server, text, previewed_at)
    if not sent_now:
        messages.info(request, "That preview was sent already; it was not posted again.")
    elif post.status == ProactivePost.Status.POSTED:
        messages.success(request, f"Posted in #{post.channel_name}. It counts as one message.")
    else:
        messages.error(request, f"Not posted: {post.error}")
    return redirect("discord_proactive", server_id=server.pk)
