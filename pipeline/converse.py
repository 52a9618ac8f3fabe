"""The steps every entrance shares once a member's question is to be answered: record it,
read the member's context, check for a team takeover and for a wish to talk to a person
(escalation), answer from the knowledge base, and record the delivered reply with its
usage. Channel-independent: callers deliver the reply through their own port."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from time import monotonic

from django.conf import settings
from django.utils import timezone

from accounts.models import Workspace
from assistant import answering, escalation
from assistant.escalation import Reason
from assistant.providers.base import Answer, Turn
from conversations import actions as conversation_actions
from conversations.tasks import send_escalation_email
from guildmind.db import async_db, write_transaction
from pipeline.servers import ServerSettings
from usage.models import UsageEvent
from usage.plans import plan_allows
from usage.quota import Reservation, release, reserve

# Outcomes where no AI reply reached the member: the reserved message is given back.
UNANSWERED = {"ignored:duplicate", "skipped:human", "skipped:answered-by-someone", "failed:deliver", "failed"}
# What the member is told (in English; ``escalation.team_told`` speaks their language).
TEAM_TOLD = escalation.team_told("", Reason.ASKED)


@dataclass(frozen=True, slots=True)
class Conversed:
    recorded: conversation_actions.Recorded
    # None when a team member has the conversation: the AI stays silent.
    answer: Answer | None
    # Why the team was told: the member asked for a person (or is fed up with the bot), or
    # the bot could not answer them again. None when nobody was told.
    escalated: Reason | None = None
    # Escalation is on: an "I don't know" says how to reach a person.
    offers_person: bool = False

    def reply_text(self) -> str:
        assert self.answer is not None
        text = answering.format_reply(self.answer)
        if self.escalated is None:
            if self.offers_person and abstained(self.answer):
                return f"{text}\n\n{escalation.person_offered(self.recorded.message.text)}"
            return text
        told = escalation.team_told(self.recorded.message.text, self.escalated)
        # A third "I don't know" says nothing the notice does not.
        return told if self.escalated == Reason.UNANSWERED else f"{told}\n\n{text}"


@dataclass(frozen=True, slots=True)
class Question:
    """A member's question once its reply's message is reserved and the question recorded."""

    quota: Reservation
    # None when the quota refused it: nothing was recorded.
    recorded: conversation_actions.Recorded | None


async def take_question(
    server: ServerSettings,
    *,
    channel_id: int,
    member_id: int,
    member_name: str,
    question: str,
    external_id: str,
    usage_key: str,
    place_name: str = "",
    read_history: bool = True,
) -> Question:
    """Reserve the reply's message of the month (``usage_key``: see usage.quota.reserve) and
    record the member's question with their recent turns here (``read_history``), in one
    transaction and one trip to a database thread. Nothing is recorded when the quota
    refuses; the caller releases the reservation when no reply goes out after all."""
    assert server.workspace_id is not None
    return await async_db(_take_question)(
        server.place(channel_id, place_name),
        usage_key,
        server.usage_channel,
        member_id=str(member_id),
        member_name=member_name,
        text=question,
        external_id=external_id,
        history_limit=settings.AI_HISTORY_TURNS if read_history else 0,
    )


def _take_question(
    place: conversation_actions.Place,
    usage_key: str,
    usage_channel: str,
    *,
    member_id: str,
    member_name: str,
    text: str,
    external_id: str,
    history_limit: int,
) -> Question:
    # The month's counter is locked (on Postgres) before the member's conversation, as
    # record_answer does.
    with write_transaction():
        quota = reserve(place.workspace_id, UsageEvent.Kind.REPLY, usage_key, channel=usage_channel)
        if not quota.allowed:
            return Question(quota, None)
        recorded = conversation_actions.record_member_message(
            place,
            member_id=member_id,
            member_name=member_name,
            text=text,
            external_id=external_id,
            history_limit=history_limit,
        )
    return Question(quota, recorded)


async def converse(
    server: ServerSettings,
    recorded: conversation_actions.Recorded,
    *,
    question: str,
    bot_name: str,
    history: list[Turn] | None = None,
) -> Conversed | None:
    """Answer the member's question recorded by ``take_question`` from the workspace's
    knowledge with the member's context (``history``, or else the member's own recent
    turns here). None when the question was already recorded (a redelivery). No answer
    while a team member has the conversation; when the member asks for a person, the team
    is told (escalation)."""
    assert server.workspace_id is not None
    if not recorded.created:
        return None
    workspace = await _workspace_info(server.workspace_id)
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
    reason = Reason.ASKED if wants_human else None
    if reason is None and await _keeps_failing(recorded.conversation.pk, answer):
        reason = Reason.UNANSWERED
    if reason is not None:
        await escalate_conversation(recorded.conversation.pk, reason)
    return Conversed(recorded, answer, escalated=reason, offers_person=True)


def abstained(answer: Answer) -> bool:
    """The AI said it does not know (not a failure: that is an apology)."""
    return not answer.grounded and not answer.failed


async def _keeps_failing(conversation_id: int, answer: Answer) -> bool:
    """This "I don't know" is the n-th in a row to the member (ESCALATION_AFTER_UNANSWERED);
    the conversation's recorded replies say whether the earlier ones abstained."""
    limit = settings.ESCALATION_AFTER_UNANSWERED
    if not limit or not abstained(answer):
        return False
    earlier = await async_db(conversation_actions.abstentions_in_a_row)(conversation_id, limit - 1)
    return escalation.failure_loop(earlier, failed_now=True, limit=limit)


