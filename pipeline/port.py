"""The ports through which the core acts on a channel (Discord today), without importing
the channel's library.

Each channel brings adapters with these methods: Discord's are in
``integrations.discordbot.ports`` (discord.py clients, connected or REST-only). Tests use
fakes with the same methods.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class ActionError(Exception):
    """The channel refused or failed an action; ``reason`` is plain words for the owner."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class ChannelPort(Protocol):
    async def reply(
        self, channel_id: str, message_id: str, text: str, *, feedback: str = "", solve: str = ""
    ) -> str:
        """Reply to a message without pinging anyone but its author; returns the new id.
        ``feedback``: the id of the question answered, to carry 👍/👎 buttons for it.
        ``solve``: the id of the forum post answered, to carry its Solved button."""
        ...

    async def send(self, channel_id: str, text: str, *, feedback: str = "", solve: str = "") -> str:
        """Post in a channel without pinging anyone; returns the new message id."""
        ...


@runtime_checkable
class ThreadPort(Protocol):
    async def start_thread(self, channel_id: str, message_id: str, name: str) -> str:
        """Start a public thread on a message; returns the thread's id (the message's, on Discord)."""
        ...


class InteractionPort(Protocol):
    async def edit_response(self, text: str, *, feedback: str = "") -> None:
        """Replace the deferred ("thinking…") response with ``text`` (no pings)."""
        ...

    async def follow_up(self, text: str, *, feedback: str = "") -> None:
        """Post a further message under the same interaction (no pings)."""
        ...
