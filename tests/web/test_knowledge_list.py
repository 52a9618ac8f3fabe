"""The knowledge list as it grows: finding a source by its words, filtering by status,
pages that keep the filters, the overview's counts leading there, and a source's passages
a page at a time; another workspace's sources and passages stay out of reach."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from accounts.source_list import PASSAGES_PER_PAGE, SOURCES_PER_PAGE
from knowledge.models import Chunk, KnowledgeSource
from tests.web.conftest import add_ready_source


def source(workspace: Any, title: str, status: str = "ready", text: str = "") -> KnowledgeSource:
    return KnowledgeSource.objects.create(
        workspace=workspace, kind="text", title=title, status=status, text=text
    )


def listed(client: Client, **query: Any) -> list[str]:
    """The titles in the sources table the page shows for ``query``, top to bottom."""
    response = client.get(reverse("knowledge"), query)
    assert response.status_code == 200
    return [s.title for s in response.context["sources"]]


def test_a_source_is_found_by_a_word_of_its_title_in_any_case(alice_client: Client, workspace: Any) -> None:
    source(workspace, "Refund policy")
    source(workspace, "Opening hours")
    assert listed(alice_client, find="REFUND") == ["Refund policy"]


def test_a_source_is_found_by_words_in_its_text(alice_client: Client, workspace: Any) -> None:
    source(workspace, "Policies", text="Gift cards never expire.")
    source(workspace, "Hours", text="We open at nine.")
    assert listed(alice_client, find="gift card") == ["Policies"]


def test_a_file_or_page_is_found_by_words_in_its_passages(alice_client: Client, workspace: Any) -> None:
    page = KnowledgeSource.objects.create(
        workspace=workspace, kind="url", title="Help page", url="https://example.com/help", status="ready"
    )
    Chunk.objects.create(source=page, workspace=workspace, ordinal=0, text="Parking is free after six.")
    source(workspace, "Hours", text="We open at nine.")
    assert listed(alice_client, find="parking") == ["Help page"]
    assert listed(alice_client, find="example.com/help") == ["Help page"]


def test_the_status_filter_shows_only_sources_in_that_state(alice_client: Client, workspace: Any) -> None:
    source(workspace, "Indexed", "ready")
    source(workspace, "Broken", "failed")
    source(workspace, "Waiting", "queued")
    assert listed(alice_client, status="failed") == ["Broken"]
    assert listed(alice_client, status="queued") == ["Waiting"]


def test_an_unknown_status_is_ignored_rather_than_refused(alice_client: Client, workspace: Any) -> None:
    source(workspace, "Indexed", "ready")
    assert listed(alice_client, status="lost") == ["Indexed"]


def test_words_and_status_combine(alice_client: Client, workspace: Any) -> None:
    source(workspace, "Refunds (old)", "failed")
    source(workspace, "Refunds", "ready")
    source(workspace, "Hours", "failed")
    assert listed(alice_client, find="refunds", status="failed") == ["Refunds (old)"]


def test_no_match_says_so_and_offers_every_source(alice_client: Client, workspace: Any) -> None:
    source(workspace, "Hours")
    page = alice_client.get(reverse("knowledge"), {"find": "parking"}).content.decode()
    assert "No source matches “parking”" in page
    assert "Show every source" in page
    assert "No sources yet" not in page


def test_the_list_shows_a_page_of_sources_newest_first(alice_client: Client, workspace: Any) -> None:
    for n in range(SOURCES_PER_PAGE + 3):
        source(workspace, f"Source {n:02}")
    first = listed(alice_client)
    assert len(first) == SOURCES_PER_PAGE
    assert first[0] == f"Source {SOURCES_PER_PAGE + 2:02}"
    assert listed(alice_client, page=2) == ["Source 02", "Source 01", "Source 00"]


def test_page_links_keep_the_filters(alice_client: Client, workspace: Any) -> None:
    for n in range(SOURCES_PER_PAGE + 2):
        source(workspace, f"Failed {n:02}", "failed")
    source(workspace, "Indexed", "ready")
    page = alice_client.get(reverse("knowledge"), {"find": "failed", "status": "failed"}).content.decode()
    assert f"{SOURCES_PER_PAGE + 2} of {SOURCES_PER_PAGE + 3} sources match" in page
    next_link = re.search(r'href="([^"]+)" rel="next"', page)
    assert next_link is not None
    url = next_link.group(1).replace("&amp;", "&")
    assert url == reverse("knowledge") + "?find=failed&status=failed&page=2#sources"
    assert listed(alice_client, find="failed", status="failed", page=2) == ["Failed 01", "Failed 00"]


def test_a_page_past_the_end_shows_the_last_page(alice_client: Client, workspace: Any) -> None:
    for n in range(SOURCES_PER_PAGE + 1):
        source(workspace, f"Source {n:02}")
    assert listed(alice_client, page=99) == ["Source 00"]


def test_the_polled_table_asks_for_the_page_and_filters_it_shows(
    alice_client: Client, workspace: Any
) -> None:
    for n in range(SOURCES_PER_PAGE + 1):
        source(workspace, f"Waiting {n:02}", "queued")
    page = alice_client.get(reverse("knowledge"), {"status": "queued", "page": "2"}).content.decode()
    assert f'hx-get="{reverse("knowledge_sources")}?status=queued&amp;page=2"' in page
    fragment = alice_client.get(reverse("knowledge_sources"), {"status": "queued", "page": "2"})
    assert [s.title for s in fragment.context["sources"]] == ["Waiting 00"]


def test_an_htmx_delete_answers_with_the_filtered_table_the_browser_shows(
    alice_client: Client, workspace: Any
) -> None:
    gone = source(workspace, "Broken one", "failed")
    source(workspace, "Broken two", "failed")
    source(workspace, "Indexed", "ready")
    page = alice_client.get(reverse("knowledge"), {"status": "failed"}).content.decode()
    # Re-index and delete, on each of the 2 rows.
    assert page.count('<input type="hidden" name="list" value="status=failed">') == 4
    response = alice_client.post(
        reverse("knowledge_delete", args=[gone.id]), {"list": "status=failed"}, headers={"HX-Request": "true"}
    )
    assert [s.title for s in response.context["sources"]] == ["Broken two"]
    assert "Deleted “Broken one”." in response.content.decode()


def test_a_row_action_without_javascript_goes_back_to_the_filtered_page(
    alice_client: Client, workspace: Any
) -> None:
    gone = source(workspace, "Broken one", "failed")
    response = alice_client.post(
        reverse("knowledge_delete", args=[gone.id]), {"list": "status=failed&page=2"}
    )
    assert response["Location"] == reverse("knowledge") + "?status=failed&page=2#sources"
    plain = source(workspace, "Broken two", "failed")
    response = alice_client.post(reverse("knowledge_reindex", args=[plain.id]))
    assert response["Location"] == reverse("knowledge")


def test_the_filters_show_only_once_there_are_sources(alice_client: Client, workspace: Any) -> None:
    assert 'name="find"' not in alice_client.get(reverse("knowledge")).content.decode()
    source(workspace, "Hours")
    assert 'name="find"' in alice_client.get(reverse("knowledge")).content.decode()


def test_the_list_never_shows_another_workspaces_sources(
    bob_client: Client, workspace: Any, other_workspace: Any
) -> None:
    source(workspace, "Alice's refunds", text="Refunds within thirty days.")
    source(other_workspace, "Bob's refunds")
    assert listed(bob_client, find="refunds") == ["Bob's refunds"]
    fragment = bob_client.get(reverse("knowledge_sources"), {"find": "refunds"})
    assert [s.title for s in fragment.context["sources"]] == ["Bob's refunds"]
    assert fragment.context["source_total"] == 1


# --- The overview's counts ------------------------------------------------------------------


def test_each_status_count_on_the_overview_links_to_the_list_filtered_by_it(
    alice_client: Client, workspace: Any
) -> None:
    source(workspace, "Broken one", "failed")
    source(workspace, "Broken two", "failed")
    source(workspace, "Indexed", "ready")
    page = alice_client.get(reverse("home")).content.decode()
    link = reverse("knowledge") + "?status=failed#sources"
    count = re.search(rf'href="{re.escape(link)}">.*?data-status-count="failed">(\d+)<', page)
    assert count is not None and count.group(1) == "2"
    assert len(listed(alice_client, status="failed")) == 2


# --- A source's passages --------------------------------------------------------------------


def many_passages(workspace: Any, title: str, count: int) -> KnowledgeSource:
    page = KnowledgeSource.objects.create(workspace=workspace, kind="url", title=title, status="ready")
    Chunk.objects.bulk_create(
        Chunk(source=page, workspace=workspace, ordinal=n, text=f"Passage number {n}.") for n in range(count)
    )
    KnowledgeSource.objects.filter(id=page.id).update(chunk_count=count)
    return page


def test_the_source_page_pages_through_every_passage_in_order(alice_client: Client, workspace: Any) -> None:
    page = many_passages(workspace, "Manual", PASSAGES_PER_PAGE * 2 + 5)
    url = reverse("knowledge_source", args=[page.id])
    first = alice_client.get(url).content.decode()
    assert "Passage number 0." in first and f"Passage number {PASSAGES_PER_PAGE - 1}." in first
    assert f"Passage number {PASSAGES_PER_PAGE}." not in first
    assert f"Passages 1\N{EN DASH}{PASSAGES_PER_PAGE} of {PASSAGES_PER_PAGE * 2 + 5}" in first
    assert 'href="?page=2#passages" rel="next"' in first
    last = alice_client.get(url, {"page": 3}).content.decode()
    assert f"Passage number {PASSAGES_PER_PAGE * 2 + 4}." in last
    assert f"Passage number {PASSAGES_PER_PAGE * 2 - 1}." not in last
    assert 'rel="next"' not in last and 'href="?page=2#passages" rel="prev"' in last


def test_the_source_page_shows_a_passage_whole(alice_client: Client, workspace: Any) -> None:
    long_text = "Returns are accepted. " * 60
    page = add_ready_source(workspace, "Returns", long_text)
    text = alice_client.get(reverse("knowledge_source", args=[page.id])).content.decode()
    assert text.count("Returns are accepted.") >= 60


def test_another_workspaces_passages_are_not_found_on_any_page(
    bob_client: Client, workspace: Any, alice: Any
) -> None:
    page = many_passages(workspace, "Alice's manual", PASSAGES_PER_PAGE + 1)
    for number in ("1", "2"):
        response = bob_client.get(reverse("knowledge_source", args=[page.id]), {"page": number})
        assert response.status_code == 404
