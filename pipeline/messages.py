"""The message pipeline: inbound → guard → moderate → trigger → human? → answer → deliver →
record.

It never imports a channel's library: the channel's adapter (Discord's gateway) hands it
normalized messages, the server settings it keeps (a ``Directory``) and a ``ChannelPort``
to act through. The gateway calls ``wants()`` on every message (memory only, no I/O) and
``handle()`` only for messages that need work.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass
from time import monotonic
from typing import cast

from django.conf import settings

from assistant import answering
from assistant.providers.base import Turn
from conversations import actions as conversation_actions
from conversations.forum_posts import PostRef, record_answered, record_post
from guildmind.db import async_db
from moderation.actions import ModeratedMessage, ModerationResult, moderate_message
from moderation.port import ModerationPort
from moderation.safety import BotFacts, MemberFacts
from pipeline.channel_memory import ChannelMemory, Seen
from pipeline.converse import UNANSWERED, converse, feedback_key, outcome_of, record_answer, take_question
from pipeline.port import ActionError, ChannelPort, ThreadPort
from pipeline.rate_limits import answer_limits
from pipeline.servers import Directory, ServerSettings
from pipeline.text import split_message, strip_mention
from usage.models import UsageEvent
from usage.quota import LIMIT_NOTICE, release, reserve, should_notify_limit

log = logging.getLogger(__name__)


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
    # Where it was posted and what it carries, for channel-scoped rules and attachment checks.
    channel_name: str = ""
    parent_channel_id: int = 0
    parent_channel_name: str = ""
    attachments: tuple[tuple[str, str], ...] = ()
    # What the channel sits in (a thread's channel, a channel's category): choosing one of
    # them in the settings includes the channel. ``in_thread``: a thread or a forum post.
    within: tuple[int, ...] = ()
    in_thread: bool = False
    # In a forum post (``channel_id`` is the post): the forum, the post's title and author.
    # The bot's answer there carries a Solved button, and the post is recorded.
    forum_id: int = 0
    post_title: str = ""
    post_author_id: int = 0


# Flood and repeat detectors look at a member's last few messages in the channel from the
# last RECENT_SECONDS, kept in memory for a bounded number of members.
RECENT_TEXTS = 5
RECENT_SECONDS = 20.0
RECENT_AUTHORS = 10_000


class Pipeline:
    def __init__(
        self, servers: Directory, memory: ChannelMemory | None = None, *, application_id: str = ""
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
        self,
        guild_id: int,
        channel_id: int,
        *,
        author_is_bot: bool,
        mentions_bot: bool,
        author_id: int = 0,
        within: tuple[int, ...] = (),
    ) -> bool:
        """Whether a message needs any work at all; cheap enough for every message."""
        if author_is_bot:
            return False
        server = self._server(guild_id)
        if server is None:
            return False
        if server.moderation_enabled or self._triggered(server, channel_id, mentions_bot, within):
            return True
        return self.held(guild_id, channel_id, author_id)

    def held(self, guild_id: int, channel_id: int, author_id: int) -> bool:
        """A team member has this member's conversation here (memory only)."""
        return (guild_id, channel_id, author_id) in self.servers.held

    def _server(self, guild_id: int) -> ServerSettings | None:
        """The server's settings when this pipeline's bot serves it and it is active."""
        server = self.servers.get(guild_id)
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
    def _triggered(
        server: ServerSettings, channel_id: int, mentions_bot: bool, within: tuple[int, ...] = ()
    ) -> bool:
        mode = server.response_mode
        if mode == "mention":
            return mentions_bot
        if mode == "all":
            chosen = server.channel_ids
            return mentions_bot or not chosen or channel_id in chosen or any(c in chosen for c in within)
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
            checked = await async_db(reserve)(
                server.workspace_id, UsageEvent.Kind.MODERATION, key, channel=server.usage_channel
            )
            # The gateway's port also carries the moderation actions.
            result = (
                await self._moderate(server, message, cast(ModerationPort, port)) if checked.allowed else None
            )
            if result is not None and result.deleted:
                return "moderated:deleted"
        if not self._triggered(server, message.channel_id, message.mentions_bot, message.within):
            if self.held(message.guild_id, message.channel_id, message.author_id):
                # Not for the bot, but a team member has this member's conversation: they
                # see every message live. (Addressed messages go on; answering checks the
                # takeover in the database, so a lapsed one is answered again.)
                await self._record_only(server, message)
                return "skipped:human"
            return "ignored:not-triggered"
        if message.forum_id and message.message_id == message.channel_id:
            # A new post in a forum the bot answers in: counted whatever happens next.
            await async_db(_record_post_seen)(*_post_of(server, message))
        question = strip_mention(message.content, str(message.bot_user_id))
        if not question:
            return "ignored:empty"
        unprompted = not message.mentions_bot
        if unprompted and _between_members(message):
            return "skipped:between-members"
        if (
            unprompted
            and message.in_thread
            and self.memory.others_spoke(
                message.guild_id, message.channel_id, message.author_id, before_message_id=message.message_id
            )
        ):
            return "skipped:members-helping"  # a thread where members help each other
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
        threaded = _thread_per_question(server, message, port)
        taken = await take_question(
            server,
            # A thread started on a message has the message's id: the conversation is the thread's.
            channel_id=message.message_id if threaded else message.channel_id,
            member_id=message.author_id,
            member_name=message.author_name,
            question=question,
            external_id=str(message.message_id),
            usage_key=key,
            place_name=message.guild_name,
            read_history=history is None,
        )
        quota = taken.quota
        if taken.recorded is None:
            if quota.reason == "limit" and await async_db(should_notify_limit)(
                server.workspace_id, message.guild_id, message.channel_id
            ):
                with contextlib.suppress(ActionError):
                    await port.reply(str(message.channel_id), str(message.message_id), LIMIT_NOTICE)
            return f"quota:{quota.reason}"
        outcome = await self._answer(server, message, question, port, history, taken.recorded, threaded)
        if quota.reason == "counted" and outcome in UNANSWERED:
            await async_db(release)(server.workspace_id, key)  # nothing went out: not a message
        return outcome

    async def _record_only(self, server: ServerSettings, message: InboundMessage) -> None:
        place = server.place(message.channel_id, message.guild_name)
        await async_db(conversation_actions.record_member_message)(
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
            channel_name=message.channel_name,
            parent_channel_id=str(message.parent_channel_id or ""),
            parent_channel_name=message.parent_channel_name,
            attachments=message.attachments,
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
        recorded: conversation_actions.Recorded,
        threaded: bool,
    ) -> str:
        turn = await converse(server, recorded, history=history, question=question, bot_name=message.bot_name)
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
        thread_id = await self._start_thread(port, message, question) if threaded else None
        try:
            if thread_id is not None:
                await _send_in_thread(port, thread_id, text, feedback_key(server, turn))
            else:
                solve = str(message.channel_id) if message.forum_id else ""
                await self._deliver(port, message, text, feedback_key(server, turn), solve)
        except ActionError as exc:
            log.warning("could not reply in guild %s: %s", message.guild_id, exc.reason)
            await async_db(self.servers.record_error)(str(message.guild_id), f"Could not reply: {exc.reason}")
            return "failed:deliver"
        await async_db(record_answer)(
            recorded, answer, text, author_name=message.bot_name, usage_key=f"reply:{message.message_id}"
        )
        if message.forum_id:
            await async_db(_record_post_answered)(*_post_of(server, message))
        return outcome_of(answer)

    async def _start_thread(self, port: ChannelPort, message: InboundMessage, question: str) -> str | None:
        """Start a thread on the question, named after it; None when Discord refuses (say a
        missing Create Public Threads): the answer then goes in the channel, and the owner's
        diagnostics say why."""
        name = question.splitlines()[0].strip()[:80] or "Question"
        try:
            threads = cast(ThreadPort, port)
            return await threads.start_thread(str(message.channel_id), str(message.message_id), name)
        except ActionError as exc:
            log.warning("could not start a thread in guild %s: %s", message.guild_id, exc.reason)
            error = f"Could not start a thread on a question, so it was answered in the channel: {exc.reason}"
            await async_db(self.servers.record_error)(str(message.guild_id), error)
            return None

    @staticmethod
    async def _deliver(
        port: ChannelPort, message: InboundMessage, text: str, feedback: str, solve: str = ""
    ) -> None:
        """Reply in pieces of Discord's size; the feedback (and Solved) buttons go under the last."""
        first, *rest = split_message(text)
        channel = str(message.channel_id)
        if not rest:
            await port.reply(channel, str(message.message_id), first, feedback=feedback, solve=solve)
            return
        await port.reply(channel, str(message.message_id), first)
        for index, piece in enumerate(rest, 1):
            last = index == len(rest)
            await port.send(channel, piece, feedback=feedback if last else "", solve=solve if last else "")


