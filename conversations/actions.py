"""State changes for conversations: every entrance (gateway, /ask, dashboard) calls these."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from assistant.providers.base import Passage, Turn
from conversations.models import TAKEOVER_IDLE, Conversation, Message
from guildmind.db import insert_row, quoted, select_models, update_row, write_transaction

M = TypeVar("M", Conversation, Message)

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
        conversation = _open_conversation(place, member_id, now)
        if conversation is None:
            opened = {
                "workspace_id": place.workspace_id,
                "source": place.source,
                "place_id": place.place_id,
                "channel_id": place.channel_id,
                "place_name": place.place_name,
                "member_id": member_id,
                "member_name": member_name,
                "state": Conversation.State.AI,
                "created_at": now,
                "last_message_at": now,
            }
            conversation = _saved(Conversation(id=insert_row(Conversation, opened), **opened))
        else:
            if history_limit > 0:
                history = _last_turns(conversation.pk, history_limit)
            update_row(Conversation, conversation.pk, {"last_message_at": now, "member_name": member_name})
            conversation.last_message_at, conversation.member_name = now, member_name
        fields = {
            "conversation_id": conversation.pk,
            "role": Message.Role.MEMBER,
            "author_name": member_name,
            "text": text,
            "external_id": external_id,
            "sources": [],
            "abstained": False,
            "created_at": now,
        }
        # A redelivered event inserts nothing (the constraint message_external_id_once).
        message_id = insert_row(Message, fields, unless=("conversation", "external_id"))
        if message_id is None:
            existing = conversation.messages.get(external_id=external_id)
            return Recorded(conversation, existing, created=False)
    message = _saved(Message(id=message_id, **fields))
    message.conversation = conversation
    return Recorded(conversation, message, created=True, history=history)


def _saved(instance: M) -> M:
    """An instance built from the values just written, marked as the ORM marks a saved one
    (a later save() updates its row)."""
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def _open_conversations(place: Place, member_id: str, now: datetime) -> QuerySet[Conversation]:
    return Conversation.objects.filter(
        workspace_id=place.workspace_id,
        source=place.source,
        place_id=place.place_id,
        channel_id=place.channel_id,
        member_id=member_id,
        last_message_at__gte=now - CONVERSATION_IDLE,
    ).order_by("-last_message_at")


def _open_conversation(place: Place, member_id: str, now: datetime) -> Conversation | None:
    """The member's open conversation here, its row locked (on Postgres) until the
    transaction ends: what ``_open_conversations(...).select_for_update().first()`` reads,
    without building the query per message (every answered message asks)."""
    where, tail = _open_conversation_clauses(connection.vendor)
    since = connection.ops.adapt_datetimefield_value(now - CONVERSATION_IDLE)
    params = [place.workspace_id, place.source, place.place_id, place.channel_id, member_id, since]
    found = select_models(Conversation, where, params, tail=tail)
    return found[0] if found else None


@functools.cache
def _open_conversation_clauses(vendor: str) -> tuple[str, str]:
    columns = ("workspace_id", "source", "place_id", "channel_id", "member_id")
    where = " AND ".join(f"{quoted(column)} = %s" for column in columns)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    last = quoted("last_message_at")
    return f"{where} AND {last} >= %s", f"ORDER BY {last} DESC LIMIT 1{lock}"


def member_context(place: Place, member_id: str, *, limit: int | None = None) -> list[Turn]:
    """The last ``limit`` turns of the member's open conversation here, oldest first
    (reads only, so it can run while the new message is being recorded)."""
    limit = settings.AI_HISTORY_TURNS if limit is None else limit
    conversation = _open_conversations(place, member_id, timezone.now()).first()
    if conversation is None or limit <= 0:
        return []
    return _last_turns(conversation.pk, limit)


def _last_turns(conversation_id: int, limit: int) -> list[Turn]:
    # What conversation.messages.order_by("-id").values(...)[:limit] reads, written out:
    # every answered message reads it.
    with connection.cursor() as cursor:
        cursor.execute(_last_turns_sql(connection.vendor), [conversation_id, limit])
        rows = cursor.fetchall()
    return [Turn(role=role, text=text, author=author) for role, text, author in reversed(rows)]


@functools.cache
def _last_turns_sql(vendor: str) -> str:
    return (
        f"SELECT {quoted('role')}, {quoted('text')}, {quoted('author_name')} "  # noqa: S608
        f"FROM {quoted(Message._meta.db_table)} WHERE {quoted('conversation_id')} = %s "
        f"ORDER BY {quoted('id')} DESC LIMIT %s"
    )


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
    now = timezone.now()
    fields = {
        "conversation_id": conversation.pk,
        "role": role,
        "author_name": author_name,
        "text": text,
        "sources": [{"title": p.title, "heading": p.heading, "url": p.url} for p in sources or []],
        "abstained": abstained,
        "in_reply_to_id": in_reply_to.pk if in_reply_to is not None else None,
        "created_at": now,
    }
    with write_transaction():
        message_id = insert_row(Message, fields)
        update_row(Conversation, conversation.pk, {"last_message_at": now})
    message = _saved(Message(id=message_id, **fields))
    message.conversation = conversation
    if in_reply_to is not None:
        message.in_reply_to = in_reply_to
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
