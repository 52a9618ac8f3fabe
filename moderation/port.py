"""The port through which moderation acts on a channel, without importing its library.

Discord's adapter is ``integrations.discordbot.ports.ClientPort``; tests use fakes.
"""

from __future__ import annotations

from typing import Protocol


class ModerationPort(Protocol):
    """The channel's side effects of moderation; each raises ``pipeline.port.ActionError``
    on failure."""

    async def delete_message(self, channel_id: str, message_id: str) -> None: ...

    async def warn(self, channel_id: str, text: str) -> str:
        """Post a warning; the adapter lets it ping the user it names with ``<@id>``, never
        @everyone, @here or roles."""
        ...

    async def timeout(self, guild_id: str, member_id: str, seconds: int, reason: str) -> None: ...

    async def kick(self, guild_id: str, member_id: str, reason: str) -> None: ...

    async def ban(self, guild_id: str, member_id: str, reason: str) -> None: ...
