"""In-memory snapshot of the Discord servers' settings for the gateway hot path: the
pipeline's ``Directory`` over the ``DiscordServer`` rows.

The gateway reads settings from this dict only (zero database queries per message) and
reloads rows changed since the last refresh every ``SETTINGS_REFRESH_SECONDS``.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from conversations.models import TAKEOVER_IDLE, Conversation
from integrations.discordbot.actions import record_server_error
from integrations.discordbot.models import DiscordServer
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


class ServerDirectory:
    """Server settings by guild id, refreshed incrementally from the database."""

    def __init__(self) -> None:
        self.by_guild: dict[int, ServerSettings] = {}
        self._seen_until: datetime | None = None
        # (guild, channel, member) of conversations a team member has taken over: their
        # messages are recorded (the agent sees them live) even when not addressed to the bot.
        self.held: frozenset[tuple[int, int, int]] = frozenset()

    def get(self, guild_id: int) -> ServerSettings | None:
        return self.by_guild.get(guild_id)

    def refresh(self) -> int:
        """Load rows changed since the last call (all rows the first time); sync, DB.

        Returns how many rows were loaded."""
        rows = DiscordServer.objects.select_related("application", "workspace").order_by("updated_at")
        if self._seen_until is not None:
            rows = rows.filter(updated_at__gte=self._seen_until)
        first = self._seen_until is None
        loaded = 0
        linked: set[int] = set()
        for row in rows:
            before = self.by_guild.get(int(row.guild_id))
            after = self.by_guild[int(row.guild_id)] = settings_of(row)
            if (
                not first
                and after.workspace_id is not None
                and (before is None or before.workspace_id != after.workspace_id)
            ):
                linked.add(after.workspace_id)
            self._seen_until = row.updated_at
            loaded += 1
        self.held = _held_conversations()
        # A server just connected to a workspace: its index is built now, not when the
        # first member asks (at start, each guild's arrival does the same).
        for workspace_id in linked:
            warm_index(workspace_id)
        return loaded

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
