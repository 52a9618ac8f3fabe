"""The discord.py side of the gateway process: the client that feeds the pipeline, and the
Discord-specific normalisation of what it receives (mentions, replies, member facts)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
import discord
from discord.http import MultipartParameters
from discord.webhook.async_ import async_context

from guildmind.db import async_db
from integrations.discordbot.actions import (
    record_channel_names,
    record_guild_joined,
    record_guild_left,
    record_server_facts,
)
from integrations.discordbot.answers import claim_gateway_interaction, finish_interaction
from integrations.discordbot.commands import ASK, ASK_COMMAND
from integrations.discordbot.components import answer_click
from integrations.discordbot.identify import IdentifyGate
from integrations.discordbot.places import place_of, with_title
from integrations.discordbot.ports import NO_MENTIONS, ClientPort, InteractionResponder, describe_http_error
from integrations.discordbot.solving import DEFERRED_EPHEMERAL, answer_solve, is_solve, solve_click
from knowledge.search import warm_index
from moderation.safety import BotFacts, MemberFacts
from pipeline.ask import NOT_THIS_BOT, AskRequest, handle_ask
from pipeline.channel_memory import Seen
from pipeline.messages import InboundMessage, Pipeline
from pipeline.port import ActionError
from pipeline.solved import SolveClick

log = logging.getLogger(__name__)

INTENTS = discord.Intents.none()
INTENTS.guilds = True
INTENTS.guild_messages = True
INTENTS.message_content = True

# A stopping connection (its unit moves to another process, or the process stops) answers
# the messages it already took for at most this long before its REST session closes.
DRAIN_SECONDS = 15.0


class GuildmindBot(discord.AutoShardedClient):
    """One bot user's gateway connection feeding the pipeline."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        application_id: str,
        concurrency: int = 256,
        shard_count: int | None = None,
        shard_ids: list[int] | None = None,
        identify_gate: IdentifyGate | None = None,
        http_trace: aiohttp.TraceConfig | None = None,
    ) -> None:
        # The fleet's shared REST limits (ratelimit.py) watch discord.py's HTTP session.
        options: dict[str, Any] = {"http_trace": http_trace} if http_trace is not None else {}
        super().__init__(
            intents=INTENTS,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
            allowed_mentions=NO_MENTIONS,
            shard_count=shard_count,
            shard_ids=shard_ids,  # type: ignore[arg-type]
            **options,
        )
        # discord.py's close() stops the shards (no more events, no reconnecting), then closes
        # the REST session: the messages in hand are answered in between.
        self._close_rest = self.http.close
        self._shards_closed = asyncio.Event()
        self.http.close = self._close_rest_after_drain  # type: ignore[method-assign]
        self.pipeline = pipeline
        self.guildmind_application_id = application_id
        self.port = ClientPort(self)
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._commands_synced = False
        self.last_seen_message_id = 0
        self._facts: dict[int, tuple[int, tuple[str, ...]]] = {}
        self._facts_locks: dict[int, asyncio.Lock] = {}
        self.identify_gate = identify_gate
        self._channel_names: dict[int, dict[str, str]] = {}

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # The fleet's shared turns replace discord.py's per-process 5 s pause.
        if self.identify_gate is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        await self.identify_gate.wait(shard_id or 0)

    async def on_message(self, message: discord.Message) -> None:
        self.last_seen_message_id = message.id  # lets tests (and logs) know what arrived
        guild = message.guild
        me = self.user
        if guild is None or me is None:
            return
        if message.is_system():
            return  # joins, boosts, pins: nothing to answer or moderate
        # Webhook posts come from other programs: treated like bots, so no loop can form.
        author_is_bot = message.author.bot or message.webhook_id is not None
        reference = message.reference
        replied = (
            reference.resolved if reference and isinstance(reference.resolved, discord.Message) else None
        )
        if self.pipeline.remembers(guild.id):
            self.pipeline.observe(guild.id, message.channel.id, _seen(message, me.id, author_is_bot, replied))
        mentions_bot = any(user.id == me.id for user in message.mentions)
        place = place_of(message)
        if not self.pipeline.wants(
            guild.id,
            message.channel.id,
            author_is_bot=author_is_bot,
            mentions_bot=mentions_bot,
            author_id=message.author.id,
            within=place.within,
        ):
            return
        facts = _facts(guild, message) if self.pipeline.moderates(guild.id) else None
        inbound = InboundMessage(
            guild_id=guild.id,
            channel_id=message.channel.id,
            message_id=message.id,
            author_id=message.author.id,
            author_name=message.author.display_name,
            author_is_bot=author_is_bot,
            content=with_title(place, message.content),
            mentions_bot=mentions_bot,
            bot_user_id=me.id,
            bot_name=me.display_name,
            guild_name=guild.name,
            reply_to_author_id=replied.author.id if replied else None,
            mentions_others=any(user.id not in (me.id, message.author.id) for user in message.mentions),
            mention_count=len(message.raw_mentions) + len(message.raw_role_mentions) if facts else 0,
            member_facts=facts[0] if facts else None,
            bot_facts=facts[1] if facts else None,
            **(_where(message) if facts else {}),
            within=place.within,
            in_thread=place.in_thread,
            forum_id=place.forum_id,
            post_title=place.post_title,
            post_author_id=place.post_author_id,
        )
        task = asyncio.create_task(self._process(inbound))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, inbound: InboundMessage) -> None:
        async with self._slots:
            try:
                await self.pipeline.handle(inbound, self.port)
            except Exception:
                log.exception("message %s in guild %s failed", inbound.message_id, inbound.guild_id)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """/ask over the gateway, for bots without an interactions endpoint: the same
        handler as the HTTP entrance, answered in this process."""
        data: dict[str, Any] = dict(interaction.data or {})
        if interaction.type is discord.InteractionType.component:
            await self._answer_click(interaction, str(data.get("custom_id") or ""))
            return
        if interaction.type is not discord.InteractionType.application_command or data.get("name") != ASK:
            return
        if interaction.guild_id is None or interaction.channel_id is None:
            return
        options = {o["name"]: o.get("value") for o in data.get("options") or []}
        ask = AskRequest(
            interaction_id=str(interaction.id),
            application_id=str(interaction.application_id),
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_id=interaction.user.id,
            user_name=interaction.user.display_name,
            question=str(options.get("question") or ""),
            bot_name=self.user.display_name if self.user else "Guildmind",
        )
        server = self.pipeline.servers.get(ask.guild_id)
        try:
            if server is not None and server.application_id != self.guildmind_application_id:
                # This bot is in the server, but the server is connected to another one:
                # its workspace is not read, nothing is recorded or counted.
                await interaction.response.send_message(NOT_THIS_BOT, ephemeral=True)
                return
            await interaction.response.defer()
        except discord.HTTPException as exc:
            log.warning("could not acknowledge /ask %s: %s", ask.interaction_id, describe_http_error(exc))
            return
        if not await async_db(claim_gateway_interaction)(self.guildmind_application_id, ask):
            return
        port = InteractionResponder(self, ask.application_id, interaction.token)
        outcome = await handle_ask(ask, server, port)
        await async_db(finish_interaction)(ask.interaction_id, outcome)

    async def _answer_click(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A click on an answer's feedback buttons over the gateway: the same handler as the
        HTTP entrance, for the application this connection is."""
        if interaction.guild_id is None or str(interaction.application_id) != self.guildmind_application_id:
            return
        if is_solve(custom_id):
            await self._solve(interaction, custom_id)
            return
        response = await async_db(answer_click)(
            self.guildmind_application_id, str(interaction.guild_id), str(interaction.user.id), custom_id
        )
        await self._respond(interaction, response)

    async def _solve(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A click on a forum post's Solved button: checked, acknowledged in private at once,
        then answered with the outcome (tagging takes a few REST calls)."""
        payload = {
            "guild_id": interaction.guild_id,
            "channel_id": interaction.channel_id,
            "member": {
                "user": {"id": interaction.user.id},
                "permissions": str(interaction.permissions.value),
            },
            "data": {"custom_id": custom_id},
        }
        click = await async_db(solve_click)(self.guildmind_application_id, payload)
        if not isinstance(click, SolveClick):
            await self._respond(interaction, click)
            return
        if await self._respond(interaction, DEFERRED_EPHEMERAL):
            try:
                await answer_solve(self, self.guildmind_application_id, interaction.token, click)
            except ActionError as exc:
                log.warning("could not answer Solved click %s: %s", interaction.id, exc.reason)

    async def _respond(self, interaction: discord.Interaction, response: dict[str, Any]) -> bool:
        params = MultipartParameters(payload=response, multipart=None, files=None)
        session = self.http._HTTPClient__session  # type: ignore[attr-defined]
        try:
            await async_context.get().create_interaction_response(
                interaction.id, interaction.token, session=session, params=params
            )
        except discord.HTTPException as exc:
            log.warning("could not answer click %s: %s", interaction.id, describe_http_error(exc))
            return False
        return True

    async def _remember_guild(self, guild: discord.Guild) -> None:
        icon = guild.icon.key if guild.icon else ""
        await async_db(record_guild_joined)(
            self.guildmind_application_id, guild_id=str(guild.id), name=guild.name, icon=icon
        )
        await async_db(self.pipeline.servers.refresh)()
        await self.record_facts(guild)
        await self.record_channel_names(guild, [*guild.channels, *guild.threads])
        server = self.pipeline.servers.get(guild.id)
        if server is not None and server.workspace_id is not None:
            # Its knowledge index is built now, not when the first member asks.
            await async_db(warm_index)(server.workspace_id)

    async def record_facts(self, guild: discord.Guild) -> None:
        """Write what the bot can do in ``guild`` (permissions, roles above its own) when it
        changed since the last write: the dashboard's diagnostics read it."""
        # One write at a time per guild, its facts read once the previous write is done:
        # database calls run on a pool of threads, so two in flight could land in either
        # order and leave the older facts on the row.
        async with self._facts_locks.setdefault(guild.id, asyncio.Lock()):
            me = guild.me
            if me is None:
                return
            top = me.top_role
            above = tuple(
                role.name
                for role in sorted(guild.roles, reverse=True)
                if role > top and not role.is_default()
            )
            facts = (me.guild_permissions.value, above)
            if self._facts.get(guild.id) == facts:
                return
            await async_db(record_server_facts)(
                self.guildmind_application_id, str(guild.id), permissions=facts[0], roles_above=list(above)
            )
            self._facts[guild.id] = facts

    async def record_channel_names(self, guild: discord.Guild, channels: list[Any]) -> None:
        """Write the names of ``channels`` the dashboard does not know yet (or knows by an
        older name), so conversations and the moderation log show names, not ids. One write
        at a time per guild (with the facts'), so an older name cannot land after a rename."""
        async with self._facts_locks.setdefault(guild.id, asyncio.Lock()):
            fresh = {str(c.id): str(c.name) for c in channels if getattr(c, "name", None)}
            known = self._channel_names.setdefault(guild.id, {})
            changed = {k: v for k, v in fresh.items() if known.get(k) != v}
            if not changed:
                return
            await async_db(record_channel_names)(self.guildmind_application_id, str(guild.id), changed)
            known.update(changed)

    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        await self.record_channel_names(channel.guild, [channel])

    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        await self.record_channel_names(after.guild, [after])

    async def on_thread_create(self, thread: discord.Thread) -> None:
        await self.record_channel_names(thread.guild, [thread])

    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        await self.record_channel_names(after.guild, [after])

    async def record_all_facts(self) -> None:
        for guild in list(self.guilds):
            await self.record_facts(guild)

    async def on_guild_role_create(self, role: discord.Role) -> None:
        await self.record_facts(role.guild)

    async def on_guild_role_delete(self, role: discord.Role) -> None:
        await self.record_facts(role.guild)

    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        await self.record_facts(after.guild)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if self.user is not None and after.id == self.user.id:
            await self.record_facts(after.guild)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._remember_guild(guild)

    async def on_ready(self) -> None:
        if not self._commands_synced:
            self._commands_synced = await self._sync_commands()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        log.info("joined guild %s (%s)", guild.name, guild.id)
        await self._remember_guild(guild)
        await self._sync_commands()

    async def _sync_commands(self) -> bool:
        """Register /ask for this application (idempotent: a bulk overwrite)."""
        if self.is_closed():
            return False  # stopped meanwhile (its shard moved to another process)
        try:
            await self.http.bulk_upsert_global_commands(self.guildmind_application_id, [ASK_COMMAND])
        except RuntimeError:
            return False  # the HTTP session closed under it: the connection is stopping
        except discord.HTTPException as exc:
            log.warning("could not register /ask: %s", describe_http_error(exc))
            return False
        return True

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        log.info("left guild %s (%s)", guild.name, guild.id)
        await async_db(record_guild_left)(self.guildmind_application_id, guild_id=str(guild.id))
        await async_db(self.pipeline.servers.refresh)()

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the messages being processed, for at most ``timeout`` s (on stop; tests
        wait for all)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                log.warning("stopping with %d messages of %s unanswered", len(self._tasks), self.user)
                return
            await asyncio.wait(list(self._tasks), timeout=remaining)

    async def disconnected(self, timeout: float) -> None:
        """Once close() has begun: until no shard of this connection receives events, for
        at most ``timeout`` s."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._shards_closed.wait(), timeout)

    async def _close_rest_after_drain(self) -> None:
        self._shards_closed.set()  # discord.py closes the shards' websockets first
        await self.drain(timeout=DRAIN_SECONDS)
        await self._close_rest()


def _seen(message: discord.Message, my_id: int, author_is_bot: bool, replied: discord.Message | None) -> Seen:
    return Seen(
        message_id=message.id,
        author_id=message.author.id,
        author_name=message.author.display_name,
        text=message.content,
        from_self=message.author.id == my_id,
        from_bot=author_is_bot,
        reply_to_message_id=message.reference.message_id if message.reference else None,
        reply_to_author_id=replied.author.id if replied else None,
        mentioned_ids=frozenset(message.raw_mentions),
    )


def _where(message: discord.Message) -> dict[str, Any]:
    """The channel (and a thread's parent) by name, and the attachments, for the rules that
    are scoped to channels or read attachments."""
    channel = message.channel
    parent = getattr(channel, "parent", None)
    return {
        "channel_name": str(getattr(channel, "name", "") or ""),
        "parent_channel_id": parent.id if parent is not None else 0,
        "parent_channel_name": str(getattr(parent, "name", "") or ""),
        "attachments": tuple((a.filename, a.description or "") for a in message.attachments),
    }


def _facts(guild: discord.Guild, message: discord.Message) -> tuple[MemberFacts, BotFacts] | None:
    """What the moderation safety checks need to know about the author and the bot."""
    author, me = message.author, guild.me
    if me is None:
        return None
    member_permissions = author.guild_permissions if isinstance(author, discord.Member) else None
    bot_permissions = me.guild_permissions
    member = MemberFacts(
        is_owner=author.id == guild.owner_id,
        is_bot=author.bot,
        is_self=author.id == me.id,
        has_administrator=bool(member_permissions and member_permissions.administrator),
        has_manage_guild=bool(member_permissions and member_permissions.manage_guild),
        top_role_position=author.top_role.position if isinstance(author, discord.Member) else 0,
        has_kick_members=bool(member_permissions and member_permissions.kick_members),
        has_ban_members=bool(member_permissions and member_permissions.ban_members),
        has_manage_messages=bool(member_permissions and member_permissions.manage_messages),
        has_moderate_members=bool(member_permissions and member_permissions.moderate_members),
        role_ids=tuple(str(role.id) for role in author.roles) if isinstance(author, discord.Member) else (),
    )
    bot = BotFacts(
        top_role_position=me.top_role.position,
        can_manage_messages=bot_permissions.manage_messages or bot_permissions.administrator,
        can_kick=bot_permissions.kick_members or bot_permissions.administrator,
        can_ban=bot_permissions.ban_members or bot_permissions.administrator,
        can_moderate_members=bot_permissions.moderate_members or bot_permissions.administrator,
    )
    return member, bot
