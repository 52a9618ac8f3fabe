"""A local Discord (REST API v10 + gateway) that discord.py really connects to, for tests and trials.

See :class:`DiscordSimulator` for the test API and ``python -m devtools.discord_simulator`` for a
standalone server.
"""

from __future__ import annotations

from .gateway import GatewayEvent
from .recorder import Call
from .server import DiscordSimulator

__all__ = ["Call", "DiscordSimulator", "GatewayEvent"]
