"""A new owner's whole journey in a real browser, against a running gateway:

sign up → add knowledge → Add to Discord (the simulator plays Discord's consent page) →
the server appears with its defaults → all-messages mode with smart mode → moderation
with rules and delete only → save → the gateway (connected to the simulator) behaves
accordingly → the playground answers → the moderation log shows the deletion → a custom
bot is saved and its connection starts.

Screenshots of every page land in ``SCREENSHOT_DIR``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints
from integrations.discordbot.models import DiscordServer
from moderation.models import ModerationEntry
from tests.browser.conftest import (
    NO_CHROMIUM,
    SCREENSHOTS,
    CSPWatch,
    chromium_installed,
    gateway_and_worker,
    launch_chromium,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_installed(), reason=NO_CHROMIUM),
]

APP_ID, TOKEN, SECRET = "780000000000000001", "journey-bot-token", "journey-client-secret"
CUSTOM_ID, CUSTOM_TOKEN = "790000000000000002", "custom.journey-bot-token-x7Q9"
FAQ = """Refunds
Refunds are issued to the original payment method within 5 business days of approval.
To ask for a refund, open a ticket in #support with your order number."""
SPAM = "Join my server discord.gg/freenitro for free nitro!!!"


@dataclass
class World:
    sim: DiscordSimulator
    base_url: str
    guild: Any


@pytest.fixture
async def world(live_server: Any, settings: Any) -> AsyncIterator[World]:
    sim = DiscordSimulator()
    await sim.start()
    app = sim.add_application(APP_ID, TOKEN, bot_name="Guildmind", client_secret=SECRET)
    settings.SITE_URL = live_server.url
    settings.DISCORD_APPLICATION_ID, settings.DISCORD_BOT_TOKEN = APP_ID, TOKEN
    settings.DISCORD_CLIENT_SECRET, settings.DISCORD_PUBLIC_KEY = SECRET, app.public_key
    settings.DISCORD_API_BASE_URL, settings.DISCORD_GATEWAY_URL = sim.api_base_url, sim.gateway_url
    # Never reached: the browser's request to it is answered by the test (see approve()).
    settings.DISCORD_OAUTH_AUTHORIZE_URL = sim.api_base_url + "/oauth2/authorize"
    previous = current_discord_endpoints()
    configure_discord_endpoints(sim.api_base_url, sim.gateway_url)
    guild = sim.add_guild("Acme Support")
    async with gateway_and_worker():
        yield World(sim, live_server.url, guild)
    configure_discord_endpoints(*previous)
    await sim.stop()


@pytest.fixture
async def page(world: World, monkeypatch: pytest.MonkeyPatch, csp_watch: CSPWatch) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        context = await browser.new_context(base_url=world.base_url)
        context.set_default_timeout(10_000)
        await csp_watch.awatch(context)
        yield await context.new_page()
        await context.close()
        await browser.close()


async def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"journey-{name}.png"), full_page=True)


def sign_up_link(email: str) -> str:
    """The link of the sign-up email to ``email`` (the live server runs in this process,
    with Django's in-memory test mail)."""
    from django.core import mail

    body = next(str(m.body) for m in reversed(mail.outbox) if m.to == [email])
    match = re.search(r"https?://\S+/signup/\S+/", body)
    assert match, body
    return match.group(0)


