"""Dashboard pages: every conversation of the workspace, and one conversation's messages.

Scoped by ``get_workspace_for(request)``: another workspace's conversation is not found.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.actions import get_workspace_for
from conversations.models import Conversation
from integrations.discordbot.models import DiscordServer

PER_PAGE = 50


@login_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    conversations = (
        Conversation.objects.filter(workspace=workspace)
        .annotate(message_count=Count("messages"))
        .order_by("-last_message_at", "-id")
    )
    servers = DiscordServer.objects.filter(workspace=workspace).order_by("name")
    server_id = request.GET.get("server", "")
    chosen = servers.filter(guild_id=server_id).first() if server_id.isdigit() else None
    if chosen is not None:
        conversations = conversations.filter(source="discord", place_id=chosen.guild_id)
    state = request.GET.get("state", "")
    if state in Conversation.State.values:
        conversations = conversations.filter(state=state)
    page = Paginator(conversations, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "conversations/list.html",
        {
            "workspace": workspace,
            "page": page,
            "servers": servers,
            "chosen_server": chosen,
            "state": state,
            "states": Conversation.State.choices,
        },
    )


@login_required
@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    conversation = get_object_or_404(Conversation, pk=conversation_id, workspace=workspace)
    return render(
        request,
        "conversations/detail.html",
        {"workspace": workspace, "conversation": conversation, "messages": conversation.messages.all()},
    )
