"""A workspace's own Discord bot: Application ID, Public Key and Bot Token checked against
Discord (the simulator) on save, the token encrypted at rest and never shown, the endpoint
URL and invite link shown, the gateway following a save or a removal within seconds."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client
from django.urls import reverse

from devtools.discord_simulator import DiscordSimulator
from guildmind.crypto import decrypt
from integrations.discordbot import webhook
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints
from integrations.discordbot.install import permissions_for
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.permissions import MANAGE_THREADS
from integrations.discordbot.servers import ServerDirectory
from integrations.discordbot.supervisor import Supervisor, runnable_applications

with_simulator = pytest.mark.django_db(transaction=True)

SHARED_ID = "770000000000000001"
CUSTOM_ID, CUSTOM_TOKEN = "770000000000000002", "Nzcw.custom-bot-token.x7Q9"
OTHER_ID, OTHER_TOKEN = "770000000000000003", "Nzcw.other-bot-token.k3Z5"
SAVED_KEY = "ab" * 32


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_webhook_caches() -> Iterator[None]:
    # Test databases reuse ids; a key cached by an earlier test must not answer for this one.
    webhook.clear_caches()
    yield
    webhook.clear_caches()


@pytest.fixture
def discord_settings(settings: Any) -> Any:
    settings.DISCORD_APPLICATION_ID = SHARED_ID
    settings.SITE_URL = "https://guildmind.example.org"
    return settings


@pytest.fixture
def unreachable_discord(discord_settings: Any) -> Any:
    """Discord's API at a loopback port nobody listens on: every call fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    discord_settings.DISCORD_API_BASE_URL = f"http://127.0.0.1:{port}/api/v10"
    return discord_settings


@pytest.fixture
async def sim(discord_settings: Any) -> AsyncIterator[DiscordSimulator]:
    simulator = DiscordSimulator()
    await simulator.start()
    simulator.add_application(CUSTOM_ID, CUSTOM_TOKEN, bot_name="Acme Helper")
    simulator.add_application(OTHER_ID, OTHER_TOKEN, bot_name="Other Helper")
    previous = current_discord_endpoints()
    discord_settings.DISCORD_API_BASE_URL = simulator.api_base_url
    discord_settings.DISCORD_GATEWAY_URL = simulator.gateway_url
    configure_discord_endpoints(simulator.api_base_url, simulator.gateway_url)
    yield simulator
    configure_discord_endpoints(*previous)
    await simulator.stop()


@pytest.fixture
def alices_bot(workspace: Any) -> BotApplication:
    return BotApplication.objects.create(
        application_id=CUSTOM_ID,
        workspace=workspace,
        public_key=SAVED_KEY,
        bot_token=CUSTOM_TOKEN,
        name="Acme",
    )


@pytest.fixture
def alices_server(workspace: Any, alices_bot: BotApplication) -> DiscordServer:
    return DiscordServer.objects.create(
        guild_id="880000000000000001", name="Acme Guild", workspace=workspace, application=alices_bot
    )


# --- helpers ------------------------------------------------------------------------------


def page_url() -> str:
    return reverse("discord_custom_bot")


def remove_url() -> str:
    return reverse("discord_custom_bot_remove")


def page(response: Any) -> str:
    return str(response.content.decode())


def key_of(sim: DiscordSimulator, application_id: str) -> str:
    return str(sim.state.application(application_id).public_key)


def bot_form(
    sim: DiscordSimulator | None = None,
    application_id: str = CUSTOM_ID,
    token: str = CUSTOM_TOKEN,
    key: str | None = None,
) -> dict[str, str]:
    if key is None:
        key = key_of(sim, application_id) if sim is not None else SAVED_KEY
    return {"application_id": application_id, "public_key": key, "bot_token": token}


async def post(client: Client, url: str, data: dict[str, str] | None = None) -> Any:
    return await sync_to_async(client.post)(url, data or {})


async def get(client: Client, url: str) -> Any:
    return await sync_to_async(client.get)(url)


async def applications() -> list[BotApplication]:
    return [app async for app in BotApplication.objects.order_by("id")]


