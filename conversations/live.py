"""Live monitoring: the filters of the conversations page, the feed of what changed since a
cursor (read by the dashboard every second or so), and where an agent's message stands on
its way to Discord.

The feed reads only the database, so it sees what the gateway and the worker wrote from
their own processes. A cursor is opaque to the page: it echoes the last one it was given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.http import QueryDict

from accounts.models import Workspace
from conversations.delivery import Delivery, delivery_of, pending_ids
from conversations.models import TAKEOVER_IDLE, Conversation, Message

# "Active now": a message in the last ten minutes.
ACTIVE_WINDOW = timedelta(minutes=10)
# Postgres takes a message's id before its transaction commits, so a message may become
# visible after a poll that already saw a higher id. There the feed also looks again at the
# last few seconds' messages (the page skips the ones it has). SQLite hands ids out under
# its write lock, in commit order.
SETTLE = timedelta(seconds=3)
# At most this many conversations are tracked as held in a list cursor.
HELD_LIMIT = 200


def display_name(user: Any) -> str:
    """How the team and members see an agent: full name, else username."""
    return str(user.get_full_name() or user.get_username())


# --- filters ---------------------------------------------------------------------------------


def shown_state_q(state: str, now: datetime) -> Q:
    """Conversations whose ``Conversation.shown_state(now)`` is ``state``, as a query."""
    idle = Q(agent_active_at__isnull=True) | Q(agent_active_at__lte=now - TAKEOVER_IDLE)
    human, lapsed = Q(state=Conversation.State.HUMAN), Q(state=Conversation.State.HUMAN) & idle
    if state == Conversation.State.HUMAN:
        return human & ~idle
    if state == Conversation.State.ESCALATED:
        return Q(state=Conversation.State.ESCALATED) | (lapsed & Q(escalated_at__isnull=False))
    return Q(state=Conversation.State.AI) | (lapsed & Q(escalated_at__isnull=True))


@dataclass(frozen=True)
class Filters:
    """The conversations page's filters, from its query string. Unknown values are ignored."""

    active: bool = False
    # ai | human | escalated ("needs attention")
    state: str = ""
    server: str = ""
    channel: str = ""
    # Only conversations where the bot said it did not know.
    unknown: bool = False

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        state = query.get("state", "")
        server, channel = query.get("server", ""), query.get("channel", "")
        return cls(
            active=query.get("active") == "1",
            state=state if state in Conversation.State.values else "",
            server=server if server.isdigit() else "",
            channel=channel if channel.isdigit() else "",
            unknown=query.get("unknown") == "1",
        )

    @property
    def any(self) -> bool:
        return bool(self.active or self.state or self.server or self.channel or self.unknown)

    def apply(self, conversations: QuerySet[Conversation], now: datetime) -> QuerySet[Conversation]:
        if self.active:
            conversations = conversations.filter(last_message_at__gte=now - ACTIVE_WINDOW)
        if self.state:
            conversations = conversations.filter(shown_state_q(self.state, now))
        if self.server:
            conversations = conversations.filter(place_id=self.server)
        if self.channel:
            conversations = conversations.filter(channel_id=self.channel)
        if self.unknown:
            said_unknown = Message.objects.filter(abstained=True).values("conversation_id")
            conversations = conversations.filter(pk__in=said_unknown)
        return conversations

    def query_string(self) -> str:
        query = QueryDict(mutable=True)
        for name, value in (
            ("active", "1" if self.active else ""),
            ("state", self.state),
            ("server", self.server),
            ("channel", self.channel),
            ("unknown", "1" if self.unknown else ""),
        ):
            if value:
                query[name] = value
        return query.urlencode()


def conversations_of(workspace: Workspace) -> QuerySet[Conversation]:
    """The workspace's conversations as the list shows them: newest activity first, with
    their message count and whoever holds them."""
    return (
        Conversation.objects.filter(workspace=workspace)
        .select_related("taken_by")
        .annotate(message_count=Count("messages"))
        .order_by("-last_message_at", "-id")
    )


