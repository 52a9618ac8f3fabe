"""Forum posts on the knowledge gaps page and the overview: solved against unsolved, and
the unsolved posts nobody answered for GAPS_UNANSWERED_POST_HOURS; only the workspace's own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations import analytics
from conversations.forum_posts import PostRef, record_post
from conversations.models import ForumPost

pytestmark = pytest.mark.django_db


def post(
    workspace: Any,
    post_id: str,
    title: str,
    *,
    hours_ago: float = 48,
    answered: bool = False,
    solved: bool = False,
) -> ForumPost:
    row = record_post(
        PostRef(workspace.pk, "discord", "10", post_id), forum_id="20", title=title, author_id="1"
    )
    opened = timezone.now() - timedelta(hours=hours_ago)
    ForumPost.objects.filter(pk=row.pk).update(
        created_at=opened,
        answered_at=opened + timedelta(minutes=1) if answered else None,
        solved_at=opened + timedelta(hours=1) if solved else None,
    )
    return row


def gaps(client: Client) -> str:
    response = client.get(reverse("knowledge_gaps"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_gaps_page_counts_solved_and_unsolved_posts(alice_client: Client, workspace: Any) -> None:
    post(workspace, "101", "Refund timing", answered=True, solved=True)
    post(workspace, "102", "Shipping to Chile", answered=True)
    post(workspace, "103", "Invoice address")
    text = gaps(alice_client)
    assert '<strong data-figure="posts-solved">1</strong> solved' in text
    assert '<strong data-figure="posts-unsolved">2</strong> unsolved' in text


def test_unsolved_posts_without_an_answer_after_the_hours_are_listed_with_links(
    alice_client: Client, workspace: Any
) -> None:
    post(workspace, "103", "Invoice address", hours_ago=30)
    post(workspace, "104", "Too recent to list", hours_ago=2)
    post(workspace, "105", "Answered already", answered=True)
    post(workspace, "106", "Solved by the author", solved=True)
    text = gaps(alice_client)
    assert "No answer after 24 hours" in text
    assert '<a href="https://discord.com/channels/10/103" rel="noopener">Invoice address</a>' in text
    for title in ("Too recent to list", "Answered already", "Solved by the author"):
        assert title not in text


def test_the_hours_come_from_the_setting(alice_client: Client, workspace: Any, settings: Any) -> None:
    settings.GAPS_UNANSWERED_POST_HOURS = 1
    post(workspace, "104", "Two hours old", hours_ago=2)
    text = gaps(alice_client)
    assert "No answer after 1 hour<" in text and "Two hours old" in text


def test_another_workspaces_posts_are_neither_counted_nor_listed(
    alice_client: Client, workspace: Any, other_workspace: Any
) -> None:
    post(other_workspace, "201", "Bob's secret question")
    post(other_workspace, "202", "Bob's solved one", solved=True)
    post(workspace, "101", "Alice's own", solved=True)
    text = gaps(alice_client)
    assert "Bob's" not in text and "Bob&#x27;s" not in text
    assert '<strong data-figure="posts-solved">1</strong>' in text
    assert '<strong data-figure="posts-unsolved">0</strong>' in text


def test_without_forum_posts_the_section_is_not_shown(alice_client: Client, other_workspace: Any) -> None:
    post(other_workspace, "201", "Bob's question")
    assert "Forum posts" not in gaps(alice_client)


def test_the_overview_counts_the_periods_posts_solved_and_unsolved(
    alice_client: Client, workspace: Any, other_workspace: Any
) -> None:
    post(workspace, "101", "Solved", solved=True)
    post(workspace, "102", "Open")
    post(workspace, "103", "Open too", answered=True)
    post(workspace, "104", "Long ago", hours_ago=24 * 40, solved=True)
    post(other_workspace, "201", "Bob's", solved=True)
    figures = analytics.figures(workspace, timezone.now())
    assert (figures.posts_solved, figures.posts_unsolved) == (1, 2)
    text = alice_client.get("/").content.decode()
    assert '<strong data-figure="posts-solved">1</strong> forum post solved' in text