def raw_token_column(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT bot_token FROM {BotApplication._meta.db_table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def signed_ping(sim: DiscordSimulator, application_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"id": "790000000000000001", "application_id": application_id, "type": 1, "token": "t", "version": 1}
    ).encode()
    return body, sim.sign_interaction(application_id, body, str(int(time.time())))


async def send_ping(client: Client, sim: DiscordSimulator, application_id: str) -> int:
    body, headers = signed_ping(sim, application_id)
    response = await sync_to_async(client.post)(
        reverse("discord_webhook"), data=body, content_type="application/json", headers=headers
    )
    return int(response.status_code)


async def eventually(check: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


# --- saving -------------------------------------------------------------------------------


@with_simulator
async def test_a_valid_custom_bot_is_saved_with_its_token_encrypted_at_rest(
    alice_client: Client, sim: DiscordSimulator, workspace: Any
) -> None:
    response = await post(alice_client, page_url(), bot_form(sim))
    assert response.status_code == 302
    assert response["Location"] == page_url()
    [app] = await applications()
    assert (app.application_id, app.workspace_id, app.is_shared) == (CUSTOM_ID, workspace.id, False)
    assert (app.public_key, app.bot_token, app.name) == (key_of(sim, CUSTOM_ID), CUSTOM_TOKEN, "Acme Helper")
    raw = await sync_to_async(raw_token_column)(app.pk)
    assert raw and CUSTOM_TOKEN not in raw and "x7Q9" not in raw
    assert decrypt(raw) == CUSTOM_TOKEN
    checks = [c for c in sim.calls if c.path == "/oauth2/applications/@me"]
    assert len(checks) == 1 and checks[0].bot_id == CUSTOM_ID  # asked with that bot's token


@with_simulator
async def test_the_page_shows_only_the_last_four_characters_of_the_token(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    landed = await get(alice_client, (await post(alice_client, page_url(), bot_form(sim)))["Location"])
    text = page(landed)
    assert "…x7Q9" in text
    assert CUSTOM_TOKEN not in text
    assert "custom-bot-token" not in text
    assert "Saved “Acme Helper”" in text


@with_simulator
async def test_a_refused_form_does_not_echo_the_typed_token(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    response = await post(alice_client, page_url(), bot_form(sim, key=key_of(sim, OTHER_ID)))
    assert response.status_code == 400
    assert CUSTOM_TOKEN not in page(response)


@with_simulator
async def test_the_page_shows_the_endpoint_url_and_the_invite_link(
    alice_client: Client, sim: DiscordSimulator, discord_settings: Any
) -> None:
    await post(alice_client, page_url(), bot_form(sim))
    text = page(await get(alice_client, page_url()))
    assert '<code id="endpoint-url">https://guildmind.example.org/discord/webhook/</code>' in text
    match = re.search(r'<a href="([^"]+)" id="invite-url"', text)
    assert match is not None
    invite = html.unescape(match.group(1))
    assert invite.startswith(discord_settings.DISCORD_OAUTH_AUTHORIZE_URL + "?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(invite).query).items()}
    assert query["client_id"] == CUSTOM_ID
    assert query["scope"] == "bot applications.commands"
    # What "Add to Discord" starts with: delete, and Manage Threads for Solved forum posts.
    assert int(query["permissions"]) == permissions_for(["delete"]) | MANAGE_THREADS
    assert "Message Content Intent" in text


def test_before_saving_the_page_explains_the_steps(alice_client: Client, discord_settings: Any) -> None:
    text = page(alice_client.get(page_url()))
    assert "Reset Token" in text and "Message Content Intent" in text
    assert "https://guildmind.example.org/discord/webhook/" in text
    assert 'id="invite-url"' not in text
    assert "Remove" not in text


@with_simulator
async def test_a_token_discord_refuses_saves_nothing(alice_client: Client, sim: DiscordSimulator) -> None:
    response = await post(alice_client, page_url(), bot_form(sim, token="Nzcw.not-a-real-token"))
    assert response.status_code == 400
    assert "Discord refused this token" in page(response)
    assert "Nothing was saved" in page(response)
    assert await applications() == []


@with_simulator
async def test_a_token_of_another_application_is_refused(alice_client: Client, sim: DiscordSimulator) -> None:
    response = await post(alice_client, page_url(), bot_form(sim, token=OTHER_TOKEN))
    assert response.status_code == 400
    assert f"This token belongs to application {OTHER_ID}, not {CUSTOM_ID}." in page(response)
    assert await applications() == []


@with_simulator
async def test_a_public_key_of_another_application_is_refused(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    response = await post(alice_client, page_url(), bot_form(sim, key=key_of(sim, OTHER_ID)))
    assert response.status_code == 400
    assert f"This is not the public key of application {CUSTOM_ID}" in page(response)
    assert await applications() == []


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("ab" * 31, "64 hexadecimal characters (32 bytes); this one has 62"),
        ("ab" * 33, "64 hexadecimal characters (32 bytes); this one has 66"),
        ("zz" * 32, "only the digits 0 to 9 and the letters a to f"),
    ],
    ids=["short", "long", "not-hex"],
)
def test_a_public_key_that_is_not_32_bytes_of_hex_is_refused_without_asking_discord(
    alice_client: Client, unreachable_discord: Any, key: str, message: str
) -> None:
    response = alice_client.post(page_url(), bot_form(key=key))
    assert response.status_code == 400
    assert message in page(response)
    assert "Could not reach Discord" not in page(response)  # refused before any call
    assert not BotApplication.objects.exists()


def test_a_public_key_is_taken_in_any_case_and_spacing(
    alice_client: Client, unreachable_discord: Any
) -> None:
    response = alice_client.post(page_url(), bot_form(key=" " + "AB" * 32 + "\n"))
    # Valid as typed: the form goes on to ask Discord (which is unreachable here).
    assert "Could not reach Discord" in page(response)


@pytest.mark.parametrize("application_id", ["12345", "acme-bot", "7700000000000000021234"])
def test_an_application_id_that_is_not_a_snowflake_is_refused(
    alice_client: Client, unreachable_discord: Any, application_id: str
) -> None:
    response = alice_client.post(page_url(), bot_form(application_id=application_id))
    assert response.status_code == 400
    assert "The Application ID is a number of 17 to 20 digits" in page(response)
    assert not BotApplication.objects.exists()


def test_a_new_bot_needs_a_token(alice_client: Client, unreachable_discord: Any) -> None:
    response = alice_client.post(page_url(), bot_form(token=""))
    assert response.status_code == 400
    assert "Paste the bot token of this application" in page(response)


def test_a_token_with_spaces_inside_is_refused(alice_client: Client, unreachable_discord: Any) -> None:
    response = alice_client.post(page_url(), bot_form(token="Nzcw abc\ndef"))
    assert response.status_code == 400
    assert "does not look like a bot token" in page(response)


def test_nothing_is_saved_when_discord_cannot_be_reached(
    alice_client: Client, unreachable_discord: Any
) -> None:
    response = alice_client.post(page_url(), bot_form())
    assert response.status_code == 400
    assert "Could not reach Discord to check the token, so nothing was saved. Please try again" in page(
        response
    )
    assert not BotApplication.objects.exists()


@with_simulator
async def test_nothing_is_saved_when_discord_fails(alice_client: Client, sim: DiscordSimulator) -> None:
    sim.fail_next("GET", r"^/oauth2/applications/@me$", 503)
    response = await post(alice_client, page_url(), bot_form(sim))
    assert response.status_code == 400
    assert "Could not reach Discord" in page(response)
    assert await applications() == []


@with_simulator
async def test_an_application_of_another_workspace_is_refused(
    bob_client: Client, sim: DiscordSimulator, workspace: Any
) -> None:
    theirs = await BotApplication.objects.acreate(
        application_id=CUSTOM_ID, workspace=workspace, public_key=SAVED_KEY, bot_token=CUSTOM_TOKEN
    )
    response = await post(bob_client, page_url(), bot_form(sim))
    assert response.status_code == 400
    assert f"Application {CUSTOM_ID} is already connected to another Guildmind workspace" in page(response)
    [app] = await applications()
    assert (app.pk, app.workspace_id, app.public_key) == (theirs.pk, workspace.id, SAVED_KEY)


@with_simulator
async def test_the_shared_application_cannot_be_a_custom_bot(
    alice_client: Client, sim: DiscordSimulator, discord_settings: Any
) -> None:
    discord_settings.DISCORD_APPLICATION_ID = CUSTOM_ID
    response = await post(alice_client, page_url(), bot_form(sim))
    assert response.status_code == 400
    assert f"Application {CUSTOM_ID} is this Guildmind's own bot" in html.unescape(page(response))
    assert await applications() == []


@with_simulator
async def test_a_bot_without_the_message_content_intent_is_saved_with_a_warning(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    sim.state.application(CUSTOM_ID).privileged_intents = 0
    response = await post(alice_client, page_url(), bot_form(sim))
    assert response.status_code == 302
    text = page(await get(alice_client, response["Location"]))
    assert "Message Content intent is off for this bot" in text
    assert await BotApplication.objects.filter(application_id=CUSTOM_ID).aexists()


# --- editing ------------------------------------------------------------------------------


@with_simulator
async def test_an_empty_token_field_keeps_the_saved_token(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    await post(alice_client, page_url(), bot_form(sim))
    response = await post(alice_client, page_url(), bot_form(sim, token=""))
    assert response.status_code == 302
    app = await BotApplication.objects.aget(application_id=CUSTOM_ID)
    assert app.bot_token == CUSTOM_TOKEN
    # Still checked with Discord, with the saved token.
    assert len([c for c in sim.calls if c.path == "/oauth2/applications/@me"]) == 2


@with_simulator
async def test_a_new_token_replaces_the_saved_one_and_clears_its_old_error(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    await post(alice_client, page_url(), bot_form(sim))
    await BotApplication.objects.filter(application_id=CUSTOM_ID).aupdate(
        gateway_error="Discord refused the bot token"
    )
    sim.state.application(CUSTOM_ID).token = "Nzcw.reset-token.r9T2"
    response = await post(alice_client, page_url(), bot_form(sim, token="Nzcw.reset-token.r9T2"))
    assert response.status_code == 302
    app = await BotApplication.objects.aget(application_id=CUSTOM_ID)
    assert (app.bot_token, app.gateway_error) == ("Nzcw.reset-token.r9T2", "")


@with_simulator
async def test_switching_to_another_application_needs_its_token(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    await post(alice_client, page_url(), bot_form(sim))
    response = await post(alice_client, page_url(), bot_form(sim, application_id=OTHER_ID, token=""))
    assert response.status_code == 400
    assert "Paste the bot token of this application" in page(response)
    assert [app.application_id for app in await applications()] == [CUSTOM_ID]


@with_simulator
async def test_switching_to_another_application_retires_the_first(
    alice_client: Client, sim: DiscordSimulator, workspace: Any
) -> None:
    await post(alice_client, page_url(), bot_form(sim))
    first = await BotApplication.objects.aget(application_id=CUSTOM_ID)
    server = await DiscordServer.objects.acreate(
        guild_id="880000000000000009", workspace=workspace, application=first
    )
    response = await post(alice_client, page_url(), bot_form(sim, application_id=OTHER_ID, token=OTHER_TOKEN))
    assert response.status_code == 302
    await first.arefresh_from_db()
    await server.arefresh_from_db()
    assert (first.bot_token, first.public_key, server.connected) == ("", "", False)
    specs = await sync_to_async(runnable_applications)()
    assert [spec.application_id for spec in specs] == [OTHER_ID]


# --- removing -----------------------------------------------------------------------------


def test_removing_empties_the_token_and_disconnects_the_servers(
    alice_client: Client, alices_bot: BotApplication, alices_server: DiscordServer
) -> None:
    assert [spec.pk for spec in runnable_applications()] == [alices_bot.pk]
    before = alices_server.updated_at
    response = alice_client.post(remove_url())
    assert response.status_code == 302
    assert response["Location"] == page_url()
    alices_bot.refresh_from_db()
    alices_server.refresh_from_db()
    assert (alices_bot.bot_token, alices_bot.public_key) == ("", "")
    assert not alices_server.connected
    assert alices_server.updated_at > before
    assert runnable_applications() == []
    text = page(alice_client.get(response["Location"]))
    assert "Removed “Acme”" in text
    assert "…x7Q9" not in text


def test_the_gateway_directory_stops_acting_in_a_removed_bots_servers(
    alice_client: Client, alices_server: DiscordServer
) -> None:
    directory = ServerDirectory()
    directory.refresh()
    seen = directory.get(int(alices_server.guild_id))
    assert seen is not None and seen.active
    alice_client.post(remove_url())
    directory.refresh()
    seen = directory.get(int(alices_server.guild_id))
    assert seen is not None and not seen.active


def test_removing_without_a_custom_bot_changes_nothing(alice_client: Client, discord_settings: Any) -> None:
    response = alice_client.post(remove_url())
    assert response.status_code == 302
    assert "This workspace has no custom bot." in page(alice_client.get(page_url()))


def test_remove_only_accepts_post(alice_client: Client, alices_bot: BotApplication) -> None:
    assert alice_client.get(remove_url()).status_code == 405
    alices_bot.refresh_from_db()
    assert alices_bot.bot_token == CUSTOM_TOKEN


# --- the gateway and the endpoint follow within seconds -----------------------------------


@with_simulator
async def test_the_gateway_connects_a_saved_bot_and_disconnects_it_when_removed(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    supervisor = Supervisor(ServerDirectory())
    stop = asyncio.Event()
    runner = asyncio.create_task(supervisor.run(stop, every=0.1))
    try:
        await post(alice_client, page_url(), bot_form(sim))
        await sim.wait_until_connected(CUSTOM_ID)
        await post(alice_client, remove_url())
        await eventually(lambda: not sim.connected(CUSTOM_ID))
        assert supervisor.connections == {}
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


@with_simulator
async def test_the_endpoint_accepts_the_new_key_at_once_and_refuses_it_after_removal(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    # Discord checking the endpoint before the bot is saved: refused, and remembered as
    # unknown by the endpoint's key cache.
    assert await send_ping(alice_client, sim, CUSTOM_ID) == 401
    await post(alice_client, page_url(), bot_form(sim))
    assert await send_ping(alice_client, sim, CUSTOM_ID) == 200
    await post(alice_client, remove_url())
    assert await send_ping(alice_client, sim, CUSTOM_ID) == 401


# --- who may do what ----------------------------------------------------------------------


def test_a_member_of_another_workspace_sees_their_own_state(
    bob_client: Client, alices_bot: BotApplication, alices_server: DiscordServer, discord_settings: Any
) -> None:
    response = bob_client.get(page_url())
    assert response.status_code == 200
    text = page(response)
    assert CUSTOM_ID not in text
    assert SAVED_KEY not in text
    assert "…x7Q9" not in text
    assert "Acme Guild" not in text
    assert 'id="invite-url"' not in text


def test_a_member_of_another_workspace_cannot_remove_the_bot(
    bob_client: Client, alices_bot: BotApplication, alices_server: DiscordServer
) -> None:
    response = bob_client.post(remove_url())
    assert response.status_code == 302
    alices_bot.refresh_from_db()
    alices_server.refresh_from_db()
    assert (alices_bot.bot_token, alices_bot.public_key) == (CUSTOM_TOKEN, SAVED_KEY)
    assert alices_server.connected
    assert [spec.pk for spec in runnable_applications()] == [alices_bot.pk]


@pytest.mark.parametrize(("method", "url"), [("get", page_url), ("post", page_url), ("post", remove_url)])
def test_anonymous_visitors_are_sent_to_login(
    client: Client, alices_bot: BotApplication, method: str, url: Any
) -> None:
    response = getattr(client, method)(url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    alices_bot.refresh_from_db()
    assert alices_bot.bot_token == CUSTOM_TOKEN


@pytest.mark.parametrize(("url", "data"), [(page_url, bot_form()), (remove_url, {})], ids=["save", "remove"])
def test_every_form_requires_a_csrf_token(
    alice: Any, alices_bot: BotApplication, unreachable_discord: Any, url: Any, data: dict[str, str]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(url(), data).status_code == 403
    alices_bot.refresh_from_db()
    assert (alices_bot.bot_token, alices_bot.public_key) == (CUSTOM_TOKEN, SAVED_KEY)


def test_every_form_carries_a_csrf_token(alice_client: Client, alices_bot: BotApplication) -> None:
    text = page(alice_client.get(page_url()))
    for action in (page_url(), remove_url()):
        form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', text, re.S)
        assert form is not None, action
        assert 'name="csrfmiddlewaretoken"' in form.group(0)


def test_the_setup_page_links_to_the_custom_bot(alice_client: Client, discord_settings: Any) -> None:
    assert f'href="{page_url()}"' in page(alice_client.get(reverse("discord_setup")))