def last_messages(conversation_ids: list[int]) -> dict[int, Message]:
    """Each conversation's latest message (the list's preview)."""
    latest = (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .values("conversation_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    return {m.conversation_id: m for m in Message.objects.filter(id__in=list(latest))}


# --- cursors ---------------------------------------------------------------------------------


def _encode(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (ValueError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


def _int_list(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, int)][:HELD_LIMIT]


@dataclass(frozen=True)
class ListCursor:
    """Where a list page is: the newest message it has seen in the workspace, and which
    conversations it shows as held by an agent (and by whom)."""

    message_id: int
    held: frozenset[tuple[int, int]] = frozenset()

    def encode(self) -> str:
        return _encode({"m": self.message_id, "h": sorted([c, u] for c, u in self.held)})

    @classmethod
    def decode(cls, cursor: str) -> ListCursor | None:
        data = _decode(cursor)
        if data is None or not isinstance(data.get("m"), int):
            return None
        pairs: list[Any] = data["h"] if isinstance(data.get("h"), list) else []
        held = frozenset(
            (p[0], p[1])
            for p in pairs[:HELD_LIMIT]
            if isinstance(p, list) and len(p) == 2 and all(isinstance(v, int) for v in p)
        )
        return cls(data["m"], held)


@dataclass(frozen=True)
class DetailCursor:
    """Where a conversation page is: its newest message seen, the agent messages it shows
    as still on their way to Discord, and a fingerprint of the takeover panel it shows."""

    message_id: int
    pending: frozenset[int] = frozenset()
    panel: str = ""

    def encode(self) -> str:
        return _encode({"m": self.message_id, "p": sorted(self.pending), "s": self.panel})

    @classmethod
    def decode(cls, cursor: str) -> DetailCursor | None:
        data = _decode(cursor)
        if data is None or not isinstance(data.get("m"), int):
            return None
        panel = data.get("s") if isinstance(data.get("s"), str) else ""
        return cls(data["m"], frozenset(_int_list(data.get("p"))), str(panel))


# --- the list feed ---------------------------------------------------------------------------


def _held_now(workspace: Workspace, now: datetime) -> frozenset[tuple[int, int]]:
    rows = (
        Conversation.objects.filter(workspace=workspace)
        .filter(shown_state_q(Conversation.State.HUMAN, now))
        .order_by("-agent_active_at")
        .values_list("id", "taken_by_id")[:HELD_LIMIT]
    )
    return frozenset((cid, uid or 0) for cid, uid in rows)


def _newest_message_id(messages: QuerySet[Message]) -> int:
    return int(messages.aggregate(newest=Max("id"))["newest"] or 0)


def list_cursor(workspace: Workspace, now: datetime) -> ListCursor:
    """The cursor of a list page rendered now."""
    newest = _newest_message_id(Message.objects.filter(conversation__workspace=workspace))
    return ListCursor(newest, _held_now(workspace, now))


@dataclass
class ListChanges:
    cursor: ListCursor
    # Changed conversations matching the filters, oldest activity first (the page puts
    # each on top in turn); ``moved`` holds those with new messages.
    shown: list[Conversation] = field(default_factory=list)
    moved: set[int] = field(default_factory=set)
    # Changed conversations that no longer match the filters (the page drops them).
    dropped: list[int] = field(default_factory=list)
    previews: dict[int, Message] = field(default_factory=dict)


def list_changes(workspace: Workspace, since: ListCursor, filters: Filters, now: datetime) -> ListChanges:
    """What changed in the workspace's conversations since ``since``: those with new
    messages (new conversations included), and those taken over or given back."""
    messages = Message.objects.filter(conversation__workspace=workspace)
    newest = max(since.message_id, _newest_message_id(messages))
    fresh = Q(id__gt=since.message_id)
    if connection.vendor != "sqlite":
        fresh |= Q(created_at__gte=now - SETTLE)
    moved = set(messages.filter(fresh).values_list("conversation_id", flat=True).distinct())
    held = _held_now(workspace, now)
    turned = {cid for cid, _ in since.held ^ held}
    changes = ListChanges(ListCursor(newest, held), moved=moved)
    changed = moved | turned
    if not changed:
        return changes
    rows = conversations_of(workspace).filter(pk__in=changed)
    matching = set(filters.apply(rows, now).values_list("pk", flat=True))
    changes.shown = sorted((c for c in rows if c.pk in matching), key=lambda c: (c.last_message_at, c.pk))
    changes.dropped = sorted(changed - matching)
    changes.previews = last_messages(list(matching))
    return changes


# --- one conversation's feed -----------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """The takeover panel of a conversation as one viewer sees it."""

    state: str
    holder: str
    held_by_me: bool
    # Whether the AI is silent now (an agent is active in it).
    human_active: bool
    # Seconds until the AI resumes by itself, while an agent is active (the page counts
    # down), and that moment as epoch seconds.
    resumes_in: int
    resumes_at: int = 0

    @property
    def fingerprint(self) -> str:
        # Not the seconds left, which change every poll: the moment the AI resumes does not
        # until the agent types or sends again.
        key = f"{self.state}|{self.holder}|{self.held_by_me}|{self.human_active}|{self.resumes_at}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]


def panel_for(conversation: Conversation, viewer: Any, now: datetime) -> Panel:
    holder = conversation.taken_by if conversation.state == Conversation.State.HUMAN else None
    active = conversation.human_active(now)
    resumes_in = resumes_at = 0
    if active and conversation.agent_active_at is not None:
        resumes = conversation.agent_active_at + TAKEOVER_IDLE
        resumes_in = max(0, int((resumes - now).total_seconds()))
        resumes_at = int(resumes.timestamp())
    return Panel(
        state=conversation.shown_state(now),
        holder=display_name(holder) if holder is not None else "",
        held_by_me=holder is not None and holder.pk == viewer.pk,
        human_active=active,
        resumes_in=resumes_in,
        resumes_at=resumes_at,
    )


@dataclass
class DetailChanges:
    cursor: DetailCursor
    conversation: Conversation
    panel: Panel
    panel_changed: bool
    messages: list[Message] = field(default_factory=list)


def detail_cursor(conversation: Conversation, viewer: Any, now: datetime) -> DetailCursor:
    """The cursor of a conversation page rendered now."""
    messages = Message.objects.filter(conversation=conversation)
    return DetailCursor(
        _newest_message_id(messages),
        frozenset(pending_ids(messages)),
        panel_for(conversation, viewer, now).fingerprint,
    )


def detail_changes(conversation_id: int, viewer: Any, since: DetailCursor, now: datetime) -> DetailChanges:
    """What changed in one conversation since ``since``: its new messages, agent messages
    that reached Discord (or failed to), and its takeover panel."""
    conversation = Conversation.objects.select_related("taken_by").get(pk=conversation_id)
    messages = Message.objects.filter(conversation=conversation)
    fresh = Q(id__gt=since.message_id)
    if connection.vendor != "sqlite":
        fresh |= Q(created_at__gte=now - SETTLE)
    pending_before = set(since.pending)
    new = list(messages.filter(fresh).order_by("id"))
    still_pending = set(pending_ids(messages.filter(id__in=pending_before))) if pending_before else set()
    settled = pending_before - still_pending - {m.pk for m in new}
    new += list(messages.filter(id__in=settled).order_by("id"))
    pending = still_pending | {m.pk for m in new if delivery_of(m).status == Delivery.SENDING}
    panel = panel_for(conversation, viewer, now)
    cursor = DetailCursor(
        max([since.message_id, *(m.pk for m in new)]), frozenset(pending), panel.fingerprint
    )
    return DetailChanges(cursor, conversation, panel, panel.fingerprint != since.panel, new)
