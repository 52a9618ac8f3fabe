"""Members' 👍/👎 on AI answers: recorded once per member per answer (a second click
changes the vote), and read back for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from conversations.models import AnswerFeedback, Message
from guildmind.db import write_transaction


@dataclass(frozen=True, slots=True)
class Rated:
    answer_id: int
    conversation_id: int
    # The member whose conversation it is (another member may rate the answer too).
    conversation_member_id: str
    helpful: bool
    changed: bool  # False when the member clicked the same thing again


def answer_to(workspace_id: int, place_id: str, question_id: int) -> Message | None:
    """The AI answer to the member's question ``question_id``, when that question is in this
    workspace's conversations at ``place_id`` (a Discord guild); else None."""
    return (
        Message.objects.select_related("conversation")
        .filter(
            in_reply_to_id=question_id,
            role=Message.Role.ASSISTANT,
            conversation__workspace_id=workspace_id,
            conversation__place_id=place_id,
        )
        .order_by("id")
        .first()
    )


def rate_answer(
    workspace_id: int, place_id: str, question_id: int, member_id: str, *, helpful: bool
) -> Rated | None:
    """Record ``member_id``'s vote on the answer to ``question_id``; None when there is no
    such answer in the workspace (nothing is written)."""
    answer = answer_to(workspace_id, place_id, question_id)
    if answer is None:
        return None
    with write_transaction():
        before = (
            AnswerFeedback.objects.filter(message=answer, member_id=member_id)
            .values_list("helpful", flat=True)
            .first()
        )
        if before is None:
            try:
                with transaction.atomic():
                    AnswerFeedback.objects.create(message=answer, member_id=member_id, helpful=helpful)
            except IntegrityError:  # the same member's click in another process won the race
                before = not helpful
        if before is not None and before != helpful:
            AnswerFeedback.objects.filter(message=answer, member_id=member_id).update(helpful=helpful)
    return Rated(
        answer_id=answer.pk,
        conversation_id=answer.conversation_id,
        conversation_member_id=answer.conversation.member_id,
        helpful=helpful,
        changed=before != helpful,
    )


@dataclass(frozen=True, slots=True)
class Tally:
    helpful: int = 0
    unhelpful: int = 0


def tallies(answer_ids: list[int]) -> dict[int, Tally]:
    """Votes per answer, for the answers that have any."""
    rows = (
        AnswerFeedback.objects.filter(message_id__in=answer_ids)
        .values("message_id")
        .annotate(up=Count("id", filter=Q(helpful=True)), down=Count("id", filter=Q(helpful=False)))
    )
    return {row["message_id"]: Tally(row["up"], row["down"]) for row in rows}
