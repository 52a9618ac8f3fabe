"""The Sandbox page in a real browser at 1366 px, against the simulator's control API and a
running gateway and worker: an owner posts as a sandbox member and watches the bot answer,
an invite link deleted and its member warned, and the conversation taken over from the
live view, the team's reply showing in the sandbox channel.

Screenshots land in ``SCREENSHOT_DIR`` (``sandbox-*.png``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from huey.contrib.djhuey import HUEY

from accounts.models import Membership
from conversations.models import AnswerFeedback
from devtools.discord_simulator import DiscordSimulator
from devtools.discord_simulator.control import seed_sandbox
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints
from integrations.discordbot.sandbox import SANDBOX_APPLICATION_ID, SANDBOX_GUILD_ID, ensure_sandbox
from knowledge.actions import add_text_source
from knowledge.ingestion import ingest_source
from tests.browser.conftest import (
    NO_CHROMIUM,
    PHONE,
    SCREENSHOTS,
    CSPWatch,
    chromium_installed,
    gateway_and_worker,
    launch_chromium,
)
from usage.models import UsageEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_installed(), reason=NO_CHROMIUM),
]

KEY = "browser-sandbox-key"
PASSWORD = "a long and unusual pass"
LAPTOP = {"width": 1366, "height": 900}
FAQ = """Refunds
Refunds are issued to the original payment method within 5 business days of approval."""


@dataclass
class World:
    sim: DiscordSimulator
    guild: Any
    base_url: str
    csp: CSPWatch

    def channel(self, name: str) -> str:
        return str(self.guild.channels[name].id)


def _owner(workspace: Any) -> None:
    workspace.plan = "pro"
    workspace.save(update_fields=["plan"])
    user = User.objects.create_user("olivia", "olivia@example.org", PASSWORD, first_name="Olivia")
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.OWNER)
    source = add_text_source(workspace, title="Help Center", text=FAQ, enqueue=False)
    ingest_source(source.pk)
    ensure_sandbox(workspace, KEY)


@pytest.fixture
async def world(live_server: Any, settings: Any, workspace: Any, csp_watch: CSPWatch) -> AsyncIterator[World]:
    sim = DiscordSimulator(control_key=KEY)
    await sim.start()
    guild = seed_sandbox(sim, application_id=SANDBOX_APPLICATION_ID, token=KEY, guild_id=SANDBOX_GUILD_ID)
    # What `up` gives its children when no Discord application is configured.
    settings.SITE_URL = live_server.url
    settings.DISCORD_APPLICATION_ID = settings.DISCORD_BOT_TOKEN = ""
    settings.SANDBOX_URL, settings.SANDBOX_KEY = f"http://127.0.0.1:{sim.port}", KEY
    settings.DISCORD_API_BASE_URL, settings.DISCORD_GATEWAY_URL = sim.api_base_url, sim.gateway_url
    previous = current_discord_endpoints()
    configure_discord_endpoints(sim.api_base_url, sim.gateway_url)
    await sync_to_async(_owner)(workspace)
    await sync_to_async(HUEY.flush)()
    async with gateway_and_worker() as servers:
        await sim.wait_until_connected(SANDBOX_APPLICATION_ID, timeout=10)
        for _ in range(200):
            if servers.get(int(SANDBOX_GUILD_ID)) is not None:
                break
            await asyncio.sleep(0.05)
        yield World(sim, guild, live_server.url, csp_watch)
    configure_discord_endpoints(*previous)
    await sim.stop()


@pytest.fixture
async def page(world: World) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        context = await chromium.new_context(base_url=world.base_url, viewport=LAPTOP)
        context.set_default_timeout(10_000)
        await world.csp.awatch(context)
        tab = await context.new_page()
        await tab.goto("/login/")
        await tab.get_by_label("Username").fill("olivia")
        await tab.get_by_label("Password").fill(PASSWORD)
        await tab.get_by_role("button", name="Log in").click()
        await tab.wait_for_url(lambda url: "/login/" not in url)
        yield tab
        await chromium.close()


async def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"sandbox-{name}.png"), full_page=True)


async def test_a_sandbox_conversation_is_answered_moderated_and_taken_over(world: World, page: Any) -> None:
    from playwright.async_api import expect

    # The nav leads to the sandbox, clearly labelled as one.
    await page.get_by_role("link", name="Sandbox", exact=True).click()
    await page.get_by_text("This is a sandbox.").wait_for()
    await expect(page.get_by_role("heading", name="#general")).to_be_visible()
    await shot(page, "1-empty")

    # Sam asks in #help; the bot's answer shows in the channel without a reload.
    messages = page.locator("#sandbox-messages")
    await page.get_by_label("Post as").select_option(label="sam")
    await page.get_by_label("In", exact=True).select_option(label="#help")
    await page.get_by_role("textbox", name="Message").fill("How long do refunds take?")
    await page.get_by_role("button", name="Post", exact=True).click()
    await expect(page.get_by_role("heading", name="#help")).to_be_visible()
    await messages.get_by_text("5 business days").wait_for()
    assert await _fits(page)
    await shot(page, "2-answered")

    # Sam finds the answer unhelpful: the 👎 on the bot's reply, clicked as Sam, reaches the
    # bot as a component interaction and is recorded against the answer.
    answer = messages.locator(".sandbox-message.from-bot", has_text="5 business days")
    await answer.get_by_role("group", name="Buttons on this reply, clicked as sam").wait_for()
    await answer.get_by_role("button", name="👎 Not helpful").click()
    await expect(page.get_by_role("heading", name="#help")).to_be_visible()
    await _recorded_unhelpful()

    # An invite link from Sam in #general: deleted, and Sam warned, in front of the owner.
    await page.get_by_role("button", name="sam in #general: “Join my server").click()
    await expect(page.get_by_role("heading", name="#general")).to_be_visible()
    await messages.locator(".sandbox-message.deleted").wait_for()
    await messages.locator(".sandbox-message.from-bot", has_text="@sam").wait_for()
    await shot(page, "3-moderated")

    # The owner takes Sam's conversation over in the live view and replies there.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Conversations").click()
    await page.get_by_role("link", name="sam", exact=True).first.click()
    await page.get_by_label("Members' feedback").get_by_text("👎 1 not helpful").wait_for()
    await page.get_by_role("button", name="Take over").click()
    await page.get_by_text("You have this conversation.").wait_for()
    await page.get_by_label("Reply as Olivia (team)").fill("Hi Sam, Olivia here: yours went out today.")
    await page.get_by_role("button", name="Send").click()
    await page.get_by_text("posted in Discord").first.wait_for(timeout=15_000)

    # Back in the sandbox, the team's reply is in #help as Discord shows it.
    await page.goto(f"/discord/sandbox/?channel={world.channel('help')}")
    # Posted in Discord as "**Olivia (team):** …", shown as Discord shows it: the name in bold.
    reply = "Olivia (team): Hi Sam, Olivia here: yours went out today."
    await messages.locator("p", has_text=reply).wait_for()
    assert await messages.locator("strong", has_text="Olivia (team):").count() == 1
    await shot(page, "4-taken-over")

    # At a phone's width the channel, its buttons and the form stack without widening the page.
    await page.set_viewport_size(PHONE)
    await page.reload()
    await messages.get_by_text("5 business days").wait_for()
    assert await _fits(page)
    await shot(page, "5-phone")
    assert await UsageEvent.objects.acount() == 0  # none of it counted against the plan


async def _recorded_unhelpful() -> None:
    for _ in range(100):
        if await AnswerFeedback.objects.filter(helpful=False).aexists():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the 👎 was not recorded")


async def _fits(page: Any) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))