def _post_of(server: ServerSettings, message: InboundMessage) -> tuple[PostRef, str, str, str]:
    """The forum post ``message`` is in, with its forum, title and author (for record_post)."""
    assert server.workspace_id is not None
    ref = PostRef(server.workspace_id, server.source, str(message.guild_id), str(message.channel_id))
    return ref, str(message.forum_id), message.post_title, str(message.post_author_id or "")


def _record_post_seen(ref: PostRef, forum_id: str, title: str, author_id: str) -> None:
    record_post(ref, forum_id=forum_id, title=title, author_id=author_id)


def _record_post_answered(ref: PostRef, forum_id: str, title: str, author_id: str) -> None:
    """The bot answered in the post (recorded first if it was opened before the bot watched)."""
    record_post(ref, forum_id=forum_id, title=title, author_id=author_id)
    record_answered(ref)


def _thread_per_question(server: ServerSettings, message: InboundMessage, port: ChannelPort) -> bool:
    """Whether this answer goes in a new thread on the question (all-messages mode, the
    server's option, a message outside threads and forums, a port that starts threads)."""
    return (
        server.thread_per_question
        and server.response_mode == "all"
        and not message.in_thread
        and isinstance(port, ThreadPort)
    )


async def _send_in_thread(port: ChannelPort, thread_id: str, text: str, feedback: str) -> None:
    """Answer inside the thread started on the question (the feedback buttons under the last piece)."""
    pieces = split_message(text)
    for index, piece in enumerate(pieces, 1):
        await port.send(thread_id, piece, feedback=feedback if index == len(pieces) else "")


def _between_members(message: InboundMessage) -> bool:
    """A reply to another member, or a message mentioning someone else: members talking
    to each other, where an unprompted bot would only be talking over them."""
    replied = message.reply_to_author_id
    to_someone_else = replied is not None and replied not in (message.bot_user_id, message.author_id)
    return to_someone_else or message.mentions_others
