"""State changes for conversations: every entrance (gateway, /ask, dashboard) calls these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from assistant.providers.base import Passage, Turn
from conversations.models import TAKEOVER_IDLE, Conversation, Message
from guildmind.db import write_transaction

# A member who comes back after this long starts a new conversation.
CONVERSATION_IDLE = timedelta(hours=1)


@dataclass(frozen=True)
class Place:
    """Where a member talks: for Discord, the guild and channel."""

    workspace_id: int
    source: str
    place_id: str
    channel_id: str
    place_name: str = ""


@dataclass(frozen=True)
class Recorded:
    conversation: Conversation
    message: Message
    # False when the same external message was already recorded (a redelivered event).
    created: bool
    # The conversation's turns before this message, when asked for.
    history: list[Turn] = field(default_factory=list)


def record_member_message(
    place: Place,
    *,
    member_id: str,
    member_name: str,
    text: str,
    external_id: str | None,
    history_limit: int = 0,
) -> Recorded:
    """Log a member's message in their current conversation (opening one if needed).

    A message whose ``external_id`` was already recorded for this member and place is not
    recorded again: ``created`` is False and the caller should not answer it twice.
    With ``history_limit``, ``history`` holds the conversation's last turns before this
    message (read in the same transaction: one trip for both).
    """
    now = timezone.now()
    history: list[Turn] = []
    with write_transaction():
        conversation = _open_conversations(place, member_id, now).select_for_update().first()
        if conversation is not None and history_limit > 0:
            history = _last_turns(conversation, history_limit)
        if conversation is None:
            conversation = Conversation.objects.create(
                workspace_id=place.workspace_id,
                source=place.source,
                place_id=place.place_id,
                channel_id=place.channel_id,
                place_name=place.place_name,
                member_id=member_id,
                member_name=member_name,
                last_message_at=now,
            )
        else:
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message_at=now, member_name=member_name
            )
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation,
                    role=Message.Role.MEMBER,
                    author_name=member_name,
                    text=text,
                    external_id=external_id,
                )
        except IntegrityError:
            existing = conversation.messages.get(external_id=external_id)
            return Recorded(conversation, existing, created=False)
    return Recorded(conversation, message, created=True, history=history)


def _open_conversations(place: Place, member_id: str, now: datetime) -> QuerySet[Conversation]:
    return Conversation.objects.filter(
        workspace_id=place.workspace_id,
        source=place.source,
        place_id=place.place_id,
        channel_id=place.channel_id,
        member_id=member_id,
        last_message_at__gte=now - CONVERSATION_IDLE,
    ).order_by("-last_message_at")


def member_context(place: Place, member_id: str, *, limit: int | None = None) -> list[Turn]:
    """The last ``limit`` turns of the member's open conversation here, oldest first
    (reads only, so it can run while the new message is being recorded)."""
    limit = settings.AI_HISTORY_TURNS if limit is None else limit
    conversation = _open_conversations(place, member_id, timezone.now()).first()
    if conversation is None or limit <= 0:
        return []
    return _last_turns(conversation, limit)


def _last_turns(conversation: Conversation, limit: int) -> list[Turn]:
    rows = list(conversation.messages.order_by("-id").values("role", "text", "author_name")[:limit])
    return [Turn(role=row["role"], text=row["text"], author=row["author_name"]) for row in reversed(rows)]  # type: ignore[arg-type]


def record_reply(
    conversation: Conversation,
    *,
    text: str,
    role: str = Message.Role.ASSISTANT,
    author_name: str = "",
    sources: list[Passage] | None = None,
    abstained: bool = False,
    in_reply_to: Message | None = None,
) -> Message:
    """Log a reply to the member; ``abstained`` when the AI said it does not know;
    ``in_reply_to``: the member's question an AI reply answers."""
    with write_transaction():
        message = Message.objects.create(
            conversation=conversation,
            role=role,
            author_name=author_name,
            text=text,
            sources=[{"title": p.title, "heading": p.heading, "url": p.url} for p in sources or []],
            abstained=abstained,
            in_reply_to=in_reply_to,
        )
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    return message


