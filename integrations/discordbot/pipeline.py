"""The message pipeline: inbound → guard → moderate → trigger → answer → deliver → record.

It never imports discord.py: it receives normalized messages and acts through a
``ChannelPort``. The gateway calls ``wants()`` on every message (memory only, no I/O) and
``handle()`` only for messages that need work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass
from time import monotonic
from typing import cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from accounts.models import Workspace
from assistant import answering
from assistant.providers.base import Answer, Turn
from conversations import actions as conversation_actions
from conversations.actions import Place
from guildmind.db import write_transaction
from integrations.discordbot.actions import record_server_error
from integrations.discordbot.channel_memory import ChannelMemory, Seen
from integrations.discordbot.rate_limits import answer_limits
from integrations.discordbot.servers import ServerDirectory, ServerSettings
from integrations.discordbot.text import split_message, strip_mention
from moderation.actions import ModeratedMessage, ModerationResult, moderate_message
from moderation.port import ModerationPort
from moderation.safety import BotFacts, MemberFacts
from pipeline.port import ActionError, ChannelPort, InteractionPort
from usage.models import UsageEvent
from usage.plans import plan_allows
from usage.quota import LIMIT_NOTICE, release, reserve, should_notify_limit

log = logging.getLogger(__name__)


def db(func):  # type: ignore[no-untyped-def]
    """Run a sync ORM function from async code without serializing on one thread."""
    return sync_to_async(func, thread_sensitive=False)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    guild_id: int
    channel_id: int
    message_id: int
    author_id: int
    author_name: str
    author_is_bot: bool
    content: str
    mentions_bot: bool
    bot_user_id: int
    bot_name: str = "Guildmind"
    guild_name: str = ""
    reply_to_author_id: int | None = None
    # Someone other than the bot and the author is mentioned: the message is for them.
    mentions_others: bool = False
    # Filled by the gateway only when the server moderates (they cost a little to build).
    mention_count: int = 0
    member_facts: MemberFacts | None = None
    bot_facts: BotFacts | None = None


# Flood and repeat detectors look at a member's last few messages in the channel from the
# last RECENT_SECONDS, kept in memory for a bounded number of members.
RECENT_TEXTS = 5
RECENT_SECONDS = 20.0
RECENT_AUTHORS = 10_000


class Pipeline:
    def __init__(
        self, servers: ServerDirectory, memory: ChannelMemory | None = None, *, application_id: str = ""
    ) -> None:
        self.servers = servers
        # The bot this pipeline serves: a server connected through another application
        # (a guild with both the shared and a custom bot) is that bot's to answer.
        self.application_id = application_id
        self.memory = memory or ChannelMemory(
            per_channel=settings.CHANNEL_MEMORY_MESSAGES, channels=settings.CHANNEL_MEMORY_CHANNELS
        )
        self._recent_texts: OrderedDict[tuple[int, int, int], deque[tuple[float, str]]] = OrderedDict()

    # --- guard + trigger (hot path: memory only) ------------------------------------
    def wants(
        self, guild_id: int, channel_id: int, *, author_is_bot: bool, mentions_bot: bool, author_id: int = 0
    ) -> bool:
        """Whether a message needs any work at all; cheap enough for every message."""
        if author_is_bot:
            return False
        server = self._server(guild_id)
        if server is None:
            return False
        if server.moderation_enabled or self._triggered(server, channel_id, mentions_bot):
            return True
        return self.held(guild_id, channel_id, author_id)

    def held(self, guild_id: int, channel_id: int, author_id: int) -> bool:
        """A team member has this member's conversation here (memory only)."""
        return (guild_id, channel_id, author_id) in self.servers.held

    def _server(self, guild_id: int) -> ServerSettings | None:
        """The server's settings when this pipeline's bot serves it and it is active."""
        server = self.servers.by_guild.get(guild_id)
        if server is None or not server.active:
            return None
        if self.application_id and server.application_id != self.application_id:
            return None
        return server

    def moderates(self, guild_id: int) -> bool:
        server = self._server(guild_id)
        return server is not None and server.moderation.enabled

    def remembers(self, guild_id: int) -> bool:
        """Whether the channel memory keeps this server's messages (every message of it,
        the bot's own and other bots' included): for channel awareness, and in
        all-messages mode to notice a person answering before the bot does."""
        server = self._server(guild_id)
        return server is not None and (server.channel_awareness or server.response_mode == "all")

    def observe(self, guild_id: int, channel_id: int, seen: Seen) -> None:
        self.memory.remember(guild_id, channel_id, seen)

    @staticmethod
    def _triggered(server: ServerSettings, channel_id: int, mentions_bot: bool) -> bool:
        mode = server.response_mode
        if mode == "mention":
            return mentions_bot
        if mode == "all":
            return mentions_bot or not server.channel_ids or channel_id in server.channel_ids
        return False  # "/ask only": answers come through the slash command alone

    # --- the rest of the pipeline ------------------------------------------------------
    async def handle(self, message: InboundMessage, port: ChannelPort) -> str:
        """Process one message; returns what happened (for logs, tests and benchmarks)."""
        if message.author_is_bot or message.author_id == message.bot_user_id:
            return "ignored:bot"
        server = self._server(message.guild_id)
        if server is None or server.workspace_id is None:
            return "ignored:server"
        if server.moderation.enabled and server.moderation.rules.strip():
            # Each check is one message of usage; past the month's quota, no checks.
            key = f"moderation:{message.message_id}"
            checked = await db(reserve)(server.workspace_id, UsageEvent.Kind.MODERATION, key)
            # The gateway's port also carries the moderation actions.
            result = (
                await self._moderate(server, message, cast(ModerationPort, port)) if checked.allowed else None
            )
            if result is not None and result.deleted:
                return "moderated:deleted"
        if not self._triggered(server, message.channel_id, message.mentions_bot):
            if self.held(message.guild_id, message.channel_id, message.author_id):
                # Not for the bot, but a team member has this member's conversation: they
                # see every message live. (Addressed messages go on; answering checks the
                # takeover in the database, so a lapsed one is answered again.)
                await self._record_only(server, message)
                return "skipped:human"
            return "ignored:not-triggered"
        question = strip_mention(message.content, str(message.bot_user_id))
        if not question:
            return "ignored:empty"
        unprompted = not message.mentions_bot
        if unprompted and _between_members(message):
            return "skipped:between-members"
        history = self._channel_history(server, message)
        if unprompted and server.smart_mode:
            decision = await answering.decide_reply(
                workspace_id=server.workspace_id, question=question, history=history or []
            )
            if not decision.reply:
                return "skipped:smart"
        limited = await answer_limits().check(message.guild_id, message.channel_id, message.author_id)
        if limited is not None:
            if limited.notify:
                with contextlib.suppress(ActionError):
                    await port.reply(
                        str(message.channel_id), str(message.message_id), limited.notice(message.author_name)
                    )
            return f"limited:{limited.scope}"
        key = f"reply:{message.message_id}"
        quota = await db(reserve)(server.workspace_id, UsageEvent.Kind.REPLY, key)
        if not quota.allowed:
            if quota.reason == "limit" and await db(should_notify_limit)(
                server.workspace_id, message.guild_id, message.channel_id
            ):
                with contextlib.suppress(ActionError):
                    await port.reply(str(message.channel_id), str(message.message_id), LIMIT_NOTICE)
            return f"quota:{quota.reason}"
        outcome = await self._answer(server, message, question, port, history)
        if quota.reason == "counted" and outcome in UNANSWERED:
            await db(release)(server.workspace_id, key)  # nothing went out: not a message
        return outcome

    async def _record_only(self, server: ServerSettings, message: InboundMessage) -> None:
        assert server.workspace_id is not None
        place = Place(
            workspace_id=server.workspace_id,
            source="discord",
            place_id=str(server.guild_id),
            channel_id=str(message.channel_id),
            place_name=message.guild_name or server.name,
        )
        await db(conversation_actions.record_member_message)(
            place,
            member_id=str(message.author_id),
            member_name=message.author_name,
            text=strip_mention(message.content, str(message.bot_user_id)) or message.content,
            external_id=str(message.message_id),
        )

    def _channel_history(self, server: ServerSettings, message: InboundMessage) -> list[Turn] | None:
        """With channel awareness, the channel's recent conversation from everyone; else None
        (the member's own thread is read from the conversation log)."""
        if not server.channel_awareness:
            return None
        return self.memory.turns(
            message.guild_id,
            message.channel_id,
            before_message_id=message.message_id,
            bot_name=message.bot_name,
        )

    async def _moderate(
        self, server: ServerSettings, message: InboundMessage, port: ModerationPort
    ) -> ModerationResult:
        """Check the message against the owner's rules (every mode, before answering)."""
        if message.member_facts is None or message.bot_facts is None:
            return ModerationResult()
        key = (message.guild_id, message.channel_id, message.author_id)
        recent = self._recent_texts.get(key) or deque(maxlen=RECENT_TEXTS)
        now = monotonic()
        moderated = ModeratedMessage(
            guild_id=str(message.guild_id),
            channel_id=str(message.channel_id),
            message_id=str(message.message_id),
            member_id=str(message.author_id),
            member_name=message.author_name,
            text=message.content,
            mention_count=message.mention_count,
            recent_texts=tuple(text for at, text in recent if now - at <= RECENT_SECONDS),
        )
        recent.append((now, message.content))
        self._recent_texts[key] = recent
        self._recent_texts.move_to_end(key)
        while len(self._recent_texts) > RECENT_AUTHORS:
            self._recent_texts.popitem(last=False)
        return await moderate_message(
            server.moderation, moderated, message.member_facts, message.bot_facts, port
        )

    async def _answer(
        self,
        server: ServerSettings,
        message: InboundMessage,
        question: str,
        port: ChannelPort,
        history: list[Turn] | None,
    ) -> str:
        assert server.workspace_id is not None
        turn = await _converse(
            server,
            history=history,
            channel_id=message.channel_id,
            member_id=message.author_id,
            member_name=message.author_name,
            question=question,
            external_id=str(message.message_id),
            bot_name=message.bot_name,
            place_name=message.guild_name,
        )
        if turn is None:
            return "ignored:duplicate"
        if turn.answer is None:
            return "skipped:human"  # a team member has this conversation
        recorded, answer = turn.recorded, turn.answer
        if not message.mentions_bot and self.memory.answered_by_someone_else(
            message.guild_id, message.channel_id, message.message_id, message.author_id
        ):
            # A person answered while the AI was thinking: don't talk over them.
            return "skipped:answered-by-someone"
        text = turn.reply_text()
        try:
            await self._deliver(port, message, text)
        except ActionError as exc:
            log.warning("could not reply in guild %s: %s", message.guild_id, exc.reason)
            await db(record_server_error)(str(message.guild_id), f"Could not reply: {exc.reason}")
            return "failed:deliver"
        await db(_record_answer)(
            recorded, answer, text, author_name=message.bot_name, usage_key=f"reply:{message.message_id}"
        )
        return _outcome(answer)

    @staticmethod
    async def _deliver(port: ChannelPort, message: InboundMessage, text: str) -> None:
        first, *rest = split_message(text)
        await port.reply(str(message.channel_id), str(message.message_id), first)
        for piece in rest:
            await port.send(str(message.channel_id), piece)


