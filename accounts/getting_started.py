"""The overview's getting-started checklist: each step ticked from what the workspace has
really done, never from a box the owner clicks."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace
from integrations.discordbot.models import DiscordServer
from knowledge.models import KnowledgeSource


@dataclass(frozen=True)
class Step:
    title: str
    done: bool
    url: str
    hint: str


def checklist(workspace: Workspace) -> list[Step]:
    """The five first steps in order: knowledge, playground, a server, its mode, its rules."""
    servers = list(DiscordServer.objects.filter(workspace=workspace, connected=True).order_by("id"))
    first = reverse("discord_server_settings", args=[servers[0].pk]) if servers else reverse("discord_setup")
    ready = KnowledgeSource.objects.filter(workspace=workspace, status=KnowledgeSource.Status.READY)
    return [
        Step(
            "Add knowledge",
            ready.exists(),
            reverse("knowledge"),
            "Paste an FAQ, upload a file or add your help site: the bot answers from it.",
        ),
        Step(
            "Try the playground",
            workspace.playground_tried_at is not None,
            reverse("playground"),
            "Ask a question the way a member would and see the answer and its sources.",
        ),
        Step(
            "Connect a server",
            bool(servers),
            reverse("discord_setup"),
            "Add the bot to your Discord server.",
        ),
        Step(
            "Choose a mode",
            any(s.settings_saved_at is not None for s in servers),
            first,
            "Answer @mentions, every message (with smart mode) or /ask only.",
        ),
        Step(
            "Set rules",
            any(s.moderation_enabled and s.moderation_rules.strip() for s in servers),
            first,
            "Write your server's rules and choose what the bot may do about a message that breaks one.",
        ),
    ]


def record_playground_tried(workspace: Workspace) -> None:
    """The first playground question ticks its step (later ones write nothing)."""
    if workspace.playground_tried_at is None:
        workspace.playground_tried_at = timezone.now()
        Workspace.objects.filter(pk=workspace.pk, playground_tried_at=None).update(
            playground_tried_at=workspace.playground_tried_at
        )
