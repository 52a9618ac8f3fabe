"""Dashboard pages of conversations: the live list, one conversation with its live
transcript, and human takeover (take over, reply, typing, hand back).

Scoped by ``get_workspace_for(request)``: another workspace's conversation is not found.
The pages poll JSON feeds (``static/js/live.js``) that return only what changed since the
page's cursor; every state change goes through ``conversations.actions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.actions import get_workspace_for
from accounts.models import Workspace
from conversations import live
from conversations.actions import agent_active, hand_back, record_agent_message, take_over
from conversations.delivery import Delivery, delivery_of
from conversations.feedback import Tally, tallies
from conversations.gaps import question_before
from conversations.live import Filters, Panel
from conversations.models import Conversation, Message
from conversations.tasks import post_agent_message
from integrations.discordbot.models import DiscordServer, channel_label, channel_names
from usage.plans import plan_allows

PER_PAGE = 50
# An agent's reply, with its "**Name (team):**" prefix, fits one Discord message.
REPLY_MAX = 1900
CHANNELS_SHOWN = 200
LIVE_MONITORING, TAKEOVER = "live_monitoring", "takeover"


def _feature_allowed(workspace: Workspace, feature: str) -> tuple[bool, str]:
    """Whether the workspace's plan includes ``feature`` (LIVE_MONITORING or TAKEOVER) and,
    when it does not, why, in words for the page."""
    check = plan_allows(workspace, feature)
    return check.allowed, check.reason


# --- the list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    conversation: Conversation
    state: str
    holder: str
    preview: Message | None
    channel: str  # "#name", or "#<id>" when the name is unknown


def _rows(conversations: list[Conversation], now: datetime) -> list[Row]:
    previews = live.last_messages([c.pk for c in conversations])
    names = channel_names(conversations[0].workspace_id) if conversations else {}
    rows = []
    for conversation in conversations:
        state = conversation.shown_state(now)
        holder = conversation.taken_by if state == Conversation.State.HUMAN else None
        rows.append(
            Row(
                conversation,
                state,
                live.display_name(holder) if holder is not None else "",
                previews.get(conversation.pk),
                channel_label(names, conversation.channel_id),
            )
        )
    return rows


@login_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    now = timezone.now()
    filters = Filters.from_query(request.GET)
    live_on, locked_reason = _feature_allowed(workspace, LIVE_MONITORING)
    conversations = filters.apply(live.conversations_of(workspace), now)
    page = Paginator(conversations, PER_PAGE).get_page(request.GET.get("page"))
    servers = DiscordServer.objects.filter(workspace=workspace).order_by("name")
    channels = Conversation.objects.filter(workspace=workspace)
    if filters.server:
        channels = channels.filter(place_id=filters.server)
    channel_ids = channels.order_by("channel_id").values_list("channel_id", flat=True).distinct()
    names = channel_names(workspace.pk, filters.server)
    channel_options = sorted(
        ((cid, channel_label(names, cid)) for cid in channel_ids[:CHANNELS_SHOWN]), key=lambda o: o[1]
    )
    # Live updates on the first page only: later pages hold older conversations.
    watching = live_on and page.number == 1
    return render(
        request,
        "conversations/list.html",
        {
            "workspace": workspace,
            "page": page,
            "rows": _rows(list(page.object_list), now),
            "filters": filters,
            "filter_query": filters.query_string(),
            "servers": servers,
            "channel_options": channel_options,
            "states": [("ai", "AI"), ("human", "Human (taken over)"), ("escalated", "Needs attention")],
            "live": live_on,
            "locked_reason": locked_reason,
            "cursor": live.list_cursor(workspace, now).encode() if watching else "",
            "watching": watching,
            "per_page": PER_PAGE,
        },
    )


@login_required
@require_GET
def conversation_feed(request: HttpRequest) -> HttpResponse:
    """What changed on the list since ``?since=<cursor>``, under the page's filters."""
    workspace = get_workspace_for(request)
    allowed, reason = _feature_allowed(workspace, LIVE_MONITORING)
    if not allowed:
        return JsonResponse({"locked": reason}, status=403)
    since = live.ListCursor.decode(request.GET.get("since", ""))
    if since is None:
        return JsonResponse({"error": "since must be a cursor given by this feed"}, status=400)
    now = timezone.now()
    changes = live.list_changes(workspace, since, Filters.from_query(request.GET), now)
    rows = _rows(changes.shown, now)
    patches: list[dict[str, Any]] = [{"id": f"conversation-{pk}", "remove": True} for pk in changes.dropped]
    for row in rows:
        html = render_to_string("conversations/_row.html", {"row": row}, request=request)
        moved = row.conversation.pk in changes.moved
        patches.append(
            {"id": f"conversation-{row.conversation.pk}", "html": html, "into": "conversation-rows"}
            | ({"at": "start"} if moved else {"at": "place"})
        )
    return JsonResponse(
        {
            "cursor": changes.cursor.encode(),
            "conversations": [_row_json(row) for row in rows],
            "dropped": changes.dropped,
            "patches": patches,
        }
    )


