"""An agent's message on its way to the member's channel: its delivery state, and the claims
that post it once. Message has no delivery column yet, so the state lives in ``external_id``
(the platform's id of the message once posted): NULL = queued, "sending:<pk>" = a worker is
posting it, "failed:<code>:<pk>" = it will not arrive, anything else = Discord's message id.
The values never collide with members' ids (snowflakes or "interaction:<id>").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from conversations.models import Message

SENDING, FAILED = "sending:", "failed:"
FAILURES = {
    "403": "The bot may not post in this channel (Discord answered 403): give its role Send "
    "Messages there, then write again.",
    "404": "Discord no longer knows this channel (404): it may have been deleted.",
    "401": "Discord refused the bot's token (401): check the bot on the Discord setup page.",
    "gone": "The server is no longer connected to this workspace, so the bot cannot post there.",
    "retries": "Discord could not be reached; the message was not posted after several tries.",
}


@dataclass(frozen=True)
class Delivery:
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    # "" for messages that are not an agent's.
    status: str
    reason: str = ""


def delivery_of(message: Message) -> Delivery:
    if message.role != Message.Role.AGENT:
        return Delivery("")
    value = message.external_id or ""
    if not value or value.startswith(SENDING):
        return Delivery(Delivery.SENDING)
    if value.startswith(FAILED):
        code = value.split(":")[1]
        reason = FAILURES.get(code) or f"Discord refused the message (HTTP {code})."
        return Delivery(Delivery.FAILED, reason)
    return Delivery(Delivery.SENT)


def pending_ids(messages: QuerySet[Message]) -> list[int]:
    waiting = Q(external_id__isnull=True) | Q(external_id__startswith=SENDING)
    return list(messages.filter(waiting, role=Message.Role.AGENT).values_list("id", flat=True))


def claim_delivery(message_id: int) -> bool:
    """Mark a queued agent message as being posted; False when it is not queued (posted,
    failed, or being posted by another worker), so it is posted once."""
    queued = Message.objects.filter(pk=message_id, role=Message.Role.AGENT, external_id__isnull=True)
    return bool(queued.update(external_id=f"{SENDING}{message_id}"))


def release_delivery(message_id: int) -> None:
    """Put a message whose post failed for now back in the queue (it is tried again)."""
    Message.objects.filter(pk=message_id, external_id=f"{SENDING}{message_id}").update(external_id=None)


def mark_delivered(message_id: int, platform_id: str) -> None:
    Message.objects.filter(pk=message_id).update(external_id=platform_id)


def mark_undelivered(message_id: int, code: str) -> None:
    """The message will not reach the member; ``code`` is an HTTP status or a FAILURES key."""
    Message.objects.filter(pk=message_id).update(external_id=f"{FAILED}{code}:{message_id}")
