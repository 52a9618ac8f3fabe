"""The knowledge page's sources table as a long list: found by words in a source's title,
text, address or passages, filtered by status, and shown a page at a time with the
filters kept across pages (and across the table's polling and its row actions)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, QueryDict

from accounts.models import Workspace
from knowledge.models import Chunk, KnowledgeSource

SOURCES_PER_PAGE = 25
PASSAGES_PER_PAGE = 50


class SourceFilterForm(forms.Form):
    """The list's own search box: ``find`` (the page's ``q`` is the "what would the bot
    read" question) and the status."""

    find = forms.CharField(
        label="Find a source",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words in a title or its text"}),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *KnowledgeSource.Status.choices],
    )

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters (an invalid one, like an unknown status, is ignored:
        Django keeps only the fields that cleaned)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


def sources_matching(workspace: Workspace, filters: dict[str, str]) -> QuerySet[KnowledgeSource]:
    """``workspace``'s sources, newest first, whose title, text, address or any passage
    contains ``filters["find"]`` (any case) and whose status is ``filters["status"]``."""
    sources = KnowledgeSource.objects.filter(workspace=workspace)
    if status := filters.get("status"):
        sources = sources.filter(status=status)
    if words := filters.get("find"):
        in_passages = Chunk.objects.filter(source=OuterRef("pk"), text__icontains=words)
        sources = sources.filter(
            Q(title__icontains=words)
            | Q(text__icontains=words)
            | Q(url__icontains=words)
            | Exists(in_passages)
        )
    return sources.order_by("-created_at", "-id")


def list_query(request: HttpRequest) -> QueryDict:
    """The list's filters and page: from the query string, or, for a row action (a POST),
    from its ``list`` field, which carries the query of the table it was pressed in."""
    if request.method == "GET":
        return request.GET
    return QueryDict(str(request.POST.get("list", ""))[:500])


def sources_page(workspace: Workspace, query: QueryDict) -> dict[str, Any]:
    """The template context of one page of the filtered list."""
    form = SourceFilterForm(query)
    filters = form.filters()
    paginator = Paginator(sources_matching(workspace, filters), SOURCES_PER_PAGE)
    page: Page[KnowledgeSource] = paginator.get_page(query.get("page"))
    filter_query = urlencode(filters)
    page_query = urlencode({**filters, "page": page.number}) if page.number > 1 else filter_query
    return {
        "filter_form": form,
        "filters": filters,
        "filtering": bool(filters),
        "filter_query": filter_query,
        # The table's polling asks for the page it shows.
        "page_query": page_query,
        "sources_page": page,
        "sources": list(page.object_list),
    }


def passages_page(source: KnowledgeSource, number: str | None) -> Page[Chunk]:
    """One page of ``source``'s passages in document order."""
    return Paginator(source.chunks.order_by("ordinal"), PASSAGES_PER_PAGE).get_page(number)
