"""Worker jobs of conversations: the escalation email, and posting an agent's message."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from huey.api import Task
from huey.contrib.djhuey import db_task

from conversations import delivery
from conversations.models import Conversation, Message
from integrations.discordbot.models import channel_label, channel_names

log = logging.getLogger(__name__)

# A mail server that is down gets this many more tries, this far apart.
EMAIL_RETRIES = 5
EMAIL_RETRY_DELAY = 60


# Why the conversation was escalated (``assistant.escalation.Reason``), as the email says it.
_WHY = {
    "asked": "asked to talk to a person",
    "unanswered": "asked several questions in a row the bot could not answer",
    "feedback": "gave the bot's answer a thumbs-down",
}


@db_task(retries=EMAIL_RETRIES, retry_delay=EMAIL_RETRY_DELAY)
def send_escalation_email(conversation_id: int, reason: str = "asked") -> None:
    """Tell the workspace's escalation address that a member needs a person (``reason``:
    see ``_WHY``). Raises on a mail failure so the worker retries it; the member's reply
    never waits for this."""
    conversation = Conversation.objects.select_related("workspace").filter(pk=conversation_id).first()
    if conversation is None or not conversation.workspace.escalation_email:
        return
    last = conversation.messages.filter(role="member").order_by("-id").first()
    link = settings.SITE_URL.rstrip("/") + reverse("conversation_detail", args=[conversation.pk])
    member = conversation.member_name or conversation.member_id
    where = conversation.place_name or conversation.place_id
    channel = channel_label(
        channel_names(conversation.workspace_id, conversation.place_id), conversation.channel_id
    )
    body = (
        f"{member} {_WHY.get(reason, _WHY['asked'])} in {where}, {channel}.\n\n"
        f"Their last message:\n> {last.text if last else '(none)'}\n\n"
        f"Take over the conversation: {link}\n\n"
        "The bot told them a team member has been notified, and keeps helping meanwhile."
    )
    send_mail(
        f"[Guildmind] {member} wants to talk to a person in {where}",
        body,
        None,
        [conversation.workspace.escalation_email],
        fail_silently=False,
    )
    log.info("escalation email sent for conversation %s", conversation_id)


# --- an agent's message, posted where the member is -------------------------------------------

# An agent's message is chat: tried again soon, and not for long.
POST_RETRIES = 5
POST_RETRY_DELAY = 3


class Undeliverable(Exception):
    """The message cannot be posted, now or later; ``code`` says why (see delivery.FAILURES)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@db_task(retries=POST_RETRIES, retry_delay=POST_RETRY_DELAY, context=True)
def post_agent_message(message_id: int, task: Task | None = None) -> None:
    """Post an agent's message in the member's channel, as the bot, marked as the team's.
    Raises on a passing failure so the worker tries again; see ``deliver``."""
    deliver(message_id, last_try=task is None or not task.retries)


def deliver(message_id: int, *, last_try: bool) -> None:
    """Post the agent message once and record the platform's id for it. A refusal that
    trying again cannot fix (403, 404...), or a failure on the last try, marks the message
    undelivered with the reason, which the conversation page shows; any other failure is
    logged and raised (the job is retried)."""
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None or not delivery.claim_delivery(message_id):
        return  # gone, posted, failed, or being posted by another worker
    post = SENDERS.get(message.conversation.source)
    try:
        if post is None:
            raise Undeliverable("gone")
        platform_id = post(message)
    except Undeliverable as refused:
        log.warning("agent message %s cannot be posted: %s", message_id, refused.code)
        delivery.mark_undelivered(message_id, refused.code)
        return
    except Exception:
        delivery.release_delivery(message_id)
        if last_try:
            log.exception("agent message %s was not posted; giving up", message_id)
            delivery.mark_undelivered(message_id, "retries")
            return
        log.warning("agent message %s was not posted; trying again", message_id, exc_info=True)
        raise
    delivery.mark_delivered(message_id, platform_id)
    log.info("agent message %s posted as %s", message_id, platform_id)


def team_text(message: Message) -> str:
    """The agent's message as members see it: ``**Sam (team):** text``."""
    name = re.sub(r"([\\*_~`|>])", r"\\\1", (message.author_name or "Team")[:60])
    return f"**{name} (team):** {message.text}"


# How an agent's message reaches each source's members: each channel's app registers its
# sender when Django starts (Discord's: integrations.discordbot.agent_messages). A sender
# returns the platform's id of the posted message, or raises Undeliverable.
SENDERS: dict[str, Callable[[Message], str]] = {}