def _row_json(row: Row) -> dict[str, Any]:
    conversation = row.conversation
    return {
        "id": conversation.pk,
        "url": reverse("conversation_detail", args=[conversation.pk]),
        "member": conversation.member_name or conversation.member_id,
        "server": conversation.place_name or conversation.place_id,
        "channel": conversation.channel_id,
        "channel_name": row.channel,
        "state": row.state,
        "held_by": row.holder,
        "messages": getattr(conversation, "message_count", None),
        "last_message_at": conversation.last_message_at.isoformat(),
        "preview": row.preview.text[:200] if row.preview else "",
    }


# --- one conversation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    message: Message
    delivery: Delivery
    # Members' 👍/👎 on an AI answer (None when nobody rated it).
    feedback: Tally | None = None
    # For a team member's reply: the member's question it answers ("Save as knowledge").
    question: str = ""


def _lines(messages: Iterable[Message]) -> list[Line]:
    rows = list(messages)
    votes = tallies([m.pk for m in rows if m.role == Message.Role.ASSISTANT])
    lines, asked = [], ""
    for m in rows:
        if m.role == Message.Role.MEMBER:
            asked = m.text
        question = ""
        if m.role == Message.Role.AGENT:
            earlier = asked or getattr(question_before(m), "text", "")
            question = earlier[:500]
        lines.append(Line(m, delivery_of(m), votes.get(m.pk), question))
    return lines


def _conversation(request: HttpRequest, conversation_id: int) -> tuple[Workspace, Conversation]:
    workspace = get_workspace_for(request)
    conversations = Conversation.objects.select_related("taken_by")
    return workspace, get_object_or_404(conversations, pk=conversation_id, workspace=workspace)


def _panel_context(
    request: HttpRequest, workspace: Workspace, conversation: Conversation, panel: Panel
) -> dict[str, Any]:
    takeover_on, takeover_reason = _feature_allowed(workspace, TAKEOVER)
    return {
        "conversation": conversation,
        "panel": panel,
        "takeover": takeover_on,
        "takeover_reason": takeover_reason,
        "me": live.display_name(request.user),
    }


@login_required
@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    workspace, conversation = _conversation(request, conversation_id)
    now = timezone.now()
    live_on, locked_reason = _feature_allowed(workspace, LIVE_MONITORING)
    panel = live.panel_for(conversation, request.user, now)
    context = _panel_context(request, workspace, conversation, panel) | {
        "workspace": workspace,
        "lines": _lines(conversation.messages.all()),
        "live": live_on,
        "locked_reason": locked_reason,
        "cursor": live.detail_cursor(conversation, request.user, now).encode() if live_on else "",
        "reply_max": REPLY_MAX,
        "channel": channel_label(channel_names(workspace.pk, conversation.place_id), conversation.channel_id),
    }
    return render(request, "conversations/detail.html", context)


