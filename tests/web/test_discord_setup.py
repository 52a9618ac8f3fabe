"""Connecting Discord servers ("Add to Discord") and editing each server's settings.

The OAuth2 install runs against the Discord simulator: the dashboard sends the owner to
Discord, the simulator approves the install (``issue_oauth_code``) the way Discord does, and
the test client follows Discord's redirect to the callback.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devtools.discord_simulator import DiscordSimulator, rest_apps
from devtools.discord_simulator import permissions as discord_permissions
from devtools.discord_simulator.payloads import guild_payload
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints
from integrations.discordbot.install import (
    BASE_PERMISSIONS,
    InstalledGuild,
    connect_server,
    permission_names,
    permissions_for,
    server_permissions,
)
from integrations.discordbot.models import BotApplication, DiscordServer, OAuthState
from integrations.discordbot.servers import ServerDirectory
from moderation.models import ModerationEntry

with_simulator = pytest.mark.django_db(transaction=True)

APP_ID = "760000000000000001"
TOKEN = "setup-bot-token"
SECRET = "setup-client-secret"
ICON = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def discord_settings(settings: Any) -> Any:
    settings.DISCORD_APPLICATION_ID = APP_ID
    settings.DISCORD_BOT_TOKEN = TOKEN
    settings.DISCORD_CLIENT_SECRET = SECRET
    settings.DISCORD_PUBLIC_KEY = ""
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
async def sim(discord_settings: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordSimulator]:
    simulator = DiscordSimulator()
    await simulator.start()
    simulator.add_application(APP_ID, TOKEN, client_secret=SECRET)
    # The simulator's guilds have no icon; give the token answer one, as Discord's would.
    monkeypatch.setattr(rest_apps, "guild_payload", lambda guild: {**guild_payload(guild), "icon": ICON})
    previous = current_discord_endpoints()
    discord_settings.DISCORD_API_BASE_URL = simulator.api_base_url
    discord_settings.DISCORD_GATEWAY_URL = simulator.gateway_url
    yield simulator
    configure_discord_endpoints(*previous)
    await simulator.stop()


@pytest.fixture
def app(db: None) -> BotApplication:
    return BotApplication.objects.create(application_id=APP_ID, is_shared=True, bot_token=TOKEN)


@pytest.fixture
def server(workspace: Any, app: BotApplication) -> DiscordServer:
    return DiscordServer.objects.create(
        guild_id="500", name="Alice Guild", workspace=workspace, application=app
    )


# --- helpers ------------------------------------------------------------------------------


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def start_install(client: Client, actions: tuple[str, ...] = ("delete",)) -> dict[str, str]:
    """Press "Add to Discord"; returns the query of the Discord authorization URL."""
    response = await sync_to_async(client.post)(reverse("discord_install"), {"actions": list(actions)})
    assert response.status_code == 302, response.content.decode()
    return query_of(response["Location"])


def approve(
    sim: DiscordSimulator, guild_id: str, auth: dict[str, str], permissions: int | None = None
) -> str:
    """What Discord does when the admin approves: the bot joins, a code comes back."""
    granted = int(auth["permissions"]) if permissions is None else permissions
    return sim.issue_oauth_code(
        APP_ID, guild_id, auth["redirect_uri"], scope=auth["scope"], permissions=granted
    )


async def come_back(client: Client, **params: str) -> Any:
    """Discord's redirect to our callback."""
    return await sync_to_async(client.get)(reverse("discord_install_callback"), params)


async def install(client: Client, sim: DiscordSimulator, guild_id: str) -> Any:
    auth = await start_install(client)
    code = approve(sim, guild_id, auth)
    return await come_back(
        client, code=code, state=auth["state"], guild_id=guild_id, permissions=auth["permissions"]
    )


async def servers_of(workspace: Any) -> list[DiscordServer]:
    return [s async for s in DiscordServer.objects.filter(workspace=workspace)]


def token_exchanges(sim: DiscordSimulator) -> list[Any]:
    return [c for c in sim.calls if c.method == "POST" and c.path == "/oauth2/token"]


