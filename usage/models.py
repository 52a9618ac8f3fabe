from __future__ import annotations

from django.db import models

from accounts.models import Workspace


class UsageEvent(models.Model):
    """One message of a workspace's usage: an AI reply, a moderation check or a proactive
    post. Every channel ("discord" today) draws from the same monthly pool.

    ``key`` names what was counted (the message or job it belongs to) so a redelivered
    event or a retried job is counted once."""

    class Kind(models.TextChoices):
        REPLY = "reply", "AI reply"
        MODERATION = "moderation", "Moderation check"
        PROACTIVE = "proactive", "Proactive post"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="usage_events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    channel = models.CharField(max_length=20, default="discord")
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="usage_counted_once")]
        indexes = [models.Index(fields=["workspace", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