def abstentions_in_a_row(conversation_id: int, limit: int) -> int:
    """How many of the conversation's latest replies (up to ``limit``) were the AI saying it
    does not know, counted back from the newest until any other reply (an answer, or a team
    member's message)."""
    replies = (
        Message.objects.filter(conversation_id=conversation_id)
        .exclude(role=Message.Role.MEMBER)
        .order_by("-id")
        .values_list("role", "abstained")[:limit]
    )
    count = 0
    for role, abstained in replies:
        if role != Message.Role.ASSISTANT or not abstained:
            break
        count += 1
    return count


# --- human takeover and escalation ---------------------------------------------------------

# At most one escalation email per conversation in this window.
ESCALATION_EMAIL_EVERY = timedelta(minutes=30)


@dataclass(frozen=True)
class Takeover:
    ok: bool
    # Who has the conversation when ``ok`` is False (another agent, still active).
    held_by: str = ""


def take_over(conversation_id: int, user: Any, now: datetime | None = None) -> Takeover:
    """Give the conversation to ``user``: the AI stops answering it at once (every entrance
    checks the state before answering). Refused while another agent is active in it, so
    two agents never both take over unknowingly."""
    now = now or timezone.now()
    with write_transaction():
        free = Q(state__in=[Conversation.State.AI, Conversation.State.ESCALATED])
        idle = Q(agent_active_at__isnull=True) | Q(agent_active_at__lt=now - TAKEOVER_IDLE)
        taken = (
            Conversation.objects.filter(pk=conversation_id)
            .filter(free | idle | Q(taken_by=user))
            .update(state=Conversation.State.HUMAN, taken_by=user, agent_active_at=now)
        )
        if taken:
            return Takeover(True)
        holder = Conversation.objects.filter(pk=conversation_id).select_related("taken_by").first()
    taken_by = holder.taken_by if holder else None
    # Accounts made by sign-up have their email as username; their name is what the team knows.
    name = (taken_by.get_full_name() or taken_by.get_username()) if taken_by else "another team member"
    return Takeover(False, held_by=name)


def agent_active(conversation_id: int, user: Any, now: datetime | None = None) -> bool:
    """The agent typed or sent something: the takeover stays on. False when they no longer
    hold the conversation."""
    now = now or timezone.now()
    held = Conversation.objects.filter(pk=conversation_id, state=Conversation.State.HUMAN, taken_by=user)
    return bool(held.update(agent_active_at=now))


def hand_back(conversation_id: int, user: Any) -> None:
    """The agent gives the conversation back to the AI at once."""
    with write_transaction():
        conversation = Conversation.objects.filter(pk=conversation_id, taken_by=user).first()
        if conversation is None:
            return
        state = Conversation.State.ESCALATED if conversation.escalated_at else Conversation.State.AI
        Conversation.objects.filter(pk=conversation_id).update(
            state=state, taken_by=None, agent_active_at=None
        )


def record_agent_message(conversation: Conversation, user: Any, text: str) -> Message:
    """An agent's message, logged in the conversation (posting it to Discord is the
    caller's job); it counts as agent activity."""
    name = user.get_full_name() or user.get_username()
    with write_transaction():
        message = record_reply(conversation, text=text, role=Message.Role.AGENT, author_name=name)
        Conversation.objects.filter(pk=conversation.pk).update(agent_active_at=message.created_at)
    return message


def escalate(conversation_id: int, now: datetime | None = None) -> bool:
    """Mark the conversation as needing a person. True when the team should be emailed now
    (at most once per ESCALATION_EMAIL_EVERY per conversation, across processes)."""
    now = now or timezone.now()
    with write_transaction():
        conversations = Conversation.objects.filter(pk=conversation_id)
        conversations.filter(state=Conversation.State.AI).update(state=Conversation.State.ESCALATED)
        conversations.update(escalated_at=now)
        due = Q(escalation_emailed_at__isnull=True) | Q(
            escalation_emailed_at__lt=now - ESCALATION_EMAIL_EVERY
        )
        return bool(conversations.filter(due).update(escalation_emailed_at=now))
