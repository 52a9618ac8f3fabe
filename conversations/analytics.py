"""The overview's figures over the last days: what members asked, how the bot did, who was
handed to a person, what moderation did; each with the filtered list behind it.

Read from the conversation log and the moderation log of one workspace (the caller scopes
it), in a few grouped queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from accounts.models import Workspace
from conversations.models import AnswerFeedback, Conversation, ForumPost, Message
from moderation.models import ModerationEntry
from usage.charts import DayChart, day_chart, series_of

DAYS = 30
TOP = 5
# How many of the period's questions are read to find the most asked and the gaps.
QUESTIONS_READ = 5000


@dataclass(frozen=True)
class Asked:
    text: str
    count: int
    last_asked: datetime


@dataclass(frozen=True)
class Figures:
    days: int
    questions: int
    answered: int
    unknown: int
    handed_to_people: int
    helpful: int
    not_helpful: int
    moderation_actions: int
    answers: DayChart
    moderation: DayChart
    moderation_by_action: list[tuple[str, str, int]]
    top_questions: list[Asked]
    top_gaps: list[Asked]
    # (id, name) of the servers whose moderation log holds the period's actions.
    moderated_servers: list[tuple[int, str]]
    # Forum posts opened in the period: marked solved, and not (yet).
    posts_solved: int = 0
    posts_unsolved: int = 0

    @property
    def helpful_percent(self) -> int | None:
        votes = self.helpful + self.not_helpful
        return round(self.helpful * 100 / votes) if votes else None

    @property
    def unknown_percent(self) -> int | None:
        replies = self.answered + self.unknown
        return round(self.unknown * 100 / replies) if replies else None


def figures(workspace: Workspace, now: datetime, days: int = DAYS) -> Figures:
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    span = [first + timedelta(days=i) for i in range(days)]
    messages = Message.objects.filter(conversation__workspace=workspace, created_at__gte=since)

    replies = {
        (day, "unknown" if abstained else "answered"): n
        for day, abstained, n in messages.filter(role=Message.Role.ASSISTANT)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "abstained")
        .annotate(n=Count("id"))
        .values_list("day", "abstained", "n")
    }
    entries = ModerationEntry.objects.filter(workspace=workspace, created_at__gte=since).exclude(
        action=ModerationEntry.Action.NONE
    )
    actions = {
        (day, action): n
        for day, action, n in entries.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "action")
        .annotate(n=Count("id"))
        .values_list("day", "action", "n")
    }
    action_choices = [
        (k, str(v)) for k, v in ModerationEntry.Action.choices if k != ModerationEntry.Action.NONE
    ]
    answers = day_chart(
        span, series_of([("answered", "Answered"), ("unknown", "Didn't know")]), replies, today
    )
    moderation = day_chart(span, series_of(action_choices), actions, today)
    top_questions, top_gaps = _asked(messages)
    votes = dict(
        AnswerFeedback.objects.filter(message__conversation__workspace=workspace, updated_at__gte=since)
        .values("helpful")
        .annotate(n=Count("id"))
        .values_list("helpful", "n")
    )
    posts = ForumPost.objects.filter(workspace=workspace, created_at__gte=since)
    posts_solved = posts.filter(solved_at__isnull=False).count()
    return Figures(
        posts_solved=posts_solved,
        posts_unsolved=posts.count() - posts_solved,
        days=days,
        questions=messages.filter(role=Message.Role.MEMBER).count(),
        answered=sum(n for (_, kind), n in replies.items() if kind == "answered"),
        unknown=sum(n for (_, kind), n in replies.items() if kind == "unknown"),
        handed_to_people=Conversation.objects.filter(workspace=workspace)
        .filter(Q(escalated_at__gte=since) | Q(agent_active_at__gte=since, taken_by__isnull=False))
        .count(),
        helpful=votes.get(True, 0),
        not_helpful=votes.get(False, 0),
        moderation_actions=moderation.total,
        answers=answers,
        moderation=moderation,
        moderation_by_action=[
            (key, label, total)
            for (key, label), (_, total) in zip(action_choices, moderation.totals, strict=True)
        ],
        top_questions=top_questions,
        top_gaps=top_gaps,
        moderated_servers=[
            (server_id, name or guild_id)
            for server_id, name, guild_id in entries.values_list(
                "server_id", "server__name", "server__guild_id"
            )
            .distinct()
            .order_by("server__name")
        ],
    )


def _servers(entries: object) -> list[tuple[int, str]]:
    rows = entries.values_list("server_id", "server__name", "server__guild_id")  # type: ignore[attr-defined]
    return [
        (server_id, name or guild_id)
        for server_id, name, guild_id in rows.distinct().order_by("server__name")
    ]


def _asked(messages: object) -> tuple[list[Asked], list[Asked]]:
    """The most asked questions, and the most asked of those the bot did not know.

    A question is a member's message; it is a gap when the bot's next reply in the
    conversation said it did not know. Questions are grouped by their folded text."""
    newest = (
        messages.filter(role__in=(Message.Role.MEMBER, Message.Role.ASSISTANT))  # type: ignore[attr-defined]
        .order_by("-id")
        .values_list("conversation_id", "id", "role", "text", "abstained", "created_at")[:QUESTIONS_READ]
    )
    rows = sorted(newest, key=lambda row: (row[0], row[1]))
    asked: Counter[str] = Counter()
    gaps: Counter[str] = Counter()
    shown: dict[str, str] = {}
    last: dict[str, datetime] = {}
    last_gap: dict[str, datetime] = {}
    pending: tuple[int, str] | None = None
    for conversation_id, _, role, text, abstained, created_at in rows:
        if role == Message.Role.MEMBER:
            key = _fold(text)
            if not key:
                continue
            asked[key] += 1
            shown.setdefault(key, text.strip())
            last[key] = max(last.get(key, created_at), created_at)
            pending = (conversation_id, key)
        elif pending is not None and pending[0] == conversation_id:
            if abstained:
                gaps[pending[1]] += 1
                last_gap[pending[1]] = max(last_gap.get(pending[1], created_at), created_at)
            pending = None
    return (
        [Asked(shown[k], n, last[k]) for k, n in asked.most_common(TOP)],
        [Asked(shown[k], n, last_gap[k]) for k, n in gaps.most_common(TOP)],
    )


def _fold(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())[:200]
