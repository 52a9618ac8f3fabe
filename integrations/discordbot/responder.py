"""discord.py adapters for answering interactions, shared by the gateway and the worker."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord
from discord.http import handle_message_parameters
from discord.webhook.async_ import async_context

from integrations.discordbot.port import DiscordActionError

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_MENTIONS = discord.AllowedMentions.none()


def _reason(exc: discord.HTTPException) -> str:
    if isinstance(exc, discord.NotFound):
        return "the interaction expired or was deleted"
    return f"Discord answered HTTP {exc.status}: {exc.text or exc}"


class InteractionResponder:
    """InteractionPort over a logged-in discord.py client: edits the deferred response and
    posts follow-ups through the interaction webhook (discord.py's rate limits apply)."""

    def __init__(self, client: discord.Client, application_id: str, token: str) -> None:
        self.client = client
        self.application_id = int(application_id)
        self.token = token

    async def edit_response(self, text: str) -> None:
        params = handle_message_parameters(content=text, allowed_mentions=NO_MENTIONS)
        session = self.client.http._HTTPClient__session  # type: ignore[attr-defined]
        try:
            await async_context.get().edit_original_interaction_response(
                self.application_id, self.token, session=session, payload=params.payload
            )
        except discord.HTTPException as exc:
            raise DiscordActionError(_reason(exc), status=exc.status) from exc

    async def follow_up(self, text: str) -> None:
        webhook = discord.Webhook.partial(self.application_id, self.token, client=self.client)
        try:
            await webhook.send(text, allowed_mentions=NO_MENTIONS, wait=True)
        except discord.HTTPException as exc:
            raise DiscordActionError(_reason(exc), status=exc.status) from exc


class RestClients:
    """REST-only discord.py clients (logged in, never connected to the gateway), one per
    application, living on one event-loop thread per process. Worker jobs are sync; they
    hand coroutines to that loop with :meth:`run`."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard = threading.Lock()
        self._clients: dict[tuple[str, str], discord.Client] = {}
        self._logins: dict[tuple[str, str], asyncio.Lock] = {}

    def run(self, work: Callable[[], Awaitable[T]], *, timeout: float) -> T:
        """Run ``work()`` on the Discord loop and wait for its result (raises its errors)."""
        return asyncio.run_coroutine_threadsafe(_call(work), self._ensure_loop()).result(timeout)

    async def client(self, application_id: str, token: str) -> discord.Client:
        """A logged-in client for the application; call on the Discord loop."""
        key = (application_id, hashlib.sha256(token.encode()).hexdigest())
        client = self._clients.get(key)
        if client is not None:
            return client
        lock = self._logins.setdefault(key, asyncio.Lock())
        async with lock:
            client = self._clients.get(key)
            if client is None:
                from integrations.discordbot.endpoints import configure_from_settings

                configure_from_settings()
                client = discord.Client(intents=discord.Intents.none())
                await client.login(token)
                self._clients[key] = client
        return client

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._guard:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="discord-rest", daemon=True).start()
                self._loop = loop
            return self._loop


async def _call(work: Callable[[], Awaitable[Any]]) -> Any:
    return await work()


REST_CLIENTS = RestClients()