async def escalate_conversation(conversation_id: int, reason: Reason) -> None:
    """Flag the conversation and email the team (at most every 30 minutes per conversation).
    The email goes through the worker, with retries: it never holds up the reply.

    Every cause of escalation comes here: the member asking for a person, the bot failing
    to answer again, and (once answers get feedback buttons) a thumbs-down, which calls
    this with ``Reason.FEEDBACK``."""
    if await async_db(conversation_actions.escalate)(conversation_id):
        await async_db(send_escalation_email)(conversation_id, str(reason))


@dataclass(frozen=True, slots=True)
class WorkspaceInfo:
    instructions: str
    escalation_email: str


# What answering needs of the workspace, cached briefly: edits reach the gateway within as
# long as server settings take, without a query per message.
WORKSPACE_TTL = 5.0
_workspace_cache: dict[int, tuple[float, WorkspaceInfo]] = {}


# The read under way per workspace: the questions that arrive while it runs wait for it
# rather than each queueing a read of its own behind the database work.
_workspace_reads: dict[int, asyncio.Future[WorkspaceInfo]] = {}


async def _workspace_info(workspace_id: int) -> WorkspaceInfo:
    cached = _workspace_cache.get(workspace_id)
    now = monotonic()
    if cached is not None and now - cached[0] < WORKSPACE_TTL:
        return cached[1]
    reading = _workspace_reads.get(workspace_id)
    if reading is None or reading.get_loop() is not asyncio.get_running_loop():
        reading = asyncio.ensure_future(async_db(_read_workspace_info)(workspace_id))
        _workspace_reads[workspace_id] = reading
        try:
            info = await asyncio.shield(reading)
        finally:
            if _workspace_reads.get(workspace_id) is reading:
                del _workspace_reads[workspace_id]
        _workspace_cache[workspace_id] = (now, info)
        return info
    return await asyncio.shield(reading)


def escalation_address(workspace_id: int) -> str:
    """Where the team is emailed when a member needs a person; empty when escalation is
    off (or the plan lacks it). Sync (database)."""
    return _read_workspace_info(workspace_id).escalation_email


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


def record_answer(
    recorded: conversation_actions.Recorded, answer: Answer, text: str, *, author_name: str, usage_key: str
) -> None:
    """Log the delivered reply and count it (an apology for a failure is not counted),
    in one trip to a database thread."""
    with write_transaction():
        # The month's counter before the conversation, as take_question locks them: on
        # Postgres two transactions taking the same rows in opposite orders could deadlock.
        if answer.failed:  # an apology is not an AI reply: give the message back
            release(recorded.conversation.workspace_id, usage_key)
        conversation_actions.record_reply(
            recorded.conversation,
            text=text,
            author_name=author_name,
            sources=answer.sources,
            abstained=abstained(answer),
            in_reply_to=recorded.message,
        )


def feedback_key(server: ServerSettings, turn: Conversed) -> str:
    """What the delivered answer's feedback buttons name (the member's question), or "" for
    no buttons: the server turned them off, or the reply is an apology, not an answer."""
    if not server.feedback_buttons or turn.answer is None or turn.answer.failed:
        return ""
    return str(turn.recorded.message.pk)


def outcome_of(answer: Answer) -> str:
    if answer.failed:
        return "answered:apology"
    return "answered" if answer.grounded else "answered:unknown"
