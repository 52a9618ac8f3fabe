from __future__ import annotations

from django.conf import settings
from django.db import models


class Workspace(models.Model):
    """A team's tenant: its knowledge, servers, conversations and AI persona belong here."""

    name = models.CharField(max_length=100)
    ai_instructions = models.TextField(
        blank=True,
        help_text="Persona and instructions the AI follows when it answers (tone, scope, name).",
    )
    escalation_email = models.EmailField(blank=True)
    # Bumped whenever a knowledge source changes, so per-process search indexes know
    # they are stale without comparing chunks.
    knowledge_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        MEMBER = "member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_workspace")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"