def approve(world: World, authorize_url: str) -> str:
    """Discord's consent page: the admin picks the guild and clicks Authorize; Discord adds
    the bot and sends the browser back to our callback with a code. Returns that address."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    granted = query["permissions"]
    code = world.sim.issue_oauth_code(
        APP_ID, world.guild.id, query["redirect_uri"], scope=query["scope"], permissions=int(granted)
    )
    back = {"code": code, "state": query["state"], "guild_id": world.guild.id, "permissions": granted}
    return f"{query['redirect_uri']}?{urlencode(back)}"


async def test_a_new_owner_goes_from_sign_up_to_a_moderated_server(world: World, page: Any) -> None:
    sim, guild = world.sim, world.guild
    # Sign up: the address first, then the emailed link.
    await page.goto("/signup/")
    await page.get_by_label("Email").fill("olivia@example.org")
    await shot(page, "1-signup")
    await page.get_by_role("button", name="Email me a sign-up link").click()
    await page.get_by_role("heading", name="Check your email").wait_for()
    await shot(page, "1-signup-sent")
    await page.goto(sign_up_link("olivia@example.org"))
    await page.get_by_label("Your name").fill("Olivia")
    await page.get_by_label("Workspace name").fill("Acme")
    await page.get_by_label("Password", exact=True).fill("a long and unusual pass")
    await page.get_by_label("Password confirmation").fill("a long and unusual pass")
    await shot(page, "1-signup-finish")
    await page.get_by_role("button", name="Create account").click()
    await page.wait_for_url(lambda url: "/signup/" not in url)
    await shot(page, "2-overview")

    # Add knowledge.
    await page.goto("/knowledge/")
    await page.get_by_label("Title").fill("Refund policy")
    await page.locator("textarea[name=text]").fill(FAQ)
    await page.get_by_role("button", name="Add text").click()
    await page.get_by_text("Refund policy").first.wait_for()
    await shot(page, "3-knowledge-added")
    await page.locator("#sources .status-ready").first.wait_for(timeout=15_000)
    await shot(page, "3-knowledge")

    # Add to Discord.
    await page.goto("/discord/setup/")
    await shot(page, "4-setup")
    await page.get_by_role("button", name="Add to Discord").click()
    await page.wait_for_url("**/oauth2/authorize?**")  # Discord's consent page
    await page.goto(approve(world, page.url))
    await page.wait_for_url("**/settings/")
    await page.get_by_text("Acme Support").first.wait_for()
    server = await DiscordServer.objects.aget(guild_id=guild.id)
    assert (server.response_mode, server.moderation_enabled) == ("mention", False)  # the defaults
    await shot(page, "5-server-settings-defaults")

    # All messages with smart mode; moderation with rules, delete only.
    await page.get_by_label("All messages").check()
    await page.get_by_label("Smart mode: answer only when the bot can help").check()
    await page.get_by_label("Moderate messages").check()
    await page.get_by_label("Rules").fill("No spam or advertising, including Discord invite links.")
    await page.get_by_label("Delete the message").check()
    for other in ("Warn the member", "Time the member out", "Kick the member", "Ban the member"):
        await page.get_by_label(other).uncheck()
    await page.get_by_role("button", name="Save settings").click()
    await page.get_by_text("saved", exact=False).first.wait_for()
    await shot(page, "6-server-settings-saved")

    # The running gateway behaves accordingly (within seconds, no restart).
    await sim.wait_until_connected(APP_ID)
    member = sim.add_member(guild.id, "mia")
    general = guild.channels["general"].id
    await asyncio.sleep(1.0)  # the gateway's settings refresh
    spam = await sim.post_message(guild.id, general, member.user.id, SPAM)
    question = await sim.post_message(guild.id, general, member.user.id, "How long do refunds take?")
    reply = await sim.wait_for_message(
        general,
        author_id=APP_ID,
        predicate=lambda m: (m.get("message_reference") or {}).get("message_id") == question["id"],
    )
    assert "5 business days" in reply["content"]
    for _ in range(50):
        if sim.is_deleted(spam["id"]):
            break
        await asyncio.sleep(0.1)
    assert sim.is_deleted(spam["id"])
    assert not [c for c in sim.calls if "/bans/" in c[1] or c[1].endswith(f"/members/{member.user.id}")]

    # The playground answers.
    await page.goto("/playground/")
    await page.get_by_role("textbox").first.fill("How long do refunds take?")
    await page.get_by_role("button", name="Ask").click()
    await page.get_by_text("5 business days").first.wait_for()
    await shot(page, "7-playground")

    # The moderation log shows the deletion.
    entry = await ModerationEntry.objects.aget()
    assert (entry.action, entry.outcome) == ("delete", "done")
    await page.goto(f"/discord/servers/{server.pk}/moderation/")
    await page.get_by_text("mia").first.wait_for()
    assert "discord.gg/freenitro" in await page.content()
    await shot(page, "8-moderation-log")

    # A custom bot: saved, checked with Discord, and its connection starts without a restart.
    custom = sim.add_application(CUSTOM_ID, CUSTOM_TOKEN, bot_name="Acme Helper")
    await page.goto("/discord/custom-bot/")
    await page.get_by_label("Application ID").fill(CUSTOM_ID)
    await page.get_by_label("Public Key").fill(custom.public_key)
    await page.get_by_label("Bot Token").fill(CUSTOM_TOKEN)
    await page.get_by_role("button", name="Check with Discord and save").click()
    await page.get_by_text(CUSTOM_TOKEN[-4:]).first.wait_for()
    assert CUSTOM_TOKEN not in await page.content()  # never shown back
    await shot(page, "9-custom-bot")
    await sim.wait_until_connected(CUSTOM_ID, timeout=10)
