"""Proactive posts: what the bot posted (or tried to) on a server's schedule or on "Post now"."""

from __future__ import annotations

from django.db import models

from accounts.models import Workspace
from integrations.discordbot.models import DiscordServer


class ProactivePost(models.Model):
    """One proactive post of a server: a slot of its schedule, or a "post now" from the
    dashboard. The row is claimed (inserted) before anything is composed, and a slot can
    be inserted once, so each slot posts at most once whatever the number of workers.

    Written by ``proactive.actions``; the dashboard shows a server's posts newest first, and
    the composer reads the earlier ones so it never repeats itself. The table keeps the name
    it had when the model lived in the Discord app."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled"
        MANUAL = "manual", "Post now"

    class Status(models.TextChoices):
        POSTING = "posting"
        POSTED = "posted"
        FAILED = "failed"
        SKIPPED = "skipped"

    server = models.ForeignKey(DiscordServer, on_delete=models.CASCADE, related_name="proactive_posts")
    # The workspace the server belonged to: a server connected again by another workspace
    # does not show (or avoid repeating) the earlier workspace's posts.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="proactive_posts")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SCHEDULED)
    # The schedule's slot this post is for (not when a worker got to it); for "post now",
    # when the owner asked for the preview.
    run_at = models.DateTimeField()
    topic = models.CharField(max_length=300, blank=True)
    channel_name = models.CharField(max_length=100, blank=True)
    channel_id = models.CharField(max_length=32, blank=True)
    text = models.TextField(blank=True)
    message_id = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.POSTING)
    # Why it failed or was skipped, in plain words; empty when posted.
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "discordbot_proactivepost"
        ordering = ["-run_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["server", "kind", "run_at"], name="proactive_slot_posts_once")
        ]
        indexes = [models.Index(fields=["server", "workspace", "status"], name="proactive_server_status")]

    def __str__(self) -> str:
        return f"{self.kind} post {self.run_at:%Y-%m-%d %H:%M} ({self.status})"
