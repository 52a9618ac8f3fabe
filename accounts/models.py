from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def default_plan() -> str:
    """The plan of a new workspace (``DEFAULT_PLAN``); read when a row is created, so the
    migration does not change when the setting does."""
    return str(settings.DEFAULT_PLAN)


class Workspace(models.Model):
    """A team's tenant: its knowledge, servers, conversations and AI persona belong here."""

    class Plan(models.TextChoices):
        FREE = "free", "Free"
        STARTER = "starter", "Starter"
        STANDARD = "standard", "Standard"
        PRO = "pro", "Pro"

    name = models.CharField(max_length=100)
    ai_instructions = models.TextField(
        blank=True,
        help_text="Persona and instructions the AI follows when it answers (tone, scope, name).",
    )
    # Escalation: email this address when a member asks for a person (Standard and above).
    escalation_enabled = models.BooleanField(default=False)
    escalation_email = models.EmailField(blank=True)
    # Bumped whenever a knowledge source changes, so per-process search indexes know
    # they are stale without comparing chunks.
    knowledge_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # What the workspace may use and how many messages a month (usage/plans.py); assigned
    # by operators in the admin, there is no payment integration.
    plan = models.CharField(max_length=12, choices=Plan.choices, default=default_plan)
    # When someone first asked the playground a question (the getting-started checklist).
    playground_tried_at = models.DateTimeField(null=True, blank=True)

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


INVITATION_LIFETIME = timedelta(days=7)


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An owner's invitation for an email address to join a workspace as a member.

    The token in the emailed link is the only way to accept it; it works once, for the
    invited address only, and for ``INVITATION_LIFETIME`` after it was sent."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.email} to {self.workspace}"

    @property
    def expires_at(self) -> datetime:
        return self.created_at + INVITATION_LIFETIME

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at
