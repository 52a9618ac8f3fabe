"""The minimal dashboard: overview, playground and a read-only knowledge page.

Every view is login_required and scopes its queries by ``get_workspace_for(request)``.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.actions import get_workspace_for
from accounts.forms import PlaygroundForm
from accounts.models import Workspace
from assistant.providers.base import Answer, Passage, Turn
from integrations.discordbot.models import DiscordServer
from knowledge.chunking import HEADING_SEPARATOR
from knowledge.models import KnowledgeSource

# How many messages (questions and answers together) the playground remembers; the
# answering layer trims further to AI_HISTORY_TURNS.
PLAYGROUND_MEMORY = 12
CHUNKS_SHOWN = 100
DISCORD_SETUP_HINT = (
    "Set DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY, DISCORD_BOT_TOKEN and DISCORD_CLIENT_SECRET "
    "in .env, then restart."
)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    sources = KnowledgeSource.objects.filter(workspace=workspace)
    counts = {row["status"]: row["n"] for row in sources.values("status").annotate(n=Count("id"))}
    statuses = [(label, counts.get(value, 0)) for value, label in KnowledgeSource.Status.choices]
    context = {
        "workspace": workspace,
        "source_total": sum(counts.values()),
        "source_statuses": statuses,
        "discord_configured": bool(settings.DISCORD_BOT_TOKEN),
        "discord_setup_hint": DISCORD_SETUP_HINT,
        "interactions_url": f"{settings.SITE_URL}/discord/webhook/",
        "servers": DiscordServer.objects.filter(workspace=workspace).order_by("name", "guild_id"),
    }
    return render(request, "accounts/overview.html", context)


@login_required
def knowledge(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    sources = list(KnowledgeSource.objects.filter(workspace=workspace))
    pending = any(
        s.status in (KnowledgeSource.Status.QUEUED, KnowledgeSource.Status.INDEXING) for s in sources
    )
    context = {"workspace": workspace, "sources": sources, "pending": pending}
    return render(request, "accounts/knowledge.html", context)


@login_required
def knowledge_source(request: HttpRequest, source_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    source = get_object_or_404(KnowledgeSource, id=source_id, workspace=workspace)
    chunks = list(source.chunks.order_by("ordinal")[:CHUNKS_SHOWN])
    context = {"workspace": workspace, "source": source, "chunks": chunks, "chunks_shown": CHUNKS_SHOWN}
    return render(request, "accounts/knowledge_source.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def playground(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    form = PlaygroundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        question = form.cleaned_data["question"]
        memory = _playground_memory(request, workspace)
        answer = _ask(workspace, question, memory)
        memory.append({"role": "member", "text": question})
        memory.append(_remember_answer(answer))
        _save_playground_memory(request, workspace, memory)
        # Redirect after POST so a reload does not ask again; the conversation is in the session.
        return redirect("playground")
    context = {"workspace": workspace, "form": form, "conversation": _playground_memory(request, workspace)}
    return render(request, "accounts/playground.html", context)


@login_required
@require_POST
def playground_clear(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    _save_playground_memory(request, workspace, [])
    messages.info(request, "Started a new conversation.")
    return redirect("playground")


def _ask(workspace: Workspace, question: str, memory: list[dict[str, Any]]) -> Answer:
    # Imported here so the dashboard keeps working (and tests can swap it) independently of
    # the assistant package's import-time cost.
    from assistant import answering

    history = [Turn(role=turn["role"], text=turn["text"]) for turn in memory]
    answer: Answer = async_to_sync(answering.answer_question)(
        workspace_id=workspace.id,
        question=question,
        history=history,
        instructions=workspace.ai_instructions,
    )
    return answer


def _remember_answer(answer: Answer) -> dict[str, Any]:
    from assistant import answering

    return {
        "role": "assistant",
        "text": answer.text,
        "grounded": answer.grounded,
        "failed": answer.failed,
        "sources": [_source_summary(p) for p in answer.sources],
        "discord_text": answering.format_reply(answer),
    }


def _source_summary(passage: Passage) -> dict[str, Any]:
    return {
        "title": passage.title,
        "heading": _section_of(passage),
        "url": passage.url,
        "source_id": passage.source_id,
    }


def _section_of(passage: Passage) -> str:
    """The passage's heading path without the document title it usually starts with."""
    heading = passage.heading.strip()
    prefix = passage.title + HEADING_SEPARATOR
    if heading.startswith(prefix):
        return heading[len(prefix) :]
    return "" if heading == passage.title else heading


def _memory_key(workspace: Workspace) -> str:
    return f"playground:{workspace.id}"


def _playground_memory(request: HttpRequest, workspace: Workspace) -> list[dict[str, Any]]:
    return list(request.session.get(_memory_key(workspace), []))


def _save_playground_memory(request: HttpRequest, workspace: Workspace, memory: list[dict[str, Any]]) -> None:
    request.session[_memory_key(workspace)] = memory[-PLAYGROUND_MEMORY:]
