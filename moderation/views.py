"""The moderation log page: a server's entries, filtered by action and member.

Like every dashboard view, it is login_required and scopes its queries by
``get_workspace_for(request)``, so a server of another workspace is simply not found (404).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.actions import get_workspace_for
from integrations.discordbot.models import DiscordServer, channel_label
from moderation.forms import MEMBER_FILTER_MAX, ModerationLogFilter
from moderation.log import server_log
from moderation.models import ModerationEntry

ENTRIES_PER_PAGE = 50
# How much of an unknown filter value is echoed back in the notice.
ECHO_CHARS = 40


@login_required
@require_GET
def moderation_log(request: HttpRequest, server_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    server = get_object_or_404(DiscordServer, id=server_id, workspace=workspace)
    form = ModerationLogFilter(request.GET)
    form.is_valid()
    action, member, notices = _valid_filters(form)
    entries = _filtered_entries(server, action=action, member=member)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    names = server.channel_names or {}
    for entry in page.object_list:
        entry.channel_label = channel_label(names, entry.channel_id)  # type: ignore[attr-defined]
    filters = {key: value for key, value in (("action", action), ("member", member)) if value}
    context: dict[str, Any] = {
        "workspace": workspace,
        "server": server,
        "form": form,
        "notices": notices,
        "filtering": bool(filters),
        "filter_query": urlencode(filters),
        "page": page,
        "entries_per_page": ENTRIES_PER_PAGE,
    }
    return render(request, "moderation/log.html", context)


def _valid_filters(form: ModerationLogFilter) -> tuple[str, str, list[str]]:
    """The action and member filters that passed validation, and a plain-words notice for
    each one that did not (that filter is then ignored, never an error page)."""
    notices: list[str] = []
    cleaned = getattr(form, "cleaned_data", {})
    if "action" in form.errors:
        given = form.data.get("action", "")[:ECHO_CHARS]
        notices.append(f"“{given}” is not an action the moderation log records, so every action is shown.")
    if "member" in form.errors:
        notices.append(
            f"A member filter is at most {MEMBER_FILTER_MAX} characters, so every member is shown."
        )
    return cleaned.get("action", ""), cleaned.get("member", ""), notices


def _filtered_entries(server: DiscordServer, *, action: str, member: str) -> QuerySet[ModerationEntry]:
    """Newest first; ``member`` matches a member id exactly or a name case-insensitively."""
    entries = server_log(server, action=action)
    if member:
        entries = entries.filter(Q(member_id=member) | Q(member_name__icontains=member))
    return entries
