"""The simulator's REST surface as a raw HTTP client sees it: auth, headers, OAuth2, login."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import discord
import pytest

from devtools.discord_simulator import DiscordSimulator
from tests.simulator.conftest import APP_ID, TOKEN, FastClient, World

REDIRECT_URI = "http://127.0.0.1:8000/discord/installed/"


async def _exchange(sim: DiscordSimulator, form: dict[str, str], **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sim.api_base_url}/oauth2/token", data=form, **kwargs) as response,
    ):
        return response.status, await response.json()


def _code_form(world: World, code: str) -> dict[str, str]:
    app = world.sim.state.application(APP_ID)
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": APP_ID,
        "client_secret": app.client_secret,
    }


async def test_a_request_without_a_bot_token_gets_discords_401(sim: DiscordSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{sim.api_base_url}/users/@me") as response:
        assert response.status == 401
        assert response.headers["Content-Type"] == "application/json"  # discord.py needs it exact
        assert await response.json() == {"message": "401: Unauthorized", "code": 0}


async def test_responses_carry_rate_limit_headers(world: World) -> None:
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{world.sim.api_base_url}/gateway/bot", headers=headers) as response,
    ):
        body = await response.json()

    assert body["url"] == world.sim.gateway_url
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-After"} <= set(response.headers)


async def test_an_unknown_token_fails_to_log_in(world: World) -> None:
    client = FastClient(intents=discord.Intents(guilds=True))
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-a-token")
    finally:
        await client.close()


async def test_an_oauth_code_exchanges_for_a_token_with_the_guild(world: World) -> None:
    other = world.sim.add_guild("Bob's Bakery")
    code = world.sim.issue_oauth_code(APP_ID, other.id, REDIRECT_URI)

    status, token = await _exchange(world.sim, _code_form(world, code))

    assert status == 200
    assert token["guild"]["id"] == other.id
    assert APP_ID in other.application_ids  # approving the bot scope added the bot


async def test_client_credentials_may_come_as_basic_auth(world: World) -> None:
    code = world.sim.issue_oauth_code(APP_ID, world.guild.id, REDIRECT_URI)
    form = _code_form(world, code)
    credentials = base64.b64encode(f"{form.pop('client_id')}:{form.pop('client_secret')}".encode()).decode()

    status, token = await _exchange(world.sim, form, headers={"Authorization": f"Basic {credentials}"})

    assert status == 200 and token["token_type"] == "Bearer"


async def test_an_unknown_oauth_code_is_an_invalid_grant(world: World) -> None:
    status, body = await _exchange(world.sim, _code_form(world, "made-up"))

    assert (status, body["error"]) == (400, "invalid_grant")


async def test_an_oauth_code_works_only_once(world: World) -> None:
    code = world.sim.issue_oauth_code(APP_ID, world.guild.id, REDIRECT_URI)
    await _exchange(world.sim, _code_form(world, code))

    status, body = await _exchange(world.sim, _code_form(world, code))

    assert (status, body["error"]) == (400, "invalid_grant")
