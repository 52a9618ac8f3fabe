"""What the pipeline knows of a server (a place where members talk to the bot): its
settings, and the directory its channel keeps them in.

The channel's adapter fills the directory (Discord's: ``integrations.discordbot.servers``,
a snapshot of the ``DiscordServer`` rows); the pipeline only reads it, in memory, on the
hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from conversations.actions import Place
from moderation.decision import ModerationSettings


@dataclass(frozen=True, slots=True)
class ServerSettings:
    guild_id: int
    workspace_id: int | None
    application_id: str
    name: str
    connected: bool
    response_mode: str
    smart_mode: bool
    channel_awareness: bool
    channel_ids: frozenset[int]
    moderation: ModerationSettings
    # Which channel the server is on, as the conversation log names it ("discord").
    source: str
    # 👍/👎 under each AI answer.
    feedback_buttons: bool = False
    # All-messages mode: a question in a channel is answered in a thread started on it.
    thread_per_question: bool = False
    # The bundled simulator's sandbox server: its messages are never counted.
    sandbox: bool = False

    @property
    def moderation_enabled(self) -> bool:
        return self.moderation.enabled

    @property
    def usage_channel(self) -> str:
        """The channel its usage is counted under (``usage.quota``): the sandbox's is free."""
        return "sandbox" if self.sandbox else self.source

    @property
    def active(self) -> bool:
        return self.connected and self.workspace_id is not None

    def place(self, channel_id: int, place_name: str = "") -> Place:
        """Where a member of this server talks, for the conversation log."""
        assert self.workspace_id is not None  # only active servers are answered
        return Place(
            workspace_id=self.workspace_id,
            source=self.source,
            place_id=str(self.guild_id),
            channel_id=str(channel_id),
            place_name=place_name or self.name,
        )


class Directory(Protocol):
    """Server settings by guild id, kept by the channel's adapter."""

    # (guild, channel, member) of conversations a team member has taken over: their
    # messages are recorded (the agent sees them live) even when not addressed to the bot.
    held: frozenset[tuple[int, int, int]]

    def get(self, guild_id: int) -> ServerSettings | None: ...

    def refresh(self) -> int:
        """Load settings changed since the last call; sync (database). Returns how many."""
        ...

    def record_error(self, guild_id: str, error: str) -> None:
        """Keep the server's last error for the owner's diagnostics; sync (database)."""
        ...
