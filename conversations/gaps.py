"""Knowledge gaps: what members asked that the bot could not answer (it said it did not
know, a member gave the answer a 👎, or the member was handed to a person), grouped by
similar question with the knowledge embeddings, and closed when the team answers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db.models import F, Q
from django.utils import timezone

from conversations.models import Message
from guildmind.db import write_transaction
from knowledge.embedding import get_embedder, normalize_rows

# How many of the latest open gaps are grouped (the page shows the most recent).
GAPS_READ = 500
# Two questions are the same gap above this cosine similarity of their embeddings.
SIMILAR = 0.8
# A question asked this shortly before its conversation was escalated handed it to a person.
HANDED_WITHIN = timedelta(minutes=1)

ABSTAINED, THUMBS_DOWN, HANDED = "the bot didn't know", "thumbs-down", "handed to a person"


@dataclass
class Gap:
    question: str  # the latest wording
    last_asked: datetime
    question_ids: list[int] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.question_ids)

    @property
    def ids(self) -> str:
        return ",".join(str(i) for i in self.question_ids)


def open_questions(workspace_id: int) -> list[tuple[Message, set[str]]]:
    """The workspace's latest unanswered questions with why each is a gap, newest first."""
    abstained = Q(replies__abstained=True)
    thumbs_down = Q(replies__feedback__helpful=False)
    handed = Q(
        conversation__escalated_at__gte=F("created_at"),
        conversation__escalated_at__lte=F("created_at") + HANDED_WITHIN,
    )
    rows = (
        Message.objects.filter(conversation__workspace_id=workspace_id, role=Message.Role.MEMBER)
        .filter(gap_closed_at__isnull=True)
        .filter(abstained | thumbs_down | handed)
        .distinct()
        .order_by("-id")[:GAPS_READ]
    )
    questions = list(rows)
    ids = [q.pk for q in questions]
    why: dict[int, set[str]] = {i: set() for i in ids}
    for reason, condition in ((ABSTAINED, abstained), (THUMBS_DOWN, thumbs_down), (HANDED, handed)):
        for pk in Message.objects.filter(pk__in=ids).filter(condition).values_list("pk", flat=True):
            why[pk].add(reason)
    return [(q, why[q.pk]) for q in questions]


def knowledge_gaps(workspace_id: int) -> list[Gap]:
    """Open gaps grouped by similar question, the most asked first (then the latest)."""
    questions = open_questions(workspace_id)
    vectors = _vectors([q.text for q, _ in questions])
    gaps: list[Gap] = []
    leaders: list[np.ndarray] = []
    keys: dict[str, Gap] = {}
    for index, (question, reasons) in enumerate(questions):
        gap = None
        if vectors is not None:
            vector = vectors[index]
            for leader, candidate in zip(leaders, gaps, strict=True):
                if float(leader @ vector) >= SIMILAR:
                    gap = candidate
                    break
        else:
            gap = keys.get(_key(question.text))
        if gap is None:
            gap = Gap(question.text, question.created_at)
            gaps.append(gap)
            keys[_key(question.text)] = gap
            if vectors is not None:
                leaders.append(vectors[index])
        gap.question_ids.append(question.pk)
        gap.reasons |= reasons
    return sorted(gaps, key=lambda g: (g.count, g.last_asked), reverse=True)


def question_before(reply: Message) -> Message | None:
    """The member's message a team member's ``reply`` answers: the last one before it."""
    return (
        Message.objects.filter(
            conversation_id=reply.conversation_id, role=Message.Role.MEMBER, id__lt=reply.id
        )
        .order_by("-id")
        .first()
    )


def close_gap(workspace_id: int, question_ids: list[int]) -> int:
    """Mark the workspace's questions as answered; returns how many (others' are ignored)."""
    with write_transaction():
        return Message.objects.filter(
            pk__in=question_ids, conversation__workspace_id=workspace_id, role=Message.Role.MEMBER
        ).update(gap_closed_at=timezone.now())


def _vectors(texts: list[str]) -> np.ndarray | None:
    embedder = get_embedder()
    if embedder is None or not texts:
        return None
    try:
        return normalize_rows(np.asarray(embedder.embed(texts), dtype=np.float32))
    except Exception:
        return None  # grouped by wording instead


def _key(text: str) -> str:
    return " ".join(text.lower().split()).rstrip("?!. ")
