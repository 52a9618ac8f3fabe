"""The moderation log's model."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Workspace
from integrations.discordbot.models import DiscordServer


class ModerationEntry(models.Model):
    """One moderation decision: a verdict that named a violation and what we did about it.

    Written by ``moderation.log``; the dashboard lists a server's entries newest first and
    the escalation rule counts a member's recent ones. The table keeps the name it had when
    the model lived in the Discord app.
    """

    class Action(models.TextChoices):
        NONE = "none"
        DELETE = "delete"
        WARN = "warn"
        TIMEOUT = "timeout"
        KICK = "kick"
        BAN = "ban"

    class Outcome(models.TextChoices):
        DONE = "done"
        FAILED = "failed"
        DRY_RUN = "dry_run", "Dry run"
        SKIPPED = "skipped"

    server = models.ForeignKey(DiscordServer, on_delete=models.CASCADE, related_name="moderation_entries")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="moderation_entries")
    guild_id = models.CharField(max_length=32)
    channel_id = models.CharField(max_length=32)
    message_id = models.CharField(max_length=32)
    member_id = models.CharField(max_length=32)
    member_name = models.CharField(max_length=100, blank=True)
    # The member's message as it was, so the owner can judge the decision after a delete.
    message_text = models.TextField(blank=True)
    rule = models.TextField(blank=True)
    # The line of the rules text the rule is on (from 1; 0 when unknown), which offence of
    # that rule this was in the window, and the ladder step it earned ("timeout 1 h").
    rule_line = models.PositiveSmallIntegerField(default=0)
    offence = models.PositiveSmallIntegerField(default=0)
    window_days = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=80, blank=True)
    severity = models.CharField(max_length=10, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # Why the action failed or was skipped, in plain words; empty when done.
    outcome_detail = models.TextField(blank=True)
    # When the decision was made (the moderation step passes its clock; bursts and the
    # ladder's window are measured on it).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "discordbot_moderationentry"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["server", "created_at"], name="moderation_server_time"),
            models.Index(fields=["server", "member_id", "created_at"], name="moderation_member_time"),
        ]
        verbose_name_plural = "moderation entries"

    def __str__(self) -> str:
        return f"{self.action} {self.member_name or self.member_id} ({self.outcome})"

    @property
    def offence_summary(self) -> str:
        """ "2nd offence of rule 3 in 30 days → timeout 1 h", or "" for older entries."""
        if not self.offence:
            return ""
        from moderation.decision import ordinal

        where = f"rule {self.rule_line}" if self.rule_line else "this rule"
        step = self.step or "none"
        return f"{ordinal(self.offence)} offence of {where} in {self.window_days} days → {step}"
