"""In-memory snapshot of the Discord servers' settings for the gateway hot path: the
pipeline's ``Directory`` over the ``DiscordServer`` rows.

The gateway reads settings from this dict only (zero database queries per message) and
reloads rows changed since the last refresh every ``SETTINGS_REFRESH_SECONDS``.

In a fleet, a gateway process holds only the guilds of what it connects (``own``): the
shards of the shared application and the custom bots it has leases on. A guild is on shard
``(guild_id >> 22) % shard_count`` (Discord's rule), so memory grows with the guilds a
process owns, not with the fleet's; guilds and workspaces it gives away are forgotten, and
so are the knowledge indexes of workspaces none of its guilds belongs to any more.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from conversations.models import TAKEOVER_IDLE, Conversation
from integrations.discordbot.actions import record_server_error
from integrations.discordbot.models import DiscordServer
from knowledge import search
from knowledge.search import warm_index
from moderation.decision import ModerationSettings
from pipeline.servers import ServerSettings

SOURCE = "discord"


def settings_of(row: DiscordServer) -> ServerSettings:
    return ServerSettings(
        guild_id=int(row.guild_id),
        workspace_id=row.workspace_id,
        application_id=row.application.application_id,
        name=row.name,
        connected=row.connected,
        response_mode=row.response_mode,
        smart_mode=row.smart_mode,
        channel_awareness=row.channel_awareness,
        thread_per_question=row.thread_per_question,
        channel_ids=frozenset(int(c) for c in row.channel_ids or []),
        moderation=ModerationSettings.from_server(row),
        source=SOURCE,
        feedback_buttons=row.feedback_buttons,
        sandbox=row.is_sandbox,
    )


@dataclass(frozen=True)
class Shards:
    """Which shards of one application a process connects: ``count`` in all (1 for a
    custom bot), of which ``held``."""

    count: int
    held: frozenset[int]

    def has(self, guild_id: int) -> bool:
        return self.count <= 1 or (guild_id >> 22) % self.count in self.held


# Discord application id → the shards of it this process connects.
Scope = Mapping[str, Shards]


class ServerDirectory:
    """Server settings by guild id, refreshed incrementally from the database.

    ``scope`` limits it to the guilds of some applications' shards (``own``); None holds
    every server (one process running everything, tests)."""

    def __init__(self, scope: Scope | None = None) -> None:
        self.by_guild: dict[int, ServerSettings] = {}
        self._seen_until: datetime | None = None
        self._scope: dict[str, Shards] | None = None if scope is None else dict(scope)
        # Applications whose guilds are to be loaded in full on the next refresh:
        # they entered the scope, so their unchanged rows were never read.
        self._entered: set[str] = set()
        self._lock = threading.Lock()
        # (guild, channel, member) of conversations a team member has taken over: their
        # messages are recorded (the agent sees them live) even when not addressed to the bot.
        self.held: frozenset[tuple[int, int, int]] = frozenset()

    def get(self, guild_id: int) -> ServerSettings | None:
        return self.by_guild.get(guild_id)

    def own(self, scope: Scope) -> bool:
        """Hold only the guilds of ``scope`` from now on: those outside it are forgotten at
        once (with the knowledge indexes no remaining guild needs); those that entered it
        are loaded by the next ``refresh``. Memory only; returns whether the scope changed
        (then call ``refresh``)."""
        scope = dict(scope)
        with self._lock:
            if scope == self._scope:
                return False
            before = self._scope or {}
            self._entered |= {pk for pk, shards in scope.items() if before.get(pk) != shards}
            self._scope = scope
            had = {s.workspace_id for s in self.by_guild.values()}
            for guild_id, server in list(self.by_guild.items()):
                if not self._holds(server.application_id, guild_id):
                    del self.by_guild[guild_id]
            kept = {s.workspace_id for s in self.by_guild.values()}
        for workspace_id in had - kept:
            if workspace_id is not None:
                search.invalidate(workspace_id)
        return True

    def _holds(self, application_id: str, guild_id: int) -> bool:
        if self._scope is None:
            return True
        shards = self._scope.get(application_id)
        return shards is not None and shards.has(guild_id)

    def refresh(self) -> int:
        """Load rows changed since the last call (all rows of the scope the first time,
        and of applications that entered it); sync, DB. Returns how many servers' settings
        it took in anew."""
        with self._lock:
            return self._refresh()

    def _refresh(self) -> int:
        rows = DiscordServer.objects.select_related("application", "workspace").order_by("updated_at")
        seen_until = self._seen_until
        first = seen_until is None
        entered, self._entered = self._entered, set()
        if seen_until is None:
            # Everything of the scope, once; changes come in by the clock from then on.
            changed = (
                rows
                if self._scope is None
                else rows.filter(application__application_id__in=list(self._scope))
            )
            entered = set()
        else:
            # Every changed row, in scope or not: a guild that moved to an application this
            # process does not run is forgotten. A row is stamped before its transaction
            # commits, so the last moments are read again: one committed late with an older
            # stamp than rows already read is not missed.
            lookback = timedelta(seconds=settings.SETTINGS_REFRESH_LOOKBACK_SECONDS)
            changed = rows.filter(updated_at__gte=seen_until - lookback)
        loaded = 0
        linked: set[int] = set()
        for row in changed:
            self._seen_until = max(self._seen_until or row.updated_at, row.updated_at)
            before, after = self._load(row)
            loaded += after is not None and after != before
            if (
                not first
                and after is not None
                and after.workspace_id is not None
                and (before is None or before.workspace_id != after.workspace_id)
            ):
                linked.add(after.workspace_id)
        if entered:
            for row in rows.filter(application__application_id__in=list(entered)):
                loaded += self._load(row)[1] is not None
        held = _held_conversations()
        if self._scope is not None:
            held = frozenset(h for h in held if h[0] in self.by_guild)
        self.held = held
        # A server just connected to a workspace: its index is built now, not when the
        # first member asks (at start, each guild's arrival does the same).
        for workspace_id in linked:
            warm_index(workspace_id)
        return loaded

    def _load(self, row: DiscordServer) -> tuple[ServerSettings | None, ServerSettings | None]:
        """Keep (or forget, when outside the scope) one row; returns before and after."""
        guild_id = int(row.guild_id)
        if not self._holds(row.application.application_id, guild_id):
            return self.by_guild.pop(guild_id, None), None
        before = self.by_guild.get(guild_id)
        after = self.by_guild[guild_id] = settings_of(row)
        return before, after

    def record_error(self, guild_id: str, error: str) -> None:
        record_server_error(guild_id, error)


def _held_conversations() -> frozenset[tuple[int, int, int]]:
    active = Conversation.objects.filter(
        source=SOURCE,
        state=Conversation.State.HUMAN,
        agent_active_at__gte=timezone.now() - TAKEOVER_IDLE,
    )
    rows = active.values_list("place_id", "channel_id", "member_id")
    return frozenset(
        (int(g), int(c), int(m)) for g, c, m in rows if g.isdigit() and c.isdigit() and m.isdigit()
    )