@dataclass(frozen=True, slots=True)
class AskRequest:
    """An /ask slash command, from the HTTP endpoint or the gateway."""

    interaction_id: str
    application_id: str
    guild_id: int
    channel_id: int
    user_id: int
    user_name: str
    question: str
    bot_name: str = "Guildmind"


NOT_CONNECTED = (
    "This server is not connected to a Guildmind workspace yet, so I have nothing to answer "
    "from. A server admin can connect it from the Guildmind dashboard."
)
# An /ask of an application that is not the one connected to the server (someone's own
# user-installed app, or a second bot in the same server): it must not read that
# server's workspace.
NOT_THIS_BOT = "This server isn't connected to this bot, so it has nothing to answer from here."
EMPTY_QUESTION = "Ask me something, for example: /ask question: How do refunds work?"
SORRY = "Sorry, something went wrong while I was answering. Please try again in a moment."
TEAM_HAS_IT = "A member of the team is looking after your conversation and will reply here."
# Outcomes where no AI reply reached the member: the reserved message is given back.
UNANSWERED = {"ignored:duplicate", "skipped:human", "skipped:answered-by-someone", "failed:deliver", "failed"}
TEAM_TOLD = "I've let the team know you'd like to talk to a person; someone will reply here soon."


async def handle_ask(ask: AskRequest, server: ServerSettings | None, port: InteractionPort) -> str:
    """Answer an acknowledged /ask through ``port``; works in every response mode.

    Never leaves the member with an endless "thinking…": any failure ends in a short
    apology (when Discord still accepts one). Returns what happened."""
    try:
        return await _handle_ask(ask, server, port)
    except Exception:
        log.exception("/ask %s failed", ask.interaction_id)
        with contextlib.suppress(Exception):
            await port.edit_response(SORRY)
        return "failed"


