from __future__ import annotations

from django.db import models

from accounts.models import Workspace


class Conversation(models.Model):
    """One member's exchange with the bot in one place (for Discord: guild + channel)."""

    class State(models.TextChoices):
        AI = "ai"
        HUMAN = "human"
        ESCALATED = "escalated"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations")
    source = models.CharField(max_length=20, default="discord")
    # For Discord: guild id, channel id and the member's user id (snowflakes as text so
    # other sources fit the same columns).
    place_id = models.CharField(max_length=40)
    channel_id = models.CharField(max_length=40)
    member_id = models.CharField(max_length=40)
    member_name = models.CharField(max_length=100, blank=True)
    place_name = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.AI)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["workspace", "source", "place_id", "channel_id", "member_id"])]

    def __str__(self) -> str:
        return f"{self.member_name or self.member_id} in {self.place_name or self.place_id}"


class Message(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member"
        ASSISTANT = "assistant"
        AGENT = "agent"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    author_name = models.CharField(max_length=100, blank=True)
    text = models.TextField()
    # The platform's id for the message, unique per source so a redelivered event is
    # recorded (and answered) once.
    external_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 (NULLs stay unique)
    # For AI replies: the knowledge passages it was grounded in ([{title, url}...]).
    sources = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "external_id"], name="message_external_id_once"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:50]}"
