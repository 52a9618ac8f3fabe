"""Point discord.py at any Discord-compatible server (Discord itself, a proxy, or our simulator).

discord.py keeps its endpoints in class attributes, so this is process-wide:

- REST: ``discord.http.Route.BASE``. Webhook and interaction-response calls
  (``discord/webhook/async_.py``) build the same ``Route`` objects, so they follow it too.
- Gateway: ``DiscordWebSocket.DEFAULT_GATEWAY``. A plain ``Client`` connects there without asking
  ``GET /gateway/bot``; an ``AutoShardedClient`` with a fixed shard count does the same, and one
  without asks ``GET /gateway/bot`` (answered by the configured server, so it stays there). Both
  fall back to it whenever a session is invalidated.
- RESUME goes to the ``resume_gateway_url`` from READY, which the configured server chooses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def configure_discord_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Makes every discord.py client in this process use these endpoints. Idempotent.

    ``api_base_url`` includes the version path (``https://discord.com/api/v10``); ``gateway_url``
    is a ``ws://`` or ``wss://`` URL. Raises ValueError for anything else, so a typo in settings
    fails at start-up rather than as a confusing connection error later.
    """
    api = urlsplit(api_base_url)
    if api.scheme not in {"http", "https"} or not api.netloc:
        raise ValueError(f"Discord API base URL must be an http(s) URL, got {api_base_url!r}")
    gateway = urlsplit(gateway_url)
    if gateway.scheme not in {"ws", "wss"} or not gateway.netloc:
        raise ValueError(f"Discord gateway URL must be a ws(s) URL, got {gateway_url!r}")
    Route.BASE = api_base_url.rstrip("/")
    # discord.py adds ?v=&encoding=&compress= itself with yarl's with_query, which would replace
    # any query here, so only the scheme, host and path matter.
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def configure_from_settings() -> None:
    """Applies ``DISCORD_API_BASE_URL`` and ``DISCORD_GATEWAY_URL`` from Django settings."""
    from django.conf import settings

    configure_discord_endpoints(settings.DISCORD_API_BASE_URL, settings.DISCORD_GATEWAY_URL)


def current_discord_endpoints() -> tuple[str, str]:
    """The (API base URL, gateway URL) discord.py uses right now."""
    return Route.BASE, str(DiscordWebSocket.DEFAULT_GATEWAY)