async def _handle_ask(ask: AskRequest, server: ServerSettings | None, port: InteractionPort) -> str:
    if server is not None and server.application_id != ask.application_id:
        await port.edit_response(NOT_THIS_BOT)
        return "ignored:application"
    if server is None or not server.active:
        await port.edit_response(NOT_CONNECTED)
        return "ignored:server"
    question = ask.question.strip()
    if not question:
        await port.edit_response(EMPTY_QUESTION)
        return "ignored:empty"
    limited = await answer_limits().check(ask.guild_id, ask.channel_id, ask.user_id)
    if limited is not None:
        await port.edit_response(limited.notice(ask.user_name))
        return f"limited:{limited.scope}"
    key = f"reply:interaction:{ask.interaction_id}"
    quota = await db(reserve)(server.workspace_id, UsageEvent.Kind.REPLY, key)
    if not quota.allowed:
        # /ask must answer something, or Discord shows "The application did not respond".
        await port.edit_response(LIMIT_NOTICE if quota.reason == "limit" else quota.detail)
        return f"quota:{quota.reason}"
    outcome = await _ask_answer(ask, server, port, question, key)
    if quota.reason == "counted" and outcome in UNANSWERED:
        await db(release)(server.workspace_id, key)
    return outcome


async def _ask_answer(
    ask: AskRequest, server: ServerSettings, port: InteractionPort, question: str, key: str
) -> str:
    turn = await _converse(
        server,
        channel_id=ask.channel_id,
        member_id=ask.user_id,
        member_name=ask.user_name,
        question=question,
        external_id=f"interaction:{ask.interaction_id}",
        bot_name=ask.bot_name,
    )
    if turn is None:
        return "ignored:duplicate"
    if turn.answer is None:
        await port.edit_response(TEAM_HAS_IT)
        return "skipped:human"
    recorded, answer = turn.recorded, turn.answer
    text = turn.reply_text()
    first, *rest = split_message(text)
    try:
        await port.edit_response(first)
        for piece in rest:
            await port.follow_up(piece)
    except ActionError as exc:
        log.warning("could not answer /ask %s: %s", ask.interaction_id, exc.reason)
        return "failed:deliver"
    await db(_record_answer)(
        recorded,
        answer,
        text,
        author_name=ask.bot_name,
        usage_key=key,
    )
    return _outcome(answer)


