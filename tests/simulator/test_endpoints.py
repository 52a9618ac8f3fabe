"""configure_discord_endpoints points discord.py's REST, webhook and gateway URLs elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from integrations.discordbot.endpoints import (
    configure_discord_endpoints,
    configure_from_settings,
    current_discord_endpoints,
)


@pytest.fixture(autouse=True)
def _restore_endpoints() -> Iterator[None]:
    saved = current_discord_endpoints()
    yield
    configure_discord_endpoints(*saved)


def test_it_points_rest_routes_at_the_api_base_url() -> None:
    configure_discord_endpoints("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9/gateway")

    assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"


def test_it_points_interaction_webhooks_at_the_api_base_url() -> None:
    configure_discord_endpoints("http://127.0.0.1:9/api/v10", "ws://127.0.0.1:9/gateway")

    # discord/webhook/async_.py builds interaction responses from the same Route class.
    route = Route(
        "POST", "/interactions/{webhook_id}/{webhook_token}/callback", webhook_id=1, webhook_token="t"
    )
    assert route.url == "http://127.0.0.1:9/api/v10/interactions/1/t/callback"


def test_it_points_new_gateway_connections_at_the_gateway_url() -> None:
    configure_discord_endpoints("http://127.0.0.1:9/api/v10", "ws://127.0.0.1:9/gateway")

    assert DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:9/gateway")


def test_it_is_idempotent() -> None:
    configure_discord_endpoints("http://127.0.0.1:9/api/v10", "ws://127.0.0.1:9/gateway")
    first = current_discord_endpoints()

    configure_discord_endpoints("http://127.0.0.1:9/api/v10", "ws://127.0.0.1:9/gateway")

    assert current_discord_endpoints() == first


@pytest.mark.parametrize(
    ("api", "gateway"),
    [
        ("ws://127.0.0.1:9/api/v10", "ws://127.0.0.1:9/gateway"),
        ("http://127.0.0.1:9/api", "https://127.0.0.1:9"),
    ],
)
def test_it_refuses_urls_with_the_wrong_scheme(api: str, gateway: str) -> None:
    with pytest.raises(ValueError):
        configure_discord_endpoints(api, gateway)


def test_it_configures_from_django_settings(settings: Any) -> None:
    settings.DISCORD_API_BASE_URL = "http://127.0.0.1:8790/api/v10"
    settings.DISCORD_GATEWAY_URL = "ws://127.0.0.1:8790/gateway"

    configure_from_settings()

    assert current_discord_endpoints() == ("http://127.0.0.1:8790/api/v10", "ws://127.0.0.1:8790/gateway")


def test_discord_defaults_round_trip() -> None:
    configure_discord_endpoints("https://discord.com/api/v10", "wss://gateway.discord.gg/")

    assert Route.BASE == discord.http.Route.BASE == "https://discord.com/api/v10"
