"""The knowledge pages: the sources list (search, status filter, pages), adding a text,
file or URL source, a source's passages, re-indexing and deleting.

Every view is login_required and looks objects up within ``get_workspace_for(request)``,
so another workspace's source is simply not found (404). State changes are POST only
(CSRF-checked) and go through ``knowledge.actions``; the views are thin adapters over it.
A request from htmx carries the ``HX-Request`` header and gets the fragment it swaps in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.actions import get_workspace_for
from accounts.forms import FileSourceForm, KnowledgeSearchForm, TextSourceForm, UrlSourceForm
from accounts.models import Workspace
from accounts.passages import passage_summary
from accounts.source_list import list_query, passages_page, sources_page
from knowledge import actions, search
from knowledge.errors import KnowledgeError
from knowledge.models import KnowledgeSource
from knowledge.reembedding import embedding_status

PENDING = (KnowledgeSource.Status.QUEUED, KnowledgeSource.Status.INDEXING)


@login_required
@require_GET
def knowledge(request: HttpRequest) -> HttpResponse:
    """The sources with their status (``?find=`` words, ``?status=``, ``?page=``), the
    three ways to add one, and the search box (``?q=`` shows results here when htmx is
    not there to fetch them)."""
    return _knowledge_page(request, get_workspace_for(request))


@login_required
@require_GET
def knowledge_sources(request: HttpRequest) -> HttpResponse:
    """The sources table alone (the page of it the filters give): what the page polls while
    something is being indexed."""
    workspace = get_workspace_for(request)
    return render(request, "accounts/knowledge_sources.html", _sources_context(workspace, request.GET))


@login_required
@require_GET
def knowledge_search(request: HttpRequest) -> HttpResponse:
    """What the bot would retrieve for a question (the fragment the search box swaps in)."""
    workspace = get_workspace_for(request)
    form = KnowledgeSearchForm(request.GET)
    return render(request, "accounts/knowledge_search.html", _search_context(workspace, form))


@login_required
@require_POST
def knowledge_add_text(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    form = TextSourceForm(request.POST)
    if form.is_valid():
        try:
            source = actions.add_text_source(
                workspace, title=form.cleaned_data["title"], text=form.cleaned_data["text"]
            )
        except KnowledgeError as error:
            form.add_error("text", str(error))
        else:
            return _added(request, source)
    return _knowledge_page(request, workspace, text_form=form, open_form="text")


@login_required
@require_POST
def knowledge_add_file(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    form = FileSourceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            source = actions.add_file_source(
                workspace, upload=form.cleaned_data["file"], title=form.cleaned_data["title"]
            )
        except KnowledgeError as error:
            form.add_error("file", str(error))
        else:
            return _added(request, source)
    return _knowledge_page(request, workspace, file_form=form, open_form="file")


@login_required
@require_POST
def knowledge_add_url(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    form = UrlSourceForm(request.POST)
    if form.is_valid():
        try:
            source = actions.add_url_source(workspace, url=form.cleaned_data["url"], sitemap=form.is_sitemap)
        except KnowledgeError as error:
            form.add_error("url", str(error))
        else:
            return _added(request, source)
    return _knowledge_page(request, workspace, url_form=form, open_form="url")


@login_required
def knowledge_source(request: HttpRequest, source_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    source = get_object_or_404(KnowledgeSource, id=source_id, workspace=workspace)
    chunks = passages_page(source, request.GET.get("page"))
    context = {
        "workspace": workspace,
        "source": source,
        "chunks": chunks,
        "pending": source.status in PENDING,
    }
    return render(request, "accounts/knowledge_source.html", context)


@login_required
@require_POST
def knowledge_reindex(request: HttpRequest, source_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    source = get_object_or_404(KnowledgeSource, id=source_id, workspace=workspace)
    actions.reindex_source(source)
    notice = f"“{source.title}” is queued for indexing again; its current passages keep answering until then."
    back = reverse("knowledge_source", args=[source.id]) if _from_source_page(request) else None
    return _changed(request, workspace, notice, back)


@login_required
@require_POST
def knowledge_delete(request: HttpRequest, source_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    source = get_object_or_404(KnowledgeSource, id=source_id, workspace=workspace)
    title = source.title
    actions.delete_source(source)
    notice = f"Deleted “{title}”. The bot no longer answers from it."
    # The source's own page is gone: back to the list from there too.
    back = reverse("knowledge") if _from_source_page(request) else None
    return _changed(request, workspace, notice, back)


def _knowledge_page(
    request: HttpRequest,
    workspace: Workspace,
    *,
    text_form: TextSourceForm | None = None,
    file_form: FileSourceForm | None = None,
    url_form: UrlSourceForm | None = None,
    open_form: str = "",
) -> HttpResponse:
    search_form = KnowledgeSearchForm(request.GET if "q" in request.GET else None)
    context: dict[str, Any] = {
        "workspace": workspace,
        "text_form": text_form or TextSourceForm(),
        "file_form": file_form or FileSourceForm(),
        "url_form": url_form or UrlSourceForm(),
        # Which "add" form to show opened: the one whose errors the owner must read.
        "open_form": open_form,
        "max_upload_bytes": settings.KNOWLEDGE_MAX_UPLOAD_BYTES,
        **_sources_context(workspace, request.GET),
        **_search_context(workspace, search_form),
    }
    return render(request, "accounts/knowledge.html", context)


def _sources_context(workspace: Workspace, query: QueryDict, notice: str = "") -> dict[str, Any]:
    embedding = embedding_status(workspace.id)
    # Poll while sources index, and while the background re-embedding catches up.
    pending = _has_pending(workspace) or (embedding.enabled and embedding.pending > 0)
    return {
        "workspace": workspace,
        "source_total": KnowledgeSource.objects.filter(workspace=workspace).count(),
        **sources_page(workspace, query),
        "pending": pending,
        "notice": notice,
        "embedding": embedding,
    }


def _search_context(workspace: Workspace, form: KnowledgeSearchForm) -> dict[str, Any]:
    results: list[dict[str, Any]] | None = None
    if form.is_bound and form.is_valid():
        passages = search.search(workspace.id, form.cleaned_data["q"], k=settings.KNOWLEDGE_TOP_K)
        results = [passage_summary(passage) for passage in passages]
    return {
        "search_form": form,
        "results": results,
        "top_k": settings.KNOWLEDGE_TOP_K,
        # An empty result may only mean the answer is still being indexed.
        "indexing": results == [] and _has_pending(workspace),
    }


def _has_pending(workspace: Workspace) -> bool:
    return KnowledgeSource.objects.filter(workspace=workspace, status__in=PENDING).exists()


def _added(request: HttpRequest, source: KnowledgeSource) -> HttpResponse:
    messages.success(
        request, f"Added “{source.title}”. It is queued for indexing; its status below updates by itself."
    )
    # Redirect after POST, so a reload does not add it twice.
    return redirect(reverse("knowledge") + "#sources")


def _from_source_page(request: HttpRequest) -> bool:
    return request.POST.get("from") == "source"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _changed(request: HttpRequest, workspace: Workspace, notice: str, back: str | None) -> HttpResponse:
    """The answer to a re-index or delete: the refreshed sources table for htmx on the list,
    else the notice as a message and the page to go back to."""
    query = list_query(request)
    if is_htmx(request) and back is None:
        # The table the browser shows, with its filters and page.
        return render(request, "accounts/knowledge_sources.html", _sources_context(workspace, query, notice))
    messages.success(request, notice)
    destination = back or reverse("knowledge") + (f"?{query.urlencode()}#sources" if query else "")
    if is_htmx(request):
        # htmx would swap a redirect's page into the button; make the browser go there.
        return HttpResponse(status=204, headers={"HX-Redirect": destination})
    return redirect(destination)
