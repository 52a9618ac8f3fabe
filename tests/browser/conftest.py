"""Browser tests: Playwright driving Debian's Chromium (headless) against a live server.

Skipped, with the reason printed, only where no Chromium is installed. Every test can
save screenshots into ``SCREENSHOT_DIR`` (default ``var/screenshots``) as artifacts.

Every browser context a test opens is watched for Content-Security-Policy violations
(``csp_watch``): any page that needs an inline script or style, eval, or a resource the
policy does not allow fails the test that visited it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from integrations.discordbot.servers import ServerDirectory

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
NO_CHROMIUM = (
    f"browser tests skipped: no Chromium at {CHROMIUM} (install Debian's package: apt-get install chromium)"
)
PHONE = {"width": 390, "height": 844}


def chromium_installed() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


# Runs in every page before its own scripts (Playwright injects it outside the page's CSP)
# and hands each violation the document sees to the test.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__guildmindCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline code"}` +
    ` (${event.sourceFile || document.URL}:${event.lineNumber})`);
}, true);
"""


@dataclass
class CSPWatch:
    """Content-Security-Policy violations seen in the watched browser contexts: the browser's
    console messages ("Refused to …") and the pages' securitypolicyviolation events."""

    violations: list[str] = field(default_factory=list)
    contexts: int = 0

    def watch(self, context: Any) -> None:
        """Watch a context of Playwright's sync API."""
        context.expose_binding("__guildmindCspViolation", self._on_event)
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console", self._on_console)
        self.contexts += 1

    async def awatch(self, context: Any) -> None:
        """Watch a context of Playwright's async API."""
        await context.expose_binding("__guildmindCspViolation", self._on_event)
        await context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console", self._on_console)
        self.contexts += 1

    def _on_event(self, source: dict[str, Any], text: str) -> None:
        self.violations.append(f"event on {source['page'].url}: {text}")

    def _on_console(self, message: Any) -> None:
        text = message.text
        if text.startswith("Refused to") or "Content Security Policy" in text:
            self.violations.append(f"console on {message.page.url if message.page else '?'}: {text}")


@pytest.fixture(autouse=True)
def csp_watch() -> Iterator[CSPWatch]:
    """Every browser test ends with no Content-Security-Policy violation on any page it visited."""
    watch = CSPWatch()
    yield watch
    assert not watch.violations, "Content-Security-Policy violations:\n" + "\n".join(watch.violations)
    if chromium_installed() and not watch.contexts:
        pytest.fail("the test watched no browser context: use the page fixture or csp_watch.awatch()")


@pytest.fixture
def page(live_server: Any, monkeypatch: pytest.MonkeyPatch, csp_watch: CSPWatch) -> Iterator[Any]:
    """A fresh headless Chromium page on the live server.

    Playwright's sync API keeps an event loop running in this thread while it is open, so
    Django's guard against ORM calls from async code is relaxed for the test's duration
    (the test body is plain sync code); the browser is per test, so nothing leaks."""
    if not chromium_installed():
        pytest.skip(NO_CHROMIUM)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        csp_watch.watch(context)
        yield context.new_page()
        context.close()
        browser.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def fits_the_screen(page: Any) -> bool:
    """No horizontal scrolling of the whole page (tables may scroll inside themselves)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@contextlib.asynccontextmanager
async def gateway_and_worker() -> AsyncIterator[ServerDirectory]:
    """What the gateway and worker processes do, run in this event loop: the settings
    refresh, the bot supervisor, and a worker running queued jobs as they arrive."""
    from integrations.discordbot.supervisor import Supervisor, refresh_settings_forever

    servers, stop = ServerDirectory(), asyncio.Event()
    refresher = asyncio.create_task(refresh_settings_forever(servers, every=0.2))
    supervisor = asyncio.create_task(Supervisor(servers).run(stop, every=0.2))
    worker = asyncio.create_task(_work_forever())
    try:
        yield servers
    finally:
        stop.set()
        refresher.cancel()
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor


async def _work_forever() -> None:
    from tests.discordbot.test_ask_e2e import fresh_worker_queue, run_worker

    while True:
        try:
            await asyncio.to_thread(run_worker, fresh_worker_queue())
        except Exception:
            logging.exception("the test worker failed")
        await asyncio.sleep(0.1)


async def launch_chromium(playwright: Any) -> Any:
    """Headless Debian Chromium through Playwright's async API."""
    return await playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    )