def page(response: Any) -> str:
    return str(response.content.decode())


def settings_data(**changes: Any) -> dict[str, Any]:
    """A valid settings form: @mention mode, moderation and proactive messages off."""
    data: dict[str, Any] = {"response_mode": "mention", "smart_mode": "on", "proactive_frequency": "daily"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def settings_url(server: DiscordServer) -> str:
    return reverse("discord_server_settings", args=[server.id])


def disconnect_url(server: DiscordServer) -> str:
    return reverse("discord_server_disconnect", args=[server.id])


# --- permissions --------------------------------------------------------------------------


def test_answering_needs_view_send_history_embeds_and_threads() -> None:
    assert permissions_for([]) == (
        discord_permissions.VIEW_CHANNEL
        | discord_permissions.SEND_MESSAGES
        | discord_permissions.READ_MESSAGE_HISTORY
        | discord_permissions.EMBED_LINKS
        | discord_permissions.SEND_MESSAGES_IN_THREADS
        | discord_permissions.CREATE_PUBLIC_THREADS
    )


@pytest.mark.parametrize(
    ("action", "bit"),
    [
        ("delete", discord_permissions.MANAGE_MESSAGES),
        ("timeout", discord_permissions.MODERATE_MEMBERS),
        ("kick", discord_permissions.KICK_MEMBERS),
        ("ban", discord_permissions.BAN_MEMBERS),
    ],
)
def test_each_moderation_action_adds_the_permission_it_needs(action: str, bit: int) -> None:
    assert permissions_for([action]) == BASE_PERMISSIONS | bit


def test_the_install_asks_for_manage_threads_when_forum_posts_are_ticked(
    alice_client: Client, discord_settings: Any
) -> None:
    ticked = alice_client.post(reverse("discord_install"), {"actions": ["delete"], "forum_posts": "on"})
    unticked = alice_client.post(reverse("discord_install"), {"actions": ["delete"]})

    assert int(query_of(ticked["Location"])["permissions"]) == (
        permissions_for(["delete"]) | discord_permissions.MANAGE_THREADS
    )
    assert int(query_of(unticked["Location"])["permissions"]) == permissions_for(["delete"])
    # The form starts ticked: the owner sees why it is asked for.
    text = page(alice_client.get(reverse("discord_setup")))
    assert 'name="forum_posts"' in text and "checked" in text.split('name="forum_posts"')[1].split(">")[0]


def test_warning_needs_nothing_beyond_answering() -> None:
    assert permissions_for(["warn"]) == BASE_PERMISSIONS


def test_a_servers_permissions_follow_its_enabled_actions(server: DiscordServer) -> None:
    server.moderation_kick = True
    assert server_permissions(server) == BASE_PERMISSIONS  # moderation is off
    server.moderation_enabled = True
    assert server_permissions(server) == BASE_PERMISSIONS | (
        discord_permissions.MANAGE_MESSAGES | discord_permissions.KICK_MEMBERS
    )
    assert permission_names(server_permissions(server))[-2:] == ["Manage Messages", "Kick Members"]


# --- setup page and starting the install --------------------------------------------------


def test_the_setup_page_says_what_to_configure_when_discord_is_not(
    alice_client: Client, settings: Any
) -> None:
    settings.DISCORD_CLIENT_SECRET = ""
    settings.DISCORD_APPLICATION_ID = "1"
    settings.DISCORD_BOT_TOKEN = "t"
    text = page(alice_client.get(reverse("discord_setup")))
    assert "<code>DISCORD_CLIENT_SECRET</code>" in text
    assert "Add to Discord</button>" not in text


def test_add_to_discord_sends_the_owner_to_discord(
    alice_client: Client, discord_settings: Any, workspace: Any
) -> None:
    response = alice_client.post(reverse("discord_install"), {"actions": ["delete", "ban"]})
    assert response.status_code == 302
    auth = query_of(response["Location"])
    assert response["Location"].startswith("https://discord.com/oauth2/authorize?")
    assert auth["client_id"] == APP_ID
    assert auth["scope"] == "bot applications.commands"
    assert int(auth["permissions"]) == permissions_for(["delete", "ban"])
    assert auth["response_type"] == "code"
    assert auth["redirect_uri"] == discord_settings.SITE_URL + reverse("discord_install_callback")
    state = OAuthState.objects.get()
    assert state.workspace == workspace
    assert state.session_key == alice_client.session.session_key
    assert state.used_at is None
    assert timedelta(minutes=9) < state.expires_at - timezone.now() <= timedelta(minutes=10)
    assert auth["state"] not in state.state_hash  # only a hash is stored


def test_each_install_gets_its_own_state(alice_client: Client, discord_settings: Any) -> None:
    first = query_of(alice_client.post(reverse("discord_install"), {"actions": ["delete"]})["Location"])
    second = query_of(alice_client.post(reverse("discord_install"), {"actions": ["delete"]})["Location"])
    assert first["state"] != second["state"]
    assert len(first["state"]) >= 40


def test_install_is_refused_while_discord_is_not_configured(alice_client: Client, settings: Any) -> None:
    settings.DISCORD_CLIENT_SECRET = ""
    response = alice_client.post(reverse("discord_install"), {"actions": ["delete"]})
    assert response.status_code == 400
    assert "not configured" in page(response)
    assert not OAuthState.objects.exists()


# --- the callback -------------------------------------------------------------------------


@with_simulator
async def test_a_full_install_records_the_server_registers_ask_and_opens_its_settings(
    alice_client: Client, sim: DiscordSimulator, workspace: Any
) -> None:
    guild = sim.add_guild("Alice's Guild")
    response = await install(alice_client, sim, guild.id)
    [server] = await servers_of(workspace)
    assert (server.guild_id, server.name, server.icon) == (guild.id, "Alice's Guild", ICON)
    assert server.connected
    assert response.status_code == 302
    assert response["Location"] == settings_url(server)
    assert [c["name"] for c in sim.state.application(APP_ID).global_commands] == ["ask"]
    assert APP_ID in sim.state.guild(guild.id).application_ids
    landed = await sync_to_async(alice_client.get)(response["Location"])
    assert "Connected “Alice&#x27;s Guild”" in page(landed)


@with_simulator
async def test_the_install_can_be_repeated_for_more_servers(
    alice_client: Client, sim: DiscordSimulator, workspace: Any
) -> None:
    first, second = sim.add_guild("One"), sim.add_guild("Two")
    await install(alice_client, sim, first.id)
    await install(alice_client, sim, second.id)
    assert sorted(s.name for s in await servers_of(workspace)) == ["One", "Two"]


@with_simulator
async def test_a_forged_state_is_refused_and_nothing_is_recorded(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    guild = sim.add_guild("Alice's Guild")
    auth = await start_install(alice_client)
    code = approve(sim, guild.id, auth)
    response = await come_back(alice_client, code=code, state="forged-" + auth["state"][7:])
    assert response.status_code == 400
    assert "was not started from this dashboard" in page(response)
    assert not await DiscordServer.objects.aexists()
    assert token_exchanges(sim) == []


@with_simulator
async def test_a_missing_state_is_refused(alice_client: Client, sim: DiscordSimulator) -> None:
    guild = sim.add_guild("Alice's Guild")
    code = approve(sim, guild.id, await start_install(alice_client))
    response = await come_back(alice_client, code=code)
    assert response.status_code == 400
    assert "was not started from this dashboard" in page(response)
    assert not await DiscordServer.objects.aexists()


@with_simulator
async def test_a_reused_state_is_refused(alice_client: Client, sim: DiscordSimulator, workspace: Any) -> None:
    first, second = sim.add_guild("One"), sim.add_guild("Two")
    auth = await start_install(alice_client)
    await come_back(alice_client, code=approve(sim, first.id, auth), state=auth["state"])
    response = await come_back(alice_client, code=approve(sim, second.id, auth), state=auth["state"])
    assert response.status_code == 400
    assert "already used" in page(response)
    assert [s.name for s in await servers_of(workspace)] == ["One"]
    assert len(token_exchanges(sim)) == 1


@with_simulator
async def test_an_expired_state_is_refused(alice_client: Client, sim: DiscordSimulator) -> None:
    guild = sim.add_guild("Alice's Guild")
    auth = await start_install(alice_client)
    code = approve(sim, guild.id, auth)
    await OAuthState.objects.all().aupdate(expires_at=timezone.now() - timedelta(seconds=1))
    response = await come_back(alice_client, code=code, state=auth["state"])
    assert response.status_code == 400
    assert "expired" in page(response)
    assert not await DiscordServer.objects.aexists()
    assert token_exchanges(sim) == []


@with_simulator
async def test_a_state_from_another_browser_session_is_refused(
    alice: Any, alice_client: Client, sim: DiscordSimulator
) -> None:
    guild = sim.add_guild("Alice's Guild")
    auth = await start_install(alice_client)
    code = approve(sim, guild.id, auth)
    elsewhere = Client()
    await sync_to_async(elsewhere.force_login)(alice)
    response = await come_back(elsewhere, code=code, state=auth["state"])
    assert response.status_code == 400
    assert "another browser session" in page(response)
    assert not await DiscordServer.objects.aexists()


@with_simulator
async def test_a_state_of_another_user_is_refused(
    alice_client: Client, bob_client: Client, sim: DiscordSimulator, other_workspace: Any
) -> None:
    guild = sim.add_guild("Alice's Guild")
    auth = await start_install(alice_client)
    response = await come_back(bob_client, code=approve(sim, guild.id, auth), state=auth["state"])
    assert response.status_code == 400
    assert "another browser session" in page(response)
    assert not await DiscordServer.objects.aexists()


@with_simulator
async def test_a_code_the_token_endpoint_rejects_is_explained(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    auth = await start_install(alice_client)
    response = await come_back(alice_client, code="not-a-code", state=auth["state"])
    assert response.status_code == 400
    assert "Discord did not accept the authorization" in page(response)
    assert "Invalid &quot;code&quot; in request." in page(response)
    assert not await DiscordServer.objects.aexists()
    assert len(token_exchanges(sim)) == 1


@with_simulator
async def test_refused_client_credentials_are_blamed_on_the_configuration(
    alice_client: Client, sim: DiscordSimulator, discord_settings: Any
) -> None:
    guild = sim.add_guild("Alice's Guild")
    auth = await start_install(alice_client)
    discord_settings.DISCORD_CLIENT_SECRET = "wrong-secret"
    response = await come_back(alice_client, code=approve(sim, guild.id, auth), state=auth["state"])
    assert response.status_code == 400
    assert "DISCORD_CLIENT_SECRET" in page(response)
    assert not await DiscordServer.objects.aexists()


@with_simulator
async def test_cancelling_in_discord_connects_nothing(alice_client: Client, sim: DiscordSimulator) -> None:
    auth = await start_install(alice_client)
    response = await come_back(
        alice_client,
        error="access_denied",
        error_description="The resource owner denied",
        state=auth["state"],
    )
    assert response.status_code == 400
    assert "you cancelled in Discord" in page(response)
    assert not await DiscordServer.objects.aexists()


@with_simulator
async def test_a_server_of_another_workspace_is_refused(
    alice_client: Client, sim: DiscordSimulator, workspace: Any, other_workspace: Any
) -> None:
    guild = sim.add_guild("Bob's Guild")
    app = await BotApplication.objects.acreate(application_id=APP_ID, is_shared=True, bot_token=TOKEN)
    await DiscordServer.objects.acreate(
        guild_id=guild.id,
        name="Bob's Guild",
        workspace=other_workspace,
        application=app,
        moderation_rules="x",
    )
    response = await install(alice_client, sim, guild.id)
    assert response.status_code == 400
    assert "already connected to another Guildmind workspace" in page(response)
    server = await DiscordServer.objects.aget(guild_id=guild.id)
    assert server.workspace_id == other_workspace.id
    assert await servers_of(workspace) == []


@with_simulator
async def test_fewer_permissions_than_asked_are_pointed_out(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    guild = sim.add_guild("Alice's Guild")
    auth = await start_install(alice_client, ("delete", "ban"))
    granted = permissions_for(["delete"])
    code = approve(sim, guild.id, auth, permissions=granted)
    response = await come_back(alice_client, code=code, state=auth["state"], permissions=str(granted))
    landed = await sync_to_async(alice_client.get)(response["Location"])
    assert "fewer permissions than asked: Ban Members." in page(landed)


@with_simulator
async def test_the_server_is_connected_even_when_ask_cannot_be_registered(
    alice_client: Client, sim: DiscordSimulator, workspace: Any
) -> None:
    guild = sim.add_guild("Alice's Guild")
    sim.fail_next("PUT", r"/applications/\d+/commands$", 403)
    response = await install(alice_client, sim, guild.id)
    [server] = await servers_of(workspace)
    landed = await sync_to_async(alice_client.get)(response["Location"])
    assert "/ask could not be registered yet" in page(landed)
    assert server.connected


# --- claiming a server the gateway recorded -----------------------------------------------


def test_claiming_a_server_without_a_workspace_starts_from_default_settings(
    workspace: Any, other_workspace: Any, app: BotApplication
) -> None:
    orphan = DiscordServer.objects.create(
        guild_id="900", application=app, moderation_enabled=True, moderation_rules="Bob's secret rules"
    )
    ModerationEntry.objects.create(
        server=orphan, workspace=other_workspace, guild_id="900", channel_id="1", message_id="2",
        member_id="3", action="delete", outcome="done",
    )  # fmt: skip
    server, new = connect_server(workspace, app, InstalledGuild(id="900", name="Renamed", icon=""))
    server.refresh_from_db()
    assert new
    assert (server.workspace_id, server.name) == (workspace.id, "Renamed")
    assert (server.moderation_enabled, server.moderation_rules) == (False, "")
    assert not ModerationEntry.objects.filter(server=server).exists()


def test_reconnecting_a_server_of_the_same_workspace_keeps_its_settings(
    server: DiscordServer, workspace: Any, app: BotApplication
) -> None:
    DiscordServer.objects.filter(pk=server.pk).update(moderation_rules="Be nice.", connected=False)
    again, new = connect_server(workspace, app, InstalledGuild(id="500", name="Alice Guild", icon=ICON))
    again.refresh_from_db()
    assert not new
    assert (again.moderation_rules, again.connected, again.icon) == ("Be nice.", True, ICON)


# --- settings -----------------------------------------------------------------------------


@with_simulator
async def test_saving_settings_reaches_the_gateway_directory(
    alice_client: Client, sim: DiscordSimulator, workspace: Any
) -> None:
    guild = sim.add_guild("Alice's Guild", channels=("general", "support", "help"))
    await install(alice_client, sim, guild.id)
    server = await DiscordServer.objects.aget(guild_id=guild.id)
    directory = ServerDirectory()
    await sync_to_async(directory.refresh)()
    before = server.updated_at
    help_id = guild.channels["help"].id
    data = settings_data(response_mode="all", channel_awareness="on", channels=[help_id])
    response = await sync_to_async(alice_client.post)(settings_url(server), data)
    assert response.status_code == 302
    await server.arefresh_from_db()
    assert (server.response_mode, server.channel_ids, server.channel_awareness) == ("all", [help_id], True)
    assert server.updated_at > before
    assert await sync_to_async(directory.refresh)() == 1
    seen = directory.get(int(guild.id))
    assert seen is not None
    assert (seen.response_mode, seen.channel_ids, seen.active) == ("all", frozenset({int(help_id)}), True)


@with_simulator
async def test_the_settings_page_offers_the_servers_text_channels(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    guild = sim.add_guild("Alice's Guild", channels=("general", "support"))
    response = await install(alice_client, sim, guild.id)
    text = page(await sync_to_async(alice_client.get)(response["Location"]))
    assert f'value="{guild.channels["support"].id}"' in text
    assert "#support" in text


@with_simulator
async def test_a_channel_not_in_the_server_is_refused(alice_client: Client, sim: DiscordSimulator) -> None:
    guild = sim.add_guild("Alice's Guild")
    response = await install(alice_client, sim, guild.id)
    data = settings_data(response_mode="all", channels=["123456789012345678"])
    refused = await sync_to_async(alice_client.post)(response["Location"], data)
    assert refused.status_code == 400
    assert "123456789012345678 is not one of the available choices" in page(refused)
    assert (await DiscordServer.objects.aget(guild_id=guild.id)).response_mode == "mention"


@with_simulator
async def test_the_proactive_channel_must_exist_in_the_server(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    guild = sim.add_guild("Alice's Guild", channels=("general", "support"))
    response = await install(alice_client, sim, guild.id)
    data = settings_data(proactive_enabled="on", proactive_channel="news", proactive_topic="Tips")
    refused = await sync_to_async(alice_client.post)(response["Location"], data)
    assert "no text channel named #news (its channels: #general, #support)" in page(refused)
    data["proactive_channel"] = "#support"
    saved = await sync_to_async(alice_client.post)(response["Location"], data)
    assert saved.status_code == 302
    server = await DiscordServer.objects.aget(guild_id=guild.id)
    assert (server.proactive_enabled, server.proactive_channel, server.proactive_topic) == (
        True,
        "support",
        "Tips",
    )


def test_without_discords_channel_list_channel_ids_are_typed(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    form_page = page(alice_client.get(settings_url(server)))
    assert "Discord did not give the channel list" in form_page
    response = alice_client.post(
        settings_url(server),
        settings_data(response_mode="all", channels="111111111111111111, <#222222222222222222>"),
    )
    assert response.status_code == 302
    server.refresh_from_db()
    assert server.channel_ids == ["111111111111111111", "222222222222222222"]


def test_a_typed_channel_that_is_not_an_id_is_explained(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    response = alice_client.post(
        settings_url(server), settings_data(response_mode="all", channels="#general")
    )
    assert response.status_code == 400
    assert "“#general” is not a channel id" in page(response)
    server.refresh_from_db()
    assert server.response_mode == "mention"


def test_moderation_needs_rules(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    response = alice_client.post(
        settings_url(server),
        settings_data(moderation_enabled="on", moderation_delete="on", moderation_rules="  "),
    )
    assert response.status_code == 400
    assert "Write the rules the bot should enforce" in page(response)
    server.refresh_from_db()
    assert not server.moderation_enabled


def test_moderation_needs_an_action_or_a_dry_run(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    data = settings_data(moderation_enabled="on", moderation_rules="No spam.")
    response = alice_client.post(settings_url(server), data)
    assert response.status_code == 400
    assert "turn on at least one action (we suggest starting with delete only)" in page(response)
    response = alice_client.post(settings_url(server), {**data, "moderation_dry_run": "on"})
    assert response.status_code == 302
    server.refresh_from_db()
    assert (server.moderation_enabled, server.moderation_dry_run, server.moderation_delete) == (
        True,
        True,
        False,
    )


def test_moderation_settings_are_saved(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    data = settings_data(
        moderation_enabled="on",
        moderation_rules=" No spam. ",
        moderation_delete="on",
        moderation_timeout="on",
    )
    assert alice_client.post(settings_url(server), data).status_code == 302
    server.refresh_from_db()
    assert server.moderation_rules == "No spam."
    assert (server.moderation_delete, server.moderation_timeout, server.moderation_ban) == (True, True, False)


def test_proactive_messages_need_a_channel_and_a_topic(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    response = alice_client.post(settings_url(server), settings_data(proactive_enabled="on"))
    assert response.status_code == 400
    assert "Name the channel the bot should post in." in page(response)
    assert "Say what the bot should post about." in page(response)


def test_a_proactive_channel_name_with_spaces_is_explained(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    data = settings_data(proactive_enabled="on", proactive_channel="product tips", proactive_topic="Tips")
    response = alice_client.post(settings_url(server), data)
    assert "without &#x27;#&#x27; or spaces" in page(response)


@pytest.mark.parametrize("frequency", ["2h", "4h", "6h", "12h", "daily", "2days", "weekly"])
def test_every_proactive_frequency_can_be_saved(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any, frequency: str
) -> None:
    data = settings_data(
        proactive_enabled="on",
        proactive_channel="#news",
        proactive_topic="Tips",
        proactive_frequency=frequency,
    )
    assert alice_client.post(settings_url(server), data).status_code == 302
    server.refresh_from_db()
    assert (server.proactive_channel, server.proactive_frequency) == ("news", frequency)


def test_an_unknown_frequency_or_mode_is_refused(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    response = alice_client.post(
        settings_url(server), settings_data(response_mode="loud", proactive_frequency="1m")
    )
    assert response.status_code == 400
    assert page(response).count("Select a valid choice.") == 2


# --- disconnect ---------------------------------------------------------------------------


@with_simulator
async def test_disconnect_detaches_the_server_and_the_bot_leaves(
    alice_client: Client, sim: DiscordSimulator, workspace: Any
) -> None:
    guild = sim.add_guild("Alice's Guild")
    await install(alice_client, sim, guild.id)
    server = await DiscordServer.objects.aget(guild_id=guild.id)
    directory = ServerDirectory()
    await sync_to_async(directory.refresh)()
    response = await sync_to_async(alice_client.post)(disconnect_url(server))
    assert response["Location"] == reverse("discord_setup")
    await server.arefresh_from_db()
    assert (server.workspace_id, server.connected) == (None, False)
    assert APP_ID not in sim.state.guild(guild.id).application_ids
    await sync_to_async(directory.refresh)()
    seen = directory.get(int(guild.id))
    assert seen is not None and not seen.active
    landed = await sync_to_async(alice_client.get)(response["Location"])
    assert "the bot left the server" in page(landed)


@with_simulator
async def test_disconnect_still_detaches_when_the_bot_cannot_leave(
    alice_client: Client, sim: DiscordSimulator
) -> None:
    guild = sim.add_guild("Alice's Guild")
    await install(alice_client, sim, guild.id)
    server = await DiscordServer.objects.aget(guild_id=guild.id)
    sim.fail_next("DELETE", r"/users/@me/guilds/", 403)
    response = await sync_to_async(alice_client.post)(disconnect_url(server))
    await server.arefresh_from_db()
    assert server.workspace_id is None
    landed = await sync_to_async(alice_client.get)(response["Location"])
    assert "could not leave the server (Discord answered 403" in page(landed)


def test_disconnect_only_accepts_post(alice_client: Client, server: DiscordServer) -> None:
    assert alice_client.get(disconnect_url(server)).status_code == 405
    server.refresh_from_db()
    assert server.workspace_id is not None


# --- who may do what ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_of_another_workspace_gets_404_for_settings(
    bob_client: Client, server: DiscordServer, unreachable_discord: Any, method: str
) -> None:
    response = getattr(bob_client, method)(settings_url(server), settings_data(response_mode="all"))
    assert response.status_code == 404
    server.refresh_from_db()
    assert server.response_mode == "mention"


def test_a_member_of_another_workspace_gets_404_for_disconnect(
    bob_client: Client, server: DiscordServer, unreachable_discord: Any, workspace: Any
) -> None:
    assert bob_client.post(disconnect_url(server)).status_code == 404
    server.refresh_from_db()
    assert server.workspace_id == workspace.id


def test_a_server_of_no_workspace_is_not_found(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    DiscordServer.objects.filter(pk=server.pk).update(workspace=None)
    assert alice_client.get(settings_url(server)).status_code == 404
    assert alice_client.post(disconnect_url(server)).status_code == 404


def test_other_workspaces_servers_are_not_listed_on_the_setup_page(
    bob_client: Client, server: DiscordServer, discord_settings: Any
) -> None:
    assert "Alice Guild" not in page(bob_client.get(reverse("discord_setup")))


@pytest.mark.parametrize(
    "name", ["discord_setup", "discord_install", "discord_install_callback", "discord_server_settings"]
)
def test_anonymous_visitors_are_sent_to_login(client: Client, server: DiscordServer, name: str) -> None:
    args = [server.id] if name == "discord_server_settings" else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (lambda s: reverse("discord_install"), {"actions": ["delete"]}),
        (settings_url, settings_data(response_mode="all")),
        (disconnect_url, {}),
    ],
    ids=["install", "settings", "disconnect"],
)
def test_every_form_requires_a_csrf_token(
    alice: Any,
    server: DiscordServer,
    unreachable_discord: Any,
    workspace: Any,
    url: Any,
    data: dict[str, Any],
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(url(server), data).status_code == 403
    server.refresh_from_db()
    assert (server.workspace_id, server.response_mode) == (workspace.id, "mention")
    assert not OAuthState.objects.exists()


def test_every_form_carries_a_csrf_token(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    pages = page(alice_client.get(reverse("discord_setup"))) + page(alice_client.get(settings_url(server)))
    for action in (reverse("discord_install"), settings_url(server), disconnect_url(server)):
        form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', pages, re.S)
        assert form is not None, action
        assert 'name="csrfmiddlewaretoken"' in form.group(0)


MAPPED_RULES = (
    "Server rules\n"
    "1. No selling or trading accounts.\n"
    "2. Self-promotion only in #promo.\n"
    "3. Banned words: kys, /\\bsimps?\\b/\n"
    "4. Don't post AI-generated art as your own.\n"
    "First a warning, then a 1-hour timeout, then a kick. Offences count for 14 days."
)


def test_the_settings_page_shows_each_rule_lines_checks_and_the_ladder(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    data = settings_data(moderation_enabled="on", moderation_rules=MAPPED_RULES, moderation_delete="on")
    assert alice_client.post(settings_url(server), data).status_code == 302

    shown = page(alice_client.get(settings_url(server)))

    mapping = shown[shown.index('id="rules-mapping"') :]
    assert "buying, selling, trading" in mapping
    assert "not in #promo" in mapping and "self-promotion" in mapping
    assert "your banned words: “kys”" in mapping and "your patterns: /\\bsimps?\\b/" in mapping
    row = mapping[mapping.index("AI-generated") :]
    assert "needs an AI provider" in row[: row.index("</tr>")]
    assert "1. warn → 2. timeout 1 h → 3. kick" in mapping
    assert "Offences count for 14 days (from your rules)" in mapping
    assert "1 rule needs an AI provider" in mapping


def test_exempt_roles_channels_and_the_window_are_saved(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    data = settings_data(
        moderation_enabled="on",
        moderation_rules="No spam.",
        moderation_delete="on",
        moderation_window_days="45",
        exempt_roles="<@&111111111111111111> 222222222222222222",
        exempt_channels="<#333333333333333333>",
    )

    assert alice_client.post(settings_url(server), data).status_code == 302

    server.refresh_from_db()
    assert server.moderation_window_days == 45
    assert server.moderation_exempt_role_ids == ["111111111111111111", "222222222222222222"]
    assert server.moderation_exempt_channel_ids == ["333333333333333333"]


def test_an_exempt_role_that_is_not_an_id_is_explained(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    data = settings_data(moderation_enabled="on", moderation_rules="No spam.", moderation_delete="on")
    response = alice_client.post(settings_url(server), {**data, "exempt_roles": "@Mods"})
    assert response.status_code == 400
    assert "“@Mods” is not a role id" in page(response)


def test_feedback_buttons_can_be_turned_off_and_on_per_server(
    alice_client: Client, server: DiscordServer, unreachable_discord: Any
) -> None:
    assert "Feedback buttons" in page(alice_client.get(settings_url(server)))
    assert alice_client.post(settings_url(server), settings_data()).status_code == 302
    server.refresh_from_db()
    assert not server.feedback_buttons
    alice_client.post(settings_url(server), settings_data(feedback_buttons="on"))
    server.refresh_from_db()
    assert server.feedback_buttons
