"""The knowledge gaps page: what members asked that the bot could not answer, grouped, with
an "Answer this" form that writes a knowledge entry the bot answers from at once; and
"Save as knowledge" on a team member's reply in a conversation (the member's question and
the reply, the same way)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.actions import get_workspace_for
from accounts.models import Workspace
from conversations.forum_posts import post_counts, unanswered_posts
from conversations.gaps import close_gap, knowledge_gaps, question_before
from conversations.models import Message
from knowledge.actions import add_text_source
from knowledge.errors import KnowledgeError
from knowledge.ingestion import ingest_source
from knowledge.models import KnowledgeSource

MAX_IDS = 500


def add_answer(workspace: Workspace, question: str, answer: str) -> KnowledgeSource:
    """A knowledge entry of one question and its answer, indexed now (it is short), so the
    bot answers from it at once. Raises KnowledgeError when it cannot be added."""
    source = add_text_source(workspace, title=question, text=f"{question}\n\n{answer}", enqueue=False)
    ingest_source(source.pk)
    return source


class GapAnswerForm(forms.Form):
    question = forms.CharField(max_length=500)
    answer = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))
    ids = forms.CharField(max_length=20 * MAX_IDS, widget=forms.HiddenInput)

    def clean_ids(self) -> list[int]:
        parts = [p for p in str(self.cleaned_data["ids"]).split(",") if p.strip()]
        if not parts or len(parts) > MAX_IDS or not all(p.strip().isdigit() for p in parts):
            raise forms.ValidationError("Reload the page: this gap's questions were not understood.")
        return [int(p) for p in parts]


@login_required
@require_GET
def gaps_page(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    return _render(request, workspace)


@login_required
@require_POST
def answer_gap(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    form = GapAnswerForm(request.POST)
    if form.is_valid():
        question, answer = form.cleaned_data["question"].strip(), form.cleaned_data["answer"].strip()
        try:
            source = add_answer(workspace, question, answer)
        except KnowledgeError as error:
            form.add_error("answer", str(error))
        else:
            close_gap(workspace.pk, form.cleaned_data["ids"])
            flash.success(
                request, f"Added to the knowledge base: “{source.title}”. The bot answers it from now on."
            )
            return redirect("knowledge_gaps")
    return _render(request, workspace, failed=form, status=400)


class SaveReplyForm(forms.Form):
    question = forms.CharField(max_length=500)
    answer = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))


@login_required
@require_POST
def save_reply_as_knowledge(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """A team member's reply, with the question it answers, becomes a knowledge entry
    indexed at once; the question leaves the gaps list."""
    workspace = get_workspace_for(request)
    reply = get_object_or_404(
        Message,
        pk=message_id,
        conversation_id=conversation_id,
        conversation__workspace=workspace,
        role=Message.Role.AGENT,
    )
    form = SaveReplyForm(request.POST)
    if not form.is_valid():
        flash.error(request, "Give the entry a question and an answer to save it as knowledge.")
        return redirect("conversation_detail", conversation_id)
    question, answer = form.cleaned_data["question"].strip(), form.cleaned_data["answer"].strip()
    try:
        source = add_answer(workspace, question, answer)
    except KnowledgeError as error:
        flash.error(request, str(error))
        return redirect("conversation_detail", conversation_id)
    asked = question_before(reply)
    if asked is not None:
        close_gap(workspace.pk, [asked.pk])
    flash.success(request, f"Added to the knowledge base: “{source.title}”. The bot answers it from now on.")
    return redirect("conversation_detail", conversation_id)


def _render(
    request: HttpRequest, workspace: Workspace, *, failed: GapAnswerForm | None = None, status: int = 200
) -> HttpResponse:
    gaps = knowledge_gaps(workspace.pk)
    rows = []
    for gap in gaps:
        form = failed if failed is not None and failed.data.get("ids") == gap.ids else None
        rows.append((gap, form or GapAnswerForm(initial={"question": gap.question, "ids": gap.ids})))
    hours = settings.GAPS_UNANSWERED_POST_HOURS
    context = {
        "workspace": workspace,
        "rows": rows,
        "posts": post_counts(workspace.pk),
        "unanswered_posts": unanswered_posts(workspace.pk, hours=hours),
        "unanswered_hours": hours,
    }
    return render(request, "conversations/gaps.html", context, status=status)
