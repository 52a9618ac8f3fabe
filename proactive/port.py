"""The port through which proactive posts reach a server's channels, without importing
the channel's library.

Schedules live on Discord servers' rows, so ``port_for`` asks the poster registered for
"discord"; Discord's app registers it when Django starts
(``integrations.discordbot.apps``). Tests use the real one against the simulator.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from integrations.discordbot.models import DiscordServer


class ProactivePort(Protocol):
    """One server's side of its proactive posts. The async methods run inside ``run``;
    each raises ``pipeline.port.ActionError`` with plain words for the owner."""

    def run(self, work: Callable[[], Awaitable[None]], *, timeout: float) -> None:
        """Run ``work`` where the channel's client lives and wait for it (sync callers).
        Raises ActionError when the channel refuses the bot or cannot be reached, and
        whatever ``work`` raises."""
        ...

    async def find_channel(self, name: str) -> str:
        """The id of the server's text channel called ``name`` (as the owner typed it)."""
        ...

    async def post(self, channel_id: str, channel_name: str, text: str) -> str:
        """Post ``text`` in the channel without pinging anyone; returns the message id."""
        ...


POSTERS: dict[str, Callable[[DiscordServer], ProactivePort]] = {}
"""How each channel posts for a server, by source."""


def port_for(server: DiscordServer) -> ProactivePort:
    return POSTERS["discord"](server)
