"""Forum posts the bot watches: recorded when a member opens one (or the bot answers in it),
marked answered by the bot's first answer, and solved by its author or a moderator. The
knowledge gaps page and the analytics count them. Sync (database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone

from conversations.models import ForumPost
from guildmind.db import write_transaction

# Unsolved posts with no answer listed on the gaps page at most.
UNANSWERED_LISTED = 50


@dataclass(frozen=True, slots=True)
class PostRef:
    """Which post: the workspace it belongs to, and the channel's ids for it."""

    workspace_id: int
    source: str
    place_id: str
    post_id: str


@dataclass(frozen=True, slots=True)
class PostCounts:
    solved: int
    unsolved: int

    @property
    def total(self) -> int:
        return self.solved + self.unsolved


def record_post(ref: PostRef, *, forum_id: str, title: str, author_id: str) -> ForumPost:
    """The post's row, created the first time it is seen (a redelivery changes nothing)."""
    lookup = {
        "workspace_id": ref.workspace_id,
        "source": ref.source,
        "place_id": ref.place_id,
        "post_id": ref.post_id,
    }
    defaults = {"forum_id": forum_id, "title": title[:100], "author_id": author_id}
    try:
        with write_transaction():
            post, _ = ForumPost.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:  # recorded meanwhile by another process
        post = ForumPost.objects.get(**lookup)
    return post


def record_answered(ref: PostRef) -> None:
    """The bot answered in the post (the first answer's time is kept)."""
    with write_transaction():
        _posts(ref).filter(answered_at__isnull=True).update(answered_at=timezone.now())


def find_post(ref: PostRef) -> ForumPost | None:
    return _posts(ref).first()


def mark_solved(post: ForumPost, by: str, *, tagged: bool) -> bool:
    """Mark the post solved by ``by``; False when it already was (nothing changes)."""
    with write_transaction():
        changed = ForumPost.objects.filter(pk=post.pk, solved_at__isnull=True).update(
            solved_at=timezone.now(), solved_by=by, solved_tagged=tagged
        )
    return changed == 1


def post_counts(workspace_id: int) -> PostCounts:
    posts = ForumPost.objects.filter(workspace_id=workspace_id)
    solved = posts.filter(solved_at__isnull=False).count()
    return PostCounts(solved=solved, unsolved=posts.count() - solved)


def unanswered_posts(workspace_id: int, *, hours: int) -> list[ForumPost]:
    """The workspace's unsolved posts still without an answer ``hours`` after they were
    opened, the oldest first."""
    before = timezone.now() - timedelta(hours=hours)
    return list(
        ForumPost.objects.filter(
            workspace_id=workspace_id,
            solved_at__isnull=True,
            answered_at__isnull=True,
            created_at__lte=before,
        ).order_by("created_at", "id")[:UNANSWERED_LISTED]
    )


def _posts(ref: PostRef) -> QuerySet[ForumPost]:
    return ForumPost.objects.filter(
        workspace_id=ref.workspace_id, source=ref.source, place_id=ref.place_id, post_id=ref.post_id
    )
