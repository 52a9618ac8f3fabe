"""The dashboard: overview and playground (the knowledge pages are in ``knowledge_views``).

Every view is login_required and looks objects up within ``get_workspace_for(request)``,
so another workspace's source is simply not found (404). State changes are POST only
(CSRF-checked) and go through ``knowledge.actions``; the views are thin adapters over it.

Pages work without JavaScript; htmx (when present) updates parts in place. A request from
htmx carries the ``HX-Request`` header and gets the fragment it swaps in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.actions import get_workspace_for
from accounts.forms import (
    ModerationCheckForm,
    PlaygroundForm,
)
from accounts.getting_started import checklist, record_playground_tried
from accounts.knowledge_views import is_htmx
from accounts.models import Workspace
from accounts.passages import passage_summary, source_summary
from accounts.playground import Consultation, ModerationPreview, consult, preview_moderation
from assistant.providers.base import Turn
from conversations import analytics
from integrations.discordbot.models import DiscordServer
from knowledge.models import KnowledgeSource

# How many messages (questions and answers together) the playground remembers; the
# answering layer trims further to AI_HISTORY_TURNS.
PLAYGROUND_MEMORY = 12
DISCORD_SETUP_HINT = (
    "Set DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY, DISCORD_BOT_TOKEN and DISCORD_CLIENT_SECRET "
    "in .env, then restart."
)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    sources = KnowledgeSource.objects.filter(workspace=workspace)
    counts = {row["status"]: row["n"] for row in sources.values("status").annotate(n=Count("id"))}
    # (status, label, count): each count links to the knowledge list filtered by it.
    statuses = [(value, label, counts.get(value, 0)) for value, label in KnowledgeSource.Status.choices]
    context = {
        "workspace": workspace,
        "source_total": sum(counts.values()),
        "source_statuses": statuses,
        "discord_configured": bool(settings.DISCORD_BOT_TOKEN),
        "discord_setup_hint": DISCORD_SETUP_HINT,
        "interactions_url": f"{settings.SITE_URL}/discord/webhook/",
        "servers": DiscordServer.objects.filter(workspace=workspace).order_by("name", "guild_id"),
        "figures": analytics.figures(workspace, timezone.now()),
        "steps": (steps := checklist(workspace)),
        "steps_done": sum(step.done for step in steps),
    }
    return render(request, "accounts/overview.html", context)


# --- Playground -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def playground(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    form = PlaygroundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        question = form.cleaned_data["question"]
        memory = _playground_memory(request, workspace)
        history = [Turn(role=turn["role"], text=turn["text"]) for turn in memory]
        consultation = consult(workspace, question, history)
        record_playground_tried(workspace)
        memory.append({"role": "member", "text": question})
        memory.append(_remember_answer(consultation))
        _save_playground_memory(request, workspace, memory)
        # Redirect after POST so a reload does not ask again; the conversation is in the session.
        return redirect("playground")
    return _playground_page(request, workspace, form=form)


@login_required
@require_POST
def playground_clear(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    _save_playground_memory(request, workspace, [])
    messages.info(request, "Started a new conversation.")
    return redirect("playground")


@login_required
@require_POST
def playground_moderation(request: HttpRequest) -> HttpResponse:
    """Check a pasted message against a server's rules: a dry run shown in place."""
    workspace = get_workspace_for(request)
    form = ModerationCheckForm(request.POST, workspace=workspace)
    preview = None
    if form.is_valid():
        preview = preview_moderation(
            form.cleaned_data["message"], server=form.cleaned_data["server"], rules=form.cleaned_data["rules"]
        )
    if is_htmx(request):
        context = {"workspace": workspace, "moderation_form": form, "preview": preview}
        return render(request, "accounts/playground_moderation.html", context)
    return _playground_page(request, workspace, moderation_form=form, preview=preview)


def _playground_page(
    request: HttpRequest,
    workspace: Workspace,
    *,
    form: PlaygroundForm | None = None,
    moderation_form: ModerationCheckForm | None = None,
    preview: ModerationPreview | None = None,
) -> HttpResponse:
    context = {
        "workspace": workspace,
        "form": form or PlaygroundForm(),
        "conversation": _playground_memory(request, workspace),
        "moderation_form": moderation_form or ModerationCheckForm(workspace=workspace),
        "preview": preview,
        "knowledge_empty": not KnowledgeSource.objects.filter(
            workspace=workspace, status=KnowledgeSource.Status.READY
        ).exists(),
    }
    return render(request, "accounts/playground.html", context)


def _remember_answer(consultation: Consultation) -> dict[str, Any]:
    from assistant import answering

    answer = consultation.answer
    return {
        "role": "assistant",
        "text": answer.text,
        "grounded": answer.grounded,
        "failed": answer.failed,
        "sources": [source_summary(p) for p in answer.sources],
        "retrieved": [passage_summary(p) for p in consultation.retrieved],
        "smart_reply": consultation.smart.reply,
        "smart_reason": consultation.smart.reason,
        "discord_text": answering.format_reply(answer),
    }


def _memory_key(workspace: Workspace) -> str:
    return f"playground:{workspace.id}"


def _playground_memory(request: HttpRequest, workspace: Workspace) -> list[dict[str, Any]]:
    return list(request.session.get(_memory_key(workspace), []))


def _save_playground_memory(request: HttpRequest, workspace: Workspace, memory: list[dict[str, Any]]) -> None:
    request.session[_memory_key(workspace)] = memory[-PLAYGROUND_MEMORY:]