@login_required
@require_GET
def conversation_detail_feed(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """What changed in the conversation since ``?since=<cursor>``: new messages, agent
    messages that reached Discord or failed to, and the takeover panel when it changed."""
    workspace, conversation = _conversation(request, conversation_id)
    allowed, reason = _feature_allowed(workspace, LIVE_MONITORING)
    if not allowed:
        return JsonResponse({"locked": reason}, status=403)
    since = live.DetailCursor.decode(request.GET.get("since", ""))
    if since is None:
        return JsonResponse({"error": "since must be a cursor given by this feed"}, status=400)
    changes = live.detail_changes(conversation.pk, request.user, since, timezone.now())
    lines = _lines(changes.messages)
    patches: list[dict[str, Any]] = [
        {
            "id": f"message-{line.message.pk}",
            "html": render_to_string("conversations/_message.html", {"line": line}, request=request),
            "into": "transcript",
            "at": "end",
        }
        for line in lines
    ]
    body: dict[str, Any] = {
        "cursor": changes.cursor.encode(),
        "messages": [_message_json(line) for line in lines],
        "panel": None,
        "patches": patches,
    }
    if changes.panel_changed:
        panel = changes.panel
        context = _panel_context(request, workspace, changes.conversation, panel)
        html = render_to_string("conversations/_panel.html", context, request=request)
        patches.append({"id": "takeover-panel", "html": html})
        body["panel"] = {
            "state": panel.state,
            "held_by": panel.holder,
            "held_by_me": panel.held_by_me,
            "human_active": panel.human_active,
            "resumes_in": panel.resumes_in,
        }
        body["show"] = {"reply-form": panel.held_by_me}
    return JsonResponse(body)


def _message_json(line: Line) -> dict[str, Any]:
    message = line.message
    return {
        "id": message.pk,
        "role": message.role,
        "author": message.author_name,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "delivery": line.delivery.status,
        "delivery_error": line.delivery.reason,
    }


# --- takeover --------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _done(
    request: HttpRequest, conversation: Conversation, text: str, *, ok: bool = True, status: int = 200
) -> HttpResponse:
    """The answer to a takeover POST: JSON for the page's script, else back to the page."""
    if _wants_json(request):
        return JsonResponse({"ok": ok, "message": text}, status=status)
    if ok:
        flash.success(request, text)
    else:
        flash.error(request, text)
    return redirect("conversation_detail", conversation.pk)


def _holder(conversation_id: int) -> str:
    conversation = Conversation.objects.select_related("taken_by").get(pk=conversation_id)
    return live.display_name(conversation.taken_by) if conversation.taken_by else "another team member"


@login_required
@require_POST
def conversation_take_over(request: HttpRequest, conversation_id: int) -> HttpResponse:
    workspace, conversation = _conversation(request, conversation_id)
    allowed, reason = _feature_allowed(workspace, TAKEOVER)
    if not allowed:
        return _done(request, conversation, reason, ok=False, status=403)
    if not take_over(conversation.pk, request.user).ok:
        holder = _holder(conversation.pk)
        return _done(
            request,
            conversation,
            f"Taken by {holder}: they are answering this member, so the conversation stays "
            f"with them. You can take over after they have been inactive for 3 minutes.",
            ok=False,
            status=409,
        )
    return _done(
        request,
        conversation,
        "You have this conversation: the AI stays silent while you are active, and answers "
        "again by itself after 3 minutes without you typing or sending, or when you hand back.",
    )


@login_required
@require_POST
def conversation_reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    workspace, conversation = _conversation(request, conversation_id)
    allowed, reason = _feature_allowed(workspace, TAKEOVER)
    if not allowed:
        return _done(request, conversation, reason, ok=False, status=403)
    text = request.POST.get("text", "").strip()
    if not text:
        return _done(request, conversation, "Write a message first.", ok=False, status=400)
    if len(text) > REPLY_MAX:
        too_long = f"That is {len(text)} characters; a reply fits in {REPLY_MAX}. Send it in parts."
        return _done(request, conversation, too_long, ok=False, status=400)
    # Sending counts as activity, and is refused unless this agent holds the conversation.
    if not agent_active(conversation.pk, request.user):
        conversation.refresh_from_db()
        if conversation.state == Conversation.State.HUMAN and conversation.taken_by_id:
            refusal = f"Not sent: {_holder(conversation.pk)} has this conversation now."
        else:
            refusal = "Not sent: take the conversation over first."
        return _done(request, conversation, refusal, ok=False, status=409)
    message = record_agent_message(conversation, request.user, text)
    transaction.on_commit(lambda: post_agent_message(message.pk))
    return _done(request, conversation, "Sent: the bot posts it in Discord in a moment.")


@login_required
@require_POST
def conversation_typing(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The agent is typing (the page calls this every ~20 s while they do): the takeover
    stays on. 409 when they no longer hold the conversation."""
    workspace, conversation = _conversation(request, conversation_id)
    allowed, reason = _feature_allowed(workspace, TAKEOVER)
    if not allowed:
        return JsonResponse({"held": False, "message": reason}, status=403)
    held = agent_active(conversation.pk, request.user)
    return JsonResponse({"held": held}, status=200 if held else 409)


@login_required
@require_POST
def conversation_hand_back(request: HttpRequest, conversation_id: int) -> HttpResponse:
    # Allowed on any plan: giving a conversation back to the AI is always safe.
    _, conversation = _conversation(request, conversation_id)
    if conversation.taken_by_id != request.user.pk:
        return _done(request, conversation, "You do not have this conversation.", ok=False, status=409)
    hand_back(conversation.pk, request.user)
    return _done(request, conversation, "Handed back: the AI answers this member again.")
