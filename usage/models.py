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


class UsageMonth(models.Model):
    """A workspace's counter for one calendar month (UTC): the source of truth for the quota.

    ``used`` only grows through a conditional ``UPDATE ... WHERE used < limit`` (see
    usage.quota), so concurrent messages at the boundary never take it past the limit. The
    two ``*_emailed_at`` columns are claimed with a conditional update, so the 80% and 100%
    emails go out once per month whichever process crosses the line."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="usage_months")
    # The first day of the month.
    month = models.DateField()
    used = models.PositiveIntegerField(default=0)
    warning_emailed_at = models.DateTimeField(null=True, blank=True)
    limit_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "month"], name="usage_one_row_per_month")]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.month:%Y-%m}: {self.used}"


class LimitNotice(models.Model):
    """When members in a channel were last told that the monthly messages ran out, so the
    notice is given at most once per channel per hour across processes."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # The Discord server (guild) and channel; other channels name their own places.
    place_id = models.CharField(max_length=32)
    channel_id = models.CharField(max_length=32)
    notified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "place_id", "channel_id"], name="usage_one_notice_row_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.place_id}/{self.channel_id} at {self.notified_at}"
