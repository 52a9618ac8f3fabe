"""``/ask``: a member's slash command, answered through an ``InteractionPort`` in every
response mode, whichever way it arrived (the HTTP endpoint's worker job, or the gateway)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from conversations.actions import Recorded
from guildmind.db import async_db
from pipeline.converse import UNANSWERED, converse, feedback_key, outcome_of, record_answer, take_question
from pipeline.port import ActionError, InteractionPort
from pipeline.rate_limits import answer_limits
from pipeline.servers import ServerSettings
from pipeline.text import split_message
from usage.quota import LIMIT_NOTICE, release

log = logging.getLogger(__name__)


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
    assert server.workspace_id is not None  # an active server belongs to a workspace
    question = ask.question.strip()
    if not question:
        await port.edit_response(EMPTY_QUESTION)
        return "ignored:empty"
    limited = await answer_limits().check(ask.guild_id, ask.channel_id, ask.user_id)
    if limited is not None:
        await port.edit_response(limited.notice(ask.user_name))
        return f"limited:{limited.scope}"
    key = f"reply:interaction:{ask.interaction_id}"
    taken = await take_question(
        server,
        channel_id=ask.channel_id,
        member_id=ask.user_id,
        member_name=ask.user_name,
        question=question,
        external_id=f"interaction:{ask.interaction_id}",
        usage_key=key,
    )
    quota = taken.quota
    if taken.recorded is None:
        # /ask must answer something, or Discord shows "The application did not respond".
        await port.edit_response(LIMIT_NOTICE if quota.reason == "limit" else quota.detail)
        return f"quota:{quota.reason}"
    outcome = await _ask_answer(ask, server, port, question, key, taken.recorded)
    if quota.reason == "counted" and outcome in UNANSWERED:
        await async_db(release)(server.workspace_id, key)
    return outcome


async def _ask_answer(
    ask: AskRequest,
    server: ServerSettings,
    port: InteractionPort,
    question: str,
    key: str,
    recorded: Recorded,
) -> str:
    turn = await converse(server, recorded, question=question, bot_name=ask.bot_name)
    if turn is None:
        return "ignored:duplicate"
    if turn.answer is None:
        await port.edit_response(TEAM_HAS_IT)
        return "skipped:human"
    recorded, answer = turn.recorded, turn.answer
    text = turn.reply_text()
    first, *rest = split_message(text)
    feedback = feedback_key(server, turn)  # the buttons go under the last piece
    try:
        await port.edit_response(first, feedback="" if rest else feedback)
        for index, piece in enumerate(rest, 1):
            await port.follow_up(piece, feedback=feedback if index == len(rest) else "")
    except ActionError as exc:
        log.warning("could not answer /ask %s: %s", ask.interaction_id, exc.reason)
        return "failed:deliver"
    await async_db(record_answer)(
        recorded,
        answer,
        text,
        author_name=ask.bot_name,
        usage_key=key,
    )
    return outcome_of(answer)