@dataclass(frozen=True, slots=True)
class Conversed:
    recorded: conversation_actions.Recorded
    # None when a team member has the conversation: the AI stays silent.
    answer: Answer | None
    # The member asked for a person and the team was told.
    escalated: bool = False

    def reply_text(self) -> str:
        assert self.answer is not None
        text = answering.format_reply(self.answer)
        return f"{TEAM_TOLD}\n\n{text}" if self.escalated else text


async def _converse(
    server: ServerSettings,
    *,
    channel_id: int,
    member_id: int,
    member_name: str,
    question: str,
    external_id: str,
    bot_name: str,
    place_name: str = "",
    history: list[Turn] | None = None,
) -> Conversed | None:
    """Record the member's question and answer it from the workspace's knowledge with the
    member's context (``history``, or else the member's own recent turns here). None when
    the question was already recorded (a redelivery). No answer while a team member has
    the conversation; when the member asks for a person, the team is told (escalation)."""
    assert server.workspace_id is not None
    place = Place(
        workspace_id=server.workspace_id,
        source="discord",
        place_id=str(server.guild_id),
        channel_id=str(channel_id),
        place_name=place_name or server.name,
    )
    workspace = await _workspace_info(server.workspace_id)
    recorded = await db(conversation_actions.record_member_message)(
        place,
        member_id=str(member_id),
        member_name=member_name,
        text=question,
        external_id=external_id,
        history_limit=settings.AI_HISTORY_TURNS if history is None else 0,
    )
    if not recorded.created:
        return None
    if recorded.conversation.human_active(timezone.now()):
        return Conversed(recorded, None)
    context = recorded.history if history is None else history
    answering_task = answering.answer_question(
        workspace_id=server.workspace_id,
        question=question,
        history=context,
        instructions=workspace.instructions,
        bot_name=bot_name,
    )
    if not workspace.escalation_email:
        return Conversed(recorded, await answering_task)
    answer, wants_human = await asyncio.gather(
        answering_task, answering.detect_human_request(question, context)
    )
    if wants_human:
        await _escalate(recorded.conversation.pk)
    return Conversed(recorded, answer, escalated=wants_human)


