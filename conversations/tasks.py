"""Worker jobs of conversations: the escalation email."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from huey.contrib.djhuey import db_task

from conversations.models import Conversation

log = logging.getLogger(__name__)

# A mail server that is down gets this many more tries, this far apart.
EMAIL_RETRIES = 5
EMAIL_RETRY_DELAY = 60


@db_task(retries=EMAIL_RETRIES, retry_delay=EMAIL_RETRY_DELAY)
def send_escalation_email(conversation_id: int) -> None:
    """Tell the workspace's escalation address that a member wants a person. Raises on a
    mail failure so the worker retries it; the member's reply never waits for this."""
    conversation = Conversation.objects.select_related("workspace").filter(pk=conversation_id).first()
    if conversation is None or not conversation.workspace.escalation_email:
        return
    last = conversation.messages.filter(role="member").order_by("-id").first()
    link = settings.SITE_URL.rstrip("/") + reverse("conversation_detail", args=[conversation.pk])
    member = conversation.member_name or conversation.member_id
    where = conversation.place_name or conversation.place_id
    body = (
        f"{member} asked to talk to a person in {where} (channel {conversation.channel_id}).\n\n"
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
