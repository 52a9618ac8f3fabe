"""The Discord adapters of the core's ports, over discord.py, shared by the gateway and the
worker: ``ClientPort`` (messages and moderation actions), ``InteractionResponder`` (an
/ask's response), ``ProactivePoster`` (a server's proactive posts) and the worker's
REST-only clients (``REST_CLIENTS``)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import aiohttp
import discord
from discord.http import handle_message_parameters
from discord.webhook.async_ import async_context
from django.conf import settings

from integrations.discordbot.feedback_buttons import answer_buttons
from integrations.discordbot.models import DiscordServer
from integrations.discordbot.ratelimit import RestLimits
from integrations.discordbot.solved_button import with_solved
from pipeline.port import ActionError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Replies may ping the member being answered; nothing else ever pings anyone.
REPLY_MENTIONS = discord.AllowedMentions(everyone=False, users=False, roles=False, replied_user=True)
NO_MENTIONS = discord.AllowedMentions.none()
# A moderation warning names the member it warns (and only users: never roles/everyone).
WARNING_MENTIONS = discord.AllowedMentions(everyone=False, users=True, roles=False)
# Text channels and announcement channels.
POSTABLE_CHANNEL_TYPES = (0, 5)


class DiscordActionError(ActionError):
    """Discord refused or failed an action; ``reason`` is plain words for the owner."""


def describe_http_error(exc: discord.HTTPException) -> str:
    if isinstance(exc, discord.Forbidden):
        return f"the bot lacks a permission in that channel or server ({exc.text or 'Forbidden'})"
    if isinstance(exc, discord.NotFound):
        return f"the channel or message no longer exists ({exc.text or 'Not Found'})"
    return f"Discord answered HTTP {exc.status}: {exc.text or exc}"


class ClientPort:
    """ChannelPort and ModerationPort over any logged-in discord.py client (gateway or
    REST-only)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def reply(
        self, channel_id: str, message_id: str, text: str, *, feedback: str = "", solve: str = ""
    ) -> str:
        reference = discord.MessageReference(
            message_id=int(message_id), channel_id=int(channel_id), fail_if_not_exists=False
        )
        options = {
            "allowed_mentions": REPLY_MENTIONS,
            "message_reference": reference.to_message_reference_dict(),
        }
        return await self._post(channel_id, text, feedback, solve, **options)

    async def send(self, channel_id: str, text: str, *, feedback: str = "", solve: str = "") -> str:
        return await self._post(channel_id, text, feedback, solve, allowed_mentions=NO_MENTIONS)

    async def start_thread(self, channel_id: str, message_id: str, name: str) -> str:
        try:
            thread = await self.client.http.start_thread_with_message(
                int(channel_id), int(message_id), name=name[:100], auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            raise DiscordActionError(describe_http_error(exc), status=exc.status) from exc
        return str(thread["id"])

    async def delete_message(self, channel_id: str, message_id: str) -> None:
        await self._act(self.client.http.delete_message(int(channel_id), int(message_id)))

    async def warn(self, channel_id: str, text: str) -> str:
        return await self._post(channel_id, text, "", "", allowed_mentions=WARNING_MENTIONS)

    async def timeout(self, guild_id: str, member_id: str, seconds: int, reason: str) -> None:
        until = (discord.utils.utcnow() + timedelta(seconds=seconds)).isoformat()
        edit = self.client.http.edit_member(
            int(guild_id), int(member_id), reason=reason, communication_disabled_until=until
        )
        await self._act(edit)

    async def kick(self, guild_id: str, member_id: str, reason: str) -> None:
        await self._act(self.client.http.kick(int(member_id), int(guild_id), reason=reason))

    async def ban(self, guild_id: str, member_id: str, reason: str) -> None:
        await self._act(self.client.http.ban(int(member_id), int(guild_id), 0, reason=reason))

    @staticmethod
    async def _act(request: Awaitable[Any]) -> None:
        try:
            await request
        except discord.HTTPException as exc:
            raise DiscordActionError(describe_http_error(exc), status=exc.status) from exc

    async def _post(self, channel_id: str, text: str, feedback: str, solve: str, **options: Any) -> str:
        # discord.py's HTTP client (its rate limits and retries) without building a
        # Message object from the response: we only need the new id.
        params = handle_message_parameters(content=text, **options)
        _add_buttons(params, feedback, solve)
        try:
            sent = await self.client.http.send_message(int(channel_id), params=params)
        except discord.HTTPException as exc:
            raise DiscordActionError(describe_http_error(exc), status=exc.status) from exc
        return str(sent["id"])


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

    async def edit_response(self, text: str, *, feedback: str = "") -> None:
        params = handle_message_parameters(content=text, allowed_mentions=NO_MENTIONS)
        _add_buttons(params, feedback)
        session = self.client.http._HTTPClient__session  # type: ignore[attr-defined]
        try:
            await async_context.get().edit_original_interaction_response(
                self.application_id, self.token, session=session, payload=params.payload
            )
        except discord.HTTPException as exc:
            raise DiscordActionError(_reason(exc), status=exc.status) from exc

    async def follow_up(self, text: str, *, feedback: str = "") -> None:
        params = handle_message_parameters(content=text, allowed_mentions=NO_MENTIONS)
        _add_buttons(params, feedback)
        session = self.client.http._HTTPClient__session  # type: ignore[attr-defined]
        try:
            await async_context.get().execute_webhook(
                self.application_id, self.token, session=session, payload=params.payload, wait=True
            )
        except discord.HTTPException as exc:
            raise DiscordActionError(_reason(exc), status=exc.status) from exc


def _add_buttons(params: Any, feedback: str, solve: str = "") -> None:
    """Put the 👍/👎 row for question ``feedback`` under the message (no row when empty),
    and the Solved button of forum post ``solve`` (none when empty)."""
    if params.payload is None:
        return
    rows = answer_buttons(feedback) if feedback else []
    if solve:
        rows = with_solved(rows, solve)
    if rows:
        params.payload["components"] = rows


class RestClients:
    """REST-only discord.py clients (logged in, never connected to the gateway), one per
    application, living on one event-loop thread per process. Worker jobs are sync; they
    hand coroutines to that loop with :meth:`run`.

    Their requests take their turn in the bot token's shared REST schedule (and honour its
    429 pauses) like the gateways' do, so a worker's posts count toward the same 50 a
    second (see ``ratelimit``)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard = threading.Lock()
        self._clients: dict[tuple[str, str], discord.Client] = {}
        self._logins: dict[tuple[str, str], asyncio.Lock] = {}
        self._limits: dict[str, RestLimits] = {}

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
                limits = self._limits.get(application_id)
                if limits is None:
                    limits = self._limits[application_id] = RestLimits(
                        application_id, settings.REDIS_URL or None
                    )
                client = discord.Client(intents=discord.Intents.none(), http_trace=limits.trace())
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


class ProactivePoster:
    """ProactivePort of a server's bot, over the worker's REST-only clients."""

    def __init__(self, server: DiscordServer) -> None:
        self.guild_id = server.guild_id
        self.application_id = server.application.application_id
        self.token = server.application.bot_token

    def run(self, work: Callable[[], Awaitable[None]], *, timeout: float) -> None:
        try:
            REST_CLIENTS.run(work, timeout=timeout)
        except discord.LoginFailure as exc:
            raise DiscordActionError(
                "Discord refused the bot's token. Check the bot in the Discord setup page."
            ) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DiscordActionError(
                f"Could not reach Discord ({exc or type(exc).__name__}). It is tried again later."
            ) from exc

    async def find_channel(self, name: str) -> str:
        client = await REST_CLIENTS.client(self.application_id, self.token)
        wanted = name.strip().lstrip("#").strip().lower()
        try:
            channels: list[Any] = list(await client.http.get_all_guild_channels(int(self.guild_id)))
        except discord.HTTPException as exc:
            raise DiscordActionError(
                "The bot could not list the server's channels: " + _discord_said(exc) + "."
                " It may have been removed from the server."
            ) from exc
        postable = [c for c in channels if c.get("type") in POSTABLE_CHANNEL_TYPES]
        for channel in postable:
            if str(channel.get("name", "")).lower() == wanted:
                return str(channel["id"])
        listed = ", ".join(f"#{c.get('name')}" for c in postable[:10]) or "none"
        raise DiscordActionError(
            f"There is no text channel named #{wanted} in the server (its text channels: {listed}). "
            "Create it in Discord, or change the channel name in the server's proactive settings."
        )

    async def post(self, channel_id: str, channel_name: str, text: str) -> str:
        client = await REST_CLIENTS.client(self.application_id, self.token)
        params = handle_message_parameters(content=text, allowed_mentions=NO_MENTIONS)
        try:
            message: Any = await client.http.send_message(int(channel_id), params=params)
        except discord.Forbidden as exc:
            raise DiscordActionError(
                f"The bot may not post in #{channel_name}: {_discord_said(exc)}. In Discord, give the "
                "bot's role View Channel and Send Messages in that channel."
            ) from exc
        except discord.HTTPException as exc:
            raise DiscordActionError(f"Posting in #{channel_name} failed: {_discord_said(exc)}.") from exc
        return str(message["id"])


def _discord_said(exc: discord.HTTPException) -> str:
    detail = exc.text or exc.response.reason or ""
    return f"Discord answered {exc.status}" + (f" ({detail})" if detail else "")