async def _escalate(conversation_id: int) -> None:
    """Flag the conversation and email the team (at most every 30 minutes per conversation).
    The email goes through the worker, with retries: it never holds up the reply."""
    from conversations.tasks import send_escalation_email

    if await db(conversation_actions.escalate)(conversation_id):
        await db(send_escalation_email)(conversation_id)


@dataclass(frozen=True, slots=True)
class WorkspaceInfo:
    instructions: str
    escalation_email: str


# What answering needs of the workspace, cached briefly: edits reach the gateway within as
# long as server settings take, without a query per message.
WORKSPACE_TTL = 5.0
_workspace_cache: dict[int, tuple[float, WorkspaceInfo]] = {}


async def _workspace_info(workspace_id: int) -> WorkspaceInfo:
    cached = _workspace_cache.get(workspace_id)
    now = monotonic()
    if cached is not None and now - cached[0] < WORKSPACE_TTL:
        return cached[1]
    info = await db(_read_workspace_info)(workspace_id)
    _workspace_cache[workspace_id] = (now, info)
    return info


def _read_workspace_info(workspace_id: int) -> WorkspaceInfo:
    row = (
        Workspace.objects.filter(pk=workspace_id)
        .values("ai_instructions", "escalation_enabled", "escalation_email", "plan")
        .first()
    )
    if row is None:
        return WorkspaceInfo("", "")
    escalating = row["escalation_enabled"] and plan_allows(row["plan"], "escalation").allowed
    return WorkspaceInfo(row["ai_instructions"] or "", (row["escalation_email"] or "") if escalating else "")


def _record_answer(
    recorded: conversation_actions.Recorded, answer: Answer, text: str, *, author_name: str, usage_key: str
) -> None:
    """Log the delivered reply and count it (an apology for a failure is not counted),
    in one trip to a database thread."""
    with write_transaction():
        conversation_actions.record_reply(
            recorded.conversation, text=text, author_name=author_name, sources=answer.sources
        )
        if answer.failed:  # an apology is not an AI reply: give the message back
            release(recorded.conversation.workspace_id, usage_key)


def _between_members(message: InboundMessage) -> bool:
    """A reply to another member, or a message mentioning someone else: members talking
    to each other, where an unprompted bot would only be talking over them."""
    replied = message.reply_to_author_id
    to_someone_else = replied is not None and replied not in (message.bot_user_id, message.author_id)
    return to_someone_else or message.mentions_others


def _outcome(answer: Answer) -> str:
    if answer.failed:
        return "answered:apology"
    return "answered" if answer.grounded else "answered:unknown"
